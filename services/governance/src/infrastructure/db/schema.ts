import type { Generated } from '@elcorp/db';
import type { MessagingTables } from '@elcorp/messaging';

/** Kysely view of migrations/ (governance schema). */
export interface RolesTable {
  name: string;
  description: Generated<string>;
  system: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RolePermissionsTable {
  role: string;
  permission: string;
}

export interface UserRolesTable {
  user_id: string;
  role: string;
  granted_by: string | null;
  granted_at: Generated<Date>;
}

export interface RoleFirstGrantsTable {
  role: string;
  at: Date;
}

export interface PoliciesTable {
  id: string;
  description: Generated<string>;
  source: string;
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface BundleVersionsTable {
  version: bigint;
  content: unknown;
  created_at: Generated<Date>;
}

export interface RequestsTable {
  id: string;
  requester_id: string;
  assignee_id: string | null;
  category: string;
  title: string;
  description: string;
  priority: string;
  status: string;
  submitted_at: Date | null;
  respond_by: Date | null;
  escalate_at: Date | null;
  sla_deadline: Date | null;
  escalated_at: Date | null;
  breached_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RequestHistoryTable {
  request_id: string;
  seq: number;
  step: string;
  by_user_id: string | null;
  from_status: string | null;
  to_status: string;
  note: string | null;
  at: Date;
}

export interface RequestApprovalsTable {
  request_id: string;
  approver_id: string;
  position: number;
  as_admin: boolean;
  comment: string | null;
  at: Date;
}

export interface RequestCommentsTable {
  id: string;
  request_id: string;
  author_id: string;
  body: string;
  at: Date;
}

export interface SlaPoliciesTable {
  category: string;
  priority: string;
  response_hours: number;
  resolution_hours: number;
  escalate_after_hours: number;
  updated_at: Generated<Date>;
}

export interface GovernanceDB extends MessagingTables {
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  role_first_grants: RoleFirstGrantsTable;
  policies: PoliciesTable;
  bundle_versions: BundleVersionsTable;
  requests: RequestsTable;
  request_history: RequestHistoryTable;
  request_approvals: RequestApprovalsTable;
  request_comments: RequestCommentsTable;
  sla_policies: SlaPoliciesTable;
}
