import type { Generated } from '@elcorp/db';
import type { MessagingTables } from '@elcorp/messaging';

/** Kysely view of migrations/ (identity schema). */
export interface UsersTable {
  id: string;
  email: string | null;
  email_normalized: string | null;
  full_name: string | null;
  phone: string | null;
  password_hash: string | null;
  status: Generated<'active' | 'erased'>;
  mfa_enabled: Generated<boolean>;
  totp_secret_enc: Buffer | null;
  totp_pending_secret_enc: Buffer | null;
  totp_last_step: bigint | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  last_login_at: Date | null;
  erased_at: Date | null;
}

export interface LoginFailuresTable {
  /** HMAC-SHA-256 of the normalised email (IDENTITY_EMAIL_HASH_KEY). */
  email_hash: string;
  /** Whose attempts: '' every unknown device, 'device:<jkt>' one known device, 'reset'. */
  scope: Generated<string>;
  failures: Generated<number>;
  /** Attempts holding a reservation under the limit while their password is checked. */
  in_flight: Generated<number>;
  locked_until: Date | null;
  updated_at: Generated<Date>;
}

export interface PasswordHistoryTable {
  user_id: string;
  password_hash: string;
  created_at: Generated<Date>;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  jkt: string;
  device_name: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Generated<Date>;
  last_used_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
  revoke_reason: string | null;
}

export interface RefreshTokensTable {
  token_hash: Buffer;
  session_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
  spent_at: Date | null;
  successor_enc: Buffer | null;
}

export interface RecoveryCodesTable {
  user_id: string;
  code_hash: Buffer;
  used_at: Date | null;
}

export interface SmsCodesTable {
  user_id: string;
  code_hash: Buffer;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface PasswordResetsTable {
  token_hash: Buffer;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
}

export interface PasswordResetRequestsTable {
  id: Generated<string>;
  email_normalized: string;
  requested_at: Generated<Date>;
}

export interface SigningKeysTable {
  kid: string;
  public_jwk: Record<string, unknown>;
  private_jwk_enc: Buffer;
  created_at: Generated<Date>;
  /** When it starts signing: a scheduled rotation makes it ahead, already published. */
  signs_from: Generated<Date>;
  /** When it stops signing (in the future while its successor waits); published a day after. */
  retired_at: Date | null;
  /** Unpublished at once (a suspected leak): its tokens stop verifying. */
  withdrawn_at: Date | null;
}

export interface UserRolesTable {
  user_id: string;
  role: string;
}

/** Per (user, role), the last governance.role.* event applied; `assigned = false` is a tombstone. */
export interface UserRoleEventsTable {
  user_id: string;
  role: string;
  last_event_id: string;
  assigned: boolean;
}

/** One row once any admin role has been stored (a trigger on user_roles writes it). */
export interface AdminHasExistedTable {
  singleton: Generated<boolean>;
  recorded_at: Generated<Date>;
}

export interface IdentityDB extends MessagingTables {
  admin_has_existed: AdminHasExistedTable;
  users: UsersTable;
  login_failures: LoginFailuresTable;
  password_history: PasswordHistoryTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  recovery_codes: RecoveryCodesTable;
  sms_codes: SmsCodesTable;
  password_resets: PasswordResetsTable;
  password_reset_requests: PasswordResetRequestsTable;
  signing_keys: SigningKeysTable;
  user_roles: UserRolesTable;
  user_role_events: UserRoleEventsTable;
}
