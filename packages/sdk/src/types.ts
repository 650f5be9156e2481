// HTTP shapes of API.md, written by hand: the contracts package holds event schemas, not HTTP DTOs.

export type UserStatus = 'active' | 'locked' | 'erased';

export interface User {
  id: string;
  /** null once erased. */
  email: string | null;
  fullName: string | null;
  phone: string | null;
  roles: string[];
  status: UserStatus;
  mfaEnabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'DPoP';
  /** Seconds the access token lives (900). */
  expiresIn: number;
  sessionId: string;
}

/** What `login` hands back; the tokens stay inside the client (its TokenStore). */
export interface LoginResult {
  user: User;
  sessionId: string;
}

export interface Session {
  id: string;
  deviceName: string;
  /** Thumbprint of the session's device key; compare with `client.deviceThumbprint()`. */
  jkt: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastUsedAt: string;
  /** The session of the calling token. */
  current: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SessionList {
  items: Session[];
}

export interface RegisterInput {
  email: string;
  password: string;
  fullName: string;
  /** E.164, e.g. +264811234567. */
  phone: string;
  agreedTerms: true;
}

export interface LoginInput {
  email: string;
  password: string;
  /** TOTP code, or a recovery code, when MFA is on. */
  otp?: string;
  deviceName?: string;
}

export interface ProfileUpdate {
  fullName?: string;
  phone?: string;
}

export interface TotpSetup {
  secret: string;
  otpauthUri: string;
}

export interface RecoveryCodes {
  recoveryCodes: string[];
}

export interface UserLookup {
  id: string;
  /** Masked name. */
  displayName: string;
}

export interface UserQuery {
  q?: string;
  limit?: number;
  cursor?: string;
}

export interface ErasureReceipt {
  id: string;
  status: 'erased';
}
