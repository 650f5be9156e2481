// HTTP shapes of API.md, inferred from the schemas in @elcorp/contracts that the services
// validate and serialise with. Type-only: nothing of contracts or zod loads at run time.
import type {
  DepositBody,
  ErasureReceipt,
  IssueInvoiceBody,
  PayInvoiceBody,
  TransferBody,
  LoginBody,
  Page,
  ProfileUpdateBody,
  RecoveryCodes,
  RegisterBody,
  Session,
  SessionList,
  TokenPair,
  TotpSetup,
  User,
  UserListQuery,
  UserLookup,
  UserStatus,
} from '@elcorp/contracts/http';

export type { ErasureReceipt, Page, RecoveryCodes, Session, SessionList, TokenPair, TotpSetup, User, UserLookup, UserStatus };

/** What `login` hands back; the tokens stay inside the client (its TokenStore). */
export interface LoginResult {
  user: User;
  sessionId: string;
}

/** `phone` is E.164, e.g. +264811234567. */
export type RegisterInput = RegisterBody;
/** `otp`: TOTP code, or a recovery code, when MFA is on. */
export type LoginInput = LoginBody;
export type ProfileUpdate = ProfileUpdateBody;
export type UserQuery = UserListQuery;

// Payments (API.md, "Payments"): amounts are decimal strings with exactly the currency's
// fraction digits ("125.50" NAD), never numbers.
export type {
  Account,
  BalanceAt,
  Currency,
  Invoice,
  InvoiceListQuery,
  InvoiceStatus,
  Mismatch,
  Money,
  Receipt,
  Reconciliation,
  ReconciliationListQuery,
  ReconciliationResult,
  StatementEntry,
  StatementQuery,
  Transfer,
  TransferListQuery,
  TransferStatus,
} from '@elcorp/contracts/http';

/** `reference`: what the deposit is for (cash slip, EFT reference), 1–140 characters. */
export type DepositInput = DepositBody;
/** `to`: an account id, or a user id (their account in `currency`). */
export type TransferInput = TransferBody;
export type InvoiceInput = IssueInvoiceBody;
export type PayInvoiceInput = PayInvoiceBody;

/** Options of a money-moving call (deposit, transfer, invoice payment). */
export interface MoneyMoveOptions {
  /**
   * Sent as Idempotency-Key (1–255 visible ASCII characters). Default: a new random UUID per
   * call. Pass the key of an earlier call to repeat it safely: the server answers as it did.
   */
  idempotencyKey?: string;
}

/** The answer of a money-moving call, with the key it was sent under. */
export interface MoneyMove<T> {
  result: T;
  /** Call again with it (`{ idempotencyKey }`) to repeat the call without moving money twice. */
  idempotencyKey: string;
  /** The server answered from an earlier call with this key (`Idempotent-Replayed: true`). */
  replayed: boolean;
}
