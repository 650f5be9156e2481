import { rateLimitSubjectOf } from './client-address.js';

/**
 * How many client connections the gateway holds open, in total and per address. Every open
 * connection costs a file descriptor and memory whether or not a request ever completes on it,
 * so one address dribbling half-sent requests could otherwise hold every descriptor the
 * process has: honest clients could no longer connect, and the gateway could no longer open
 * connections to its upstreams, which its circuit breakers would read as the upstreams' fault.
 */

/**
 * Descriptors the gateway keeps for itself beyond its upstream pools: standard streams, the
 * event loop's own, Redis and NATS (reconnects included), JWKS fetches, the operators'
 * listener and its scrapes. The process holds about 30 of these once started.
 */
export const reservedFileDescriptors = 128;

export interface ConnectionBudget {
  /** CLIENT_CONNECTIONS_MAX. */
  configuredMax: number;
  /** The process's open-files limit (RLIMIT_NOFILE), undefined where it cannot be read. */
  openFilesLimit: number | undefined;
  /** Connections the upstream pools may open together. */
  upstreamConnections: number;
}

/**
 * The most client connections the gateway accepts at once: what is configured, lowered to
 * what the open-files limit leaves once the upstream pools and the gateway's own descriptors
 * are set aside, so the listener runs out before the process does. Undefined when nothing is
 * left for clients: the process cannot serve under that limit.
 */
export function clientConnectionsMax({ configuredMax, openFilesLimit, upstreamConnections }: ConnectionBudget): number | undefined {
  if (openFilesLimit === undefined) return configuredMax;
  const left = openFilesLimit - upstreamConnections - reservedFileDescriptors;
  return left < 1 ? undefined : Math.min(configuredMax, left);
}

/**
 * Open connections per client, each held to `perAddressMax`. A client is what the per-address
 * rate limit counts (rateLimitSubjectOf): an IPv4 address, or an IPv6 /64, which one host
 * routinely holds whole.
 */
export class ConnectionsPerAddress {
  private readonly open = new Map<string, number>();

  constructor(private readonly perAddressMax: number) {}

  /**
   * Counts a new connection from `address`. Answers the subject to release when the connection
   * closes, or undefined (nothing counted) when the subject already holds its most.
   */
  admit(address: string): string | undefined {
    const subject = rateLimitSubjectOf(address);
    const held = this.open.get(subject) ?? 0;
    if (held >= this.perAddressMax) return undefined;
    this.open.set(subject, held + 1);
    return subject;
  }

  /** A connection `admit` counted has closed. */
  release(subject: string): void {
    const held = this.open.get(subject) ?? 0;
    if (held <= 1) this.open.delete(subject);
    else this.open.set(subject, held - 1);
  }

  /** Connections counted against the subject of `address` now. */
  heldBy(address: string): number {
    return this.open.get(rateLimitSubjectOf(address)) ?? 0;
  }
}
