// HTTP shapes of API.md, inferred from the schemas in @elcorp/contracts that the services
// validate and serialise with. Type-only: nothing of contracts or zod loads at run time.
import type {
  ErasureReceipt,
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
