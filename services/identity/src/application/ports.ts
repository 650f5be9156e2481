import type { ReplayGuard } from '@elcorp/auth';
import type { Kysely } from '@elcorp/db';
import type { RunInUnitOfWork, UnitOfWork } from '@elcorp/messaging';
import type { PasswordViolation, PasswordContext } from '../domain/password-policy.js';
import type { IdentityDB } from '../infrastructure/db/schema.js';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** `knownDevice`: the device has signed in to the account before; its check waits less under load. */
  verify(storedHash: string, password: string, options?: { knownDevice?: boolean }): Promise<boolean>;
  /** Costs what a verify costs, so an unknown email answers as slowly as a wrong password. */
  dummyVerify(password: string): Promise<false>;
}

export interface SealedSecrets {
  seal(plaintext: Buffer | string, context: string): Buffer;
  open(sealed: Buffer, context: string): Buffer;
}

export interface AccessTokenRequest {
  userId: string;
  sessionId: string;
  roles: string[];
  jkt: string;
}

export type AccessTokenSigner = (request: AccessTokenRequest) => Promise<string>;

export interface TokenIssuer {
  /**
   * A signer holding the current key. Take it before opening a transaction: loading the
   * key may need a connection, and a transaction holding a row lock must not wait for one.
   */
  signer(): Promise<AccessTokenSigner>;
}

/** Messages to people: password reset, lockout, SMS codes. Never logs the content. */
export interface Notifier {
  send(message: { to: { email?: string; phone?: string }; template: 'password_reset' | 'account_locked' | 'mfa_sms_code'; data: Record<string, string> }): Promise<void>;
}

/** Where the gateway and services learn at once that a session is revoked (Redis deny-list; its entries outlive the session's last token). */
export interface RevocationList {
  revoke(sessionId: string): Promise<void>;
}

/** The request facts a use case may record (PII: stored and published as such). */
export interface RequestContext {
  ip: string;
  userAgent: string;
}

export interface IdentityDeps {
  /** Reads, and single atomic statements that announce nothing (the attempt counter). */
  db: Kysely<IdentityDB>;
  /**
   * Every use case's transaction: its writes, and the events they announce recorded with
   * `record` (written to the outbox as that transaction commits). The only way to announce one.
   */
  uow: RunInUnitOfWork<IdentityDB>;
  /**
   * A unit of work whose whole change is one statement, sent without BEGIN and COMMIT
   * (oneStatementUnitOfWork): its events go into that statement with `recordInStatement`.
   */
  uowInOneStatement: <T>(work: (uow: UnitOfWork<IdentityDB>) => Promise<T>) => Promise<T>;
  hasher: PasswordHasher;
  /** The password policy, estimated off the event loop; 503 `service_unavailable` when saturated. */
  checkPassword: (password: string, context: PasswordContext) => Promise<PasswordViolation[]>;
  /** Keyed hash (HMAC-SHA-256) naming an email in failure counts and login_failed events. */
  emailHash: (email: string) => string;
  secrets: SealedSecrets;
  tokens: TokenIssuer;
  notifier: Notifier;
  /** Queued forgot-password requests are delivered after the answer; `wake` starts that now. */
  resetDelivery: { wake(): void };
  revocations: RevocationList;
  /** DPoP jti replay guard for proofs identity verifies itself. */
  replay: ReplayGuard;
  publicBaseUrl: string;
  bootstrapAdminEmail?: string;
  now: () => Date;
}
