import { ElcorpNotSignedInError, isCode } from './errors.js';

/** A signed-in client's tokens; `expiresAt` is the access token's expiry, ms since the epoch. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  expiresAt: number;
}

/** Where a client keeps its tokens. One client at a time should use a store. */
export interface TokenStore {
  load(): Promise<StoredTokens | undefined>;
  save(tokens: StoredTokens): Promise<void>;
  clear(): Promise<void>;
}

export class MemoryTokenStore implements TokenStore {
  #tokens: StoredTokens | undefined;

  async load(): Promise<StoredTokens | undefined> {
    return this.#tokens;
  }

  async save(tokens: StoredTokens): Promise<void> {
    this.#tokens = tokens;
  }

  async clear(): Promise<void> {
    this.#tokens = undefined;
  }
}

/** An access token this close to expiry is refreshed before it is sent. */
export const refreshBeforeExpiryMs = 30_000;

/**
 * The client's session: one in-flight refresh shared by every caller, and the answers that
 * mean the session is over (tokens cleared).
 */
export class Tokens {
  readonly #store: TokenStore;
  readonly #clock: () => number;
  readonly #exchange: (refreshToken: string) => Promise<StoredTokens>;
  #loading: Promise<void> | undefined;
  #loaded = false;
  #current: StoredTokens | undefined;
  #inflight: Promise<StoredTokens> | undefined;
  // Bumped by set/clear, so a refresh that finishes after a logout or login does not overwrite it.
  #generation = 0;

  constructor(store: TokenStore, clock: () => number, exchange: (refreshToken: string) => Promise<StoredTokens>) {
    this.#store = store;
    this.#clock = clock;
    this.#exchange = exchange;
  }

  async get(): Promise<StoredTokens | undefined> {
    this.#loading ??= this.#store.load().then((tokens) => {
      if (!this.#loaded) this.#current = tokens;
      this.#loaded = true;
    });
    await this.#loading;
    return this.#current;
  }

  async set(tokens: StoredTokens): Promise<void> {
    this.#generation += 1;
    this.#loaded = true;
    this.#current = tokens;
    await this.#store.save(tokens);
  }

  async clear(): Promise<void> {
    this.#generation += 1;
    this.#loaded = true;
    this.#current = undefined;
    await this.#store.clear();
  }

  /** The tokens to send now: refreshed first when the access token is (nearly) expired. */
  async forRequest(): Promise<StoredTokens | undefined> {
    const tokens = await this.get();
    if (this.#inflight) return this.#inflight;
    if (tokens && tokens.expiresAt - refreshBeforeExpiryMs <= this.#clock()) return this.refresh();
    return tokens;
  }

  /** After the API refused `rejectedAccessToken`: a newer pair, refreshing once if nobody has yet. */
  async afterRejection(rejectedAccessToken: string): Promise<StoredTokens | undefined> {
    const tokens = await this.get();
    if (this.#inflight) return this.#inflight;
    if (!tokens) return undefined;
    if (tokens.accessToken !== rejectedAccessToken) return tokens;
    return this.refresh();
  }

  /** Refreshes, or joins the refresh already running. */
  refresh(): Promise<StoredTokens> {
    this.#inflight ??= this.#runRefresh().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #runRefresh(): Promise<StoredTokens> {
    const tokens = await this.get();
    if (!tokens) throw new ElcorpNotSignedInError('not signed in: log in first');
    const generation = this.#generation;
    try {
      const next = await this.#exchange(tokens.refreshToken);
      if (generation === this.#generation) await this.set(next);
      return next;
    } catch (err) {
      if (isCode(err, 'identity.refresh_token_reused') || isCode(err, 'identity.invalid_refresh_token')) {
        if (generation === this.#generation) await this.clear();
      }
      throw err;
    }
  }
}
