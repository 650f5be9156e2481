import type { Generated } from '@elcorp/db';
import type { MessagingTables } from '@elcorp/messaging';

/** Kysely view of migrations/ (compliance schema). int8 columns arrive as bigint. */
export interface AuditEntriesTable {
  seq: bigint;
  event_id: string;
  type: string;
  version: number;
  source: string;
  occurred_at: Date;
  recorded_at: Date;
  subject_type: string;
  subject_id: string;
  actor: unknown;
  /** NULL once archived: the archive holds the entry's hashed bytes. */
  data: unknown;
  leaf_hash: Buffer;
  archived_at: Date | null;
}

/** An archived entry: exactly the bytes its leaf hash covers (RFC 8785 JSON). */
export interface ArchivedEntriesTable {
  seq: bigint;
  leaf_input: Buffer;
  archived_at: Date;
}

export interface MerkleNodesTable {
  level: number;
  idx: bigint;
  hash: Buffer;
}

export interface LogHeadTable {
  id: Generated<boolean>;
  size: bigint;
}

export interface SigningKeysTable {
  key_id: string;
  public_key: Buffer;
  sealed_private_key: Buffer;
  created_at: Generated<Date>;
  retired_at: Date | null;
}

export interface CheckpointsTable {
  id: Generated<bigint>;
  tree_size: bigint;
  root_hash: Buffer;
  issued_at: Date;
  key_id: string;
  note: string;
  signature: Buffer;
}

export interface SubjectKeysTable {
  data_subject: string;
  sealed_key: Buffer | null;
  created_at: Generated<Date>;
  erased_at: Date | null;
}

export interface IncidentsTable {
  id: string;
  title: string;
  description: string;
  severity: string;
  status: string;
  root_cause: string | null;
  remediation: string | null;
  opened_by: string;
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
}

export interface IncidentEventsTable {
  id: Generated<bigint>;
  incident_id: string;
  status: string;
  note: string | null;
  by_user: string;
  at: Date;
}

export interface SlaBreachesTable {
  event_id: string;
  request_id: string;
  sla_deadline: Date;
  overdue_by: bigint;
  breached_at: Date;
}

export interface ReportsTable {
  id: string;
  type: string;
  format: string;
  range_from: Date;
  range_to: Date;
  status: string;
  progress: Generated<number>;
  requested_by: string;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  content: Buffer | null;
  error: string | null;
}

export interface ComplianceDB extends MessagingTables {
  audit_entries: AuditEntriesTable;
  archived_entries: ArchivedEntriesTable;
  merkle_nodes: MerkleNodesTable;
  log_head: LogHeadTable;
  signing_keys: SigningKeysTable;
  checkpoints: CheckpointsTable;
  subject_keys: SubjectKeysTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  sla_breaches: SlaBreachesTable;
  reports: ReportsTable;
}
