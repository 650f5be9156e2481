import type { BrokerNames } from '@elcorp/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { followEvents } from './follow.js';

/** The part of the kit's Infrastructure the follower needs: the connection, and where its stop is registered. */
export interface FollowerInfrastructure {
  nats?: NatsConnection;
  defer(closer: () => Promise<void>, name?: string): void;
}

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
const keyWithdrawalReplayMs = 60 * 60_000;

/**
 * Makes this process stop trusting identity's withdrawn signing keys as soon as identity
 * announces them (identity.signing_key.withdrawn), cached token verdicts included, rather than
 * at its next JWKS fetch (JWKS_MAX_AGE_MS). Every replica of the gateway and of each service
 * hears each withdrawal. With the broker away, the JWKS fetch still removes the keys. Its stop
 * is registered on `infra`, to run before the connections close.
 */
export async function followKeyWithdrawals(deps: { infra: FollowerInfrastructure; names: BrokerNames; keys: WithdrawableKeys; logger: Logger; retryDelayMs?: number }): Promise<void> {
  if (!deps.infra.nats) throw new Error('following key withdrawals needs the service to open NATS');
  const following = await followEvents({
    nats: deps.infra.nats,
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
  deps.infra.defer(() => following.stop(), 'key withdrawal listener');
}
