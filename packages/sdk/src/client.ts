import { setTimeout as sleep } from 'node:timers/promises';
import { apiErrorOf, resultOf, type Answer } from './answer.js';
import { MemoryDeviceKeyStore, type DeviceKeyStore } from './device-key-store.js';
import { ElcorpNetworkError, isApiError } from './errors.js';
import { Payments } from './payments.js';
import { MemoryTokenStore, Tokens, type StoredTokens, type TokenStore } from './tokens.js';
import { Transport, type SendOptions } from './transport.js';
import type {
  ErasureReceipt,
  LoginInput,
  LoginResult,
  Page,
  ProfileUpdate,
  RecoveryCodes,
  RegisterInput,
  SessionList,
  TokenPair,
  TotpSetup,
  User,
  UserLookup,
  UserQuery,
} from './types.js';

export interface ElcorpClientOptions {
  /** The API's public origin (the gateway's PUBLIC_BASE_URL); DPoP proofs are signed for it. */
  baseUrl: string;
  /** Default: in memory, so each process is a new device. Use FileDeviceKeyStore to stay one device. */
  deviceKeyStore?: DeviceKeyStore;
  /** Default: in memory. */
  tokenStore?: TokenStore;
  fetch?: typeof globalThis.fetch;
  /** Per attempt, body included. Default 30 000. */
  timeoutMs?: number;
  /**
   * Extra attempts of idempotent calls (GET, HEAD, PUT, DELETE, and money-moving POSTs, which
   * carry an Idempotency-Key) on network errors and 502/503/504. Default 2, at most 10.
   */
  retries?: number;
  /** Time for token expiry decisions, ms since the epoch (tests move it); proofs always use the system clock. */
  clock?: () => number;
}

export interface RequestOptions extends SendOptions {
  /** Send the access token (refreshing it when needed). Default true. */
  auth?: boolean;
}

const defaultTimeoutMs = 30_000;
const defaultRetries = 2;
const maxRetries = 10;
const refreshPath = '/api/v1/auth/refresh';
// API.md: the same refresh token and key within 10 s of spending it get the same successor
// pair again; any later reuse revokes the session. 2 s are left for the retry's trip.
const refreshRetryWindowMs = 8_000;
const refreshRetryPauseMs = 200;

const segment = encodeURIComponent;

function storedTokensOf(pair: TokenPair, issuedAtMs: number): StoredTokens {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, sessionId: pair.sessionId, expiresAt: issuedAtMs + pair.expiresIn * 1000 };
}

function isRejectedToken(answer: Answer): boolean {
  return answer.status === 401 && apiErrorOf(answer, 0).code === 'auth.invalid_token';
}

/** The Elcorp API for one device: signs every request with DPoP, keeps and refreshes the tokens. */
export class ElcorpClient {
  readonly #transport: Transport;
  readonly #tokens: Tokens;
  readonly #clock: () => number;
  /** Accounts, deposits, transfers, receipts, invoices and reconciliations (API.md, Payments). */
  readonly payments: Payments;

  constructor(options: ElcorpClientOptions) {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const retries = options.retries ?? defaultRetries;
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) throw new RangeError('timeoutMs must be a positive number');
    if (!Number.isInteger(retries) || retries < 0 || retries > maxRetries) throw new RangeError(`retries must be an integer from 0 to ${maxRetries}`);
    this.#clock = options.clock ?? Date.now;
    this.#transport = new Transport({
      baseUrl: options.baseUrl,
      deviceKeyStore: options.deviceKeyStore ?? new MemoryDeviceKeyStore(),
      fetch: options.fetch ?? globalThis.fetch,
      timeoutMs,
      retries,
      clock: this.#clock,
    });
    this.#tokens = new Tokens(options.tokenStore ?? new MemoryTokenStore(), this.#clock, (token) => this.#exchangeRefreshToken(token));
    this.payments = new Payments((method, path, sendOptions) => this.#exchange(method, path, sendOptions));
  }

  get baseUrl(): string {
    return this.#transport.baseUrl;
  }

  /** RFC 7638 thumbprint of this device's key: the `jkt` of its sessions. */
  async deviceThumbprint(): Promise<string> {
    return (await this.#transport.deviceKey()).jkt;
  }

  async isSignedIn(): Promise<boolean> {
    return (await this.#tokens.get()) !== undefined;
  }

  /**
   * Any API call. JSON body in, parsed JSON out (`undefined` for an empty answer); an error
   * status throws ElcorpApiError, no answer ElcorpNetworkError.
   */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return resultOf<T>(await this.#exchange(method, path, options));
  }

  /** The whole success answer (headers, bytes) of any call; an error status throws as in `request`. */
  async #exchange(method: string, path: string, options: RequestOptions): Promise<Answer> {
    const verb = method.toUpperCase();
    const answer = options.auth === false ? await this.#transport.send(verb, path, options) : await this.#sendAuthenticated(verb, path, options);
    if (answer.status < 200 || answer.status > 299) throw apiErrorOf(answer, this.#clock());
    return answer;
  }

  // A 401 comes before any handler runs, so sending again after a refresh is safe even for POST.
  async #sendAuthenticated(method: string, path: string, options: SendOptions): Promise<Answer> {
    const tokens = await this.#tokens.forRequest();
    const answer = await this.#transport.send(method, path, options, tokens?.accessToken);
    if (!tokens || !isRejectedToken(answer)) return answer;
    const fresh = await this.#tokens.afterRejection(tokens.accessToken);
    return fresh ? this.#transport.send(method, path, options, fresh.accessToken) : answer;
  }

  async #exchangeRefreshToken(refreshToken: string): Promise<StoredTokens> {
    const startedAt = this.#clock();
    const options = { body: { refreshToken } };
    let answer: Answer;
    try {
      answer = await this.#transport.sendOnce('POST', refreshPath, options);
    } catch (err) {
      // The server may have spent the token and its answer got lost: ask again, same token, same key.
      if (!(err instanceof ElcorpNetworkError) || this.#clock() - startedAt > refreshRetryWindowMs) throw err;
      await sleep(refreshRetryPauseMs);
      answer = await this.#transport.sendOnce('POST', refreshPath, options);
    }
    if (answer.status !== 200) throw apiErrorOf(answer, this.#clock());
    return storedTokensOf(resultOf<TokenPair>(answer), startedAt);
  }

  // --- auth

  register(input: RegisterInput): Promise<User> {
    return this.request('POST', '/api/v1/auth/register', { body: input, auth: false });
  }

  /** Signs in this device; the tokens go to the token store. */
  async login(input: LoginInput): Promise<LoginResult> {
    const issuedAt = this.#clock();
    const answer = await this.request<TokenPair & { user: User }>('POST', '/api/v1/auth/login', { body: input, auth: false });
    await this.#tokens.set(storedTokensOf(answer, issuedAt));
    return { user: answer.user, sessionId: answer.sessionId };
  }

  /** A new token pair now (it also happens by itself shortly before expiry or after a 401). */
  async refresh(): Promise<void> {
    await this.#tokens.refresh();
  }

  /**
   * Ends the session on the server and forgets the tokens. The tokens are forgotten even when
   * the call fails (the error is rethrown); a session already over (401) counts as logged out.
   */
  async logout(): Promise<void> {
    if (!(await this.#tokens.get())) return;
    try {
      await this.request('POST', '/api/v1/auth/logout');
    } catch (err) {
      if (!(isApiError(err) && err.status === 401)) throw err;
    } finally {
      await this.#tokens.clear();
    }
  }

  listSessions(): Promise<SessionList> {
    return this.request('GET', '/api/v1/auth/sessions');
  }

  revokeSession(sessionId: string): Promise<void> {
    return this.request('DELETE', `/api/v1/auth/sessions/${segment(sessionId)}`);
  }

  forgotPassword(email: string): Promise<void> {
    return this.request('POST', '/api/v1/auth/password/forgot', { body: { email }, auth: false });
  }

  resetPassword(input: { token: string; newPassword: string }): Promise<void> {
    return this.request('POST', '/api/v1/auth/password/reset', { body: input, auth: false });
  }

  /** Asks for an SMS code (a fallback second factor for accounts that also have TOTP). */
  requestSmsCode(input: { email: string; password: string }): Promise<void> {
    return this.request('POST', '/api/v1/auth/mfa/sms', { body: input, auth: false });
  }

  // --- the signed-in user

  me(): Promise<User> {
    return this.request('GET', '/api/v1/users/me');
  }

  updateMe(update: ProfileUpdate): Promise<User> {
    return this.request('PATCH', '/api/v1/users/me', { body: update });
  }

  /** Other sessions are revoked; this one stays. */
  changePassword(input: { currentPassword: string; newPassword: string }): Promise<void> {
    return this.request('POST', '/api/v1/users/me/password', { body: input });
  }

  setupTotp(): Promise<TotpSetup> {
    return this.request('POST', '/api/v1/users/me/mfa/totp');
  }

  confirmTotp(otp: string): Promise<RecoveryCodes> {
    return this.request('POST', '/api/v1/users/me/mfa/totp/confirm', { body: { otp } });
  }

  disableTotp(otp: string): Promise<void> {
    return this.request('DELETE', '/api/v1/users/me/mfa/totp', { body: { otp } });
  }

  /** GDPR erasure of the caller's account; every session ends, so the tokens are forgotten. */
  async eraseMe(password: string): Promise<ErasureReceipt> {
    const receipt = await this.request<ErasureReceipt>('DELETE', '/api/v1/users/me', { body: { password } });
    await this.#tokens.clear();
    return receipt;
  }

  // --- other users

  lookupUser(email: string): Promise<UserLookup> {
    return this.request('GET', '/api/v1/users/lookup', { query: { email } });
  }

  /** Needs `user:read`. */
  listUsers(query: UserQuery = {}): Promise<Page<User>> {
    return this.request('GET', '/api/v1/users', { query: { q: query.q, limit: query.limit, cursor: query.cursor } });
  }

  getUser(id: string): Promise<User> {
    return this.request('GET', `/api/v1/users/${segment(id)}`);
  }

  /** Needs `user:update`. */
  unlockUser(id: string): Promise<void> {
    return this.request('POST', `/api/v1/users/${segment(id)}/unlock`);
  }

  /** Needs `user:delete`. */
  eraseUser(id: string): Promise<ErasureReceipt> {
    return this.request('DELETE', `/api/v1/users/${segment(id)}`);
  }
}
