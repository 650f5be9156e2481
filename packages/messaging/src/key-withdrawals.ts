import type { BrokerNames } from '@elcorp/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { followEvents, type Following } from './follow.js';

/** A verifier's copy of identity's key set (@elcorp/auth's RemoteJwks). */
export interface WithdrawableKeys {
  /** `current`: the key identity signs with now, which replaced them. */
  withdraw(kids: readonly string[], current: string): void;
}

/**
 * How far back a starting replica reads withdrawals. A key set it fetches at start may come
 * from an identity replica that still holds its key ring from before a withdrawal
 * (SIGNING_KEY_CACHE_SECONDS, at most an hour), so the withdrawals of that hour are heard again.
 */
export const keyWithdrawalReplayMs = 60 * 60_000;

/**
 * Makes this process stop trusting identity's withdrawn signing keys as soon as identity
 * announces them (identity.signing_key.withdrawn), cached token verdicts included, rather than
 * at its next JWKS fetch (JWKS_MAX_AGE_MS). Every replica of the gateway and of each service
 * hears each withdrawal. With the broker away, the JWKS fetch still removes the keys.
 */
export function followKeyWithdrawals(deps: { nats: NatsConnection; names: BrokerNames; keys: WithdrawableKeys; logger: Logger; retryDelayMs?: number }): Promise<Following> {
  return followEvents({
    nats: deps.nats,
    names: deps.names,
    type: 'identity.signing_key.withdrawn',
    replayMs: keyWithdrawalReplayMs,
    logger: deps.logger,
    ...(deps.retryDelayMs === undefined ? {} : { retryDelayMs: deps.retryDelayMs }),
    onEvent: (event) => {
      deps.keys.withdraw(event.data.kids, event.data.current);
      deps.logger.warn({ kids: event.data.kids, current: event.data.current }, 'identity withdrew signing keys; their tokens are refused from now on');
    },
  });
}
