// Messages between the out-of-process bench and its load generator (load.ts).

/** `gatewayB`: a second gateway build in front of the same identity (ab.ts only). */
export type Target = 'direct' | 'gateway' | 'gatewayB';

export interface Setup {
  identityUrl: string;
  gatewayUrl: string;
  /** The second gateway of an A/B run (ab.ts). */
  gatewayBUrl?: string;
  /** The htu every proof names: the gateway's public origin, which identity checks too. */
  publicBaseUrl: string;
  tag: string;
  users: number;
  clients: number;
  /** What each measured request is: GET /api/v1/users/me (default) or a transfer's POST with its JSON body (ab.ts). */
  request?: 'me' | 'transfer';
}

export type LoadCommand =
  | { cmd: 'setup'; setup: Setup }
  | { cmd: 'warm'; target: Target; ms: number }
  | { cmd: 'prepare-throughput'; target: Target; ms: number; expectedRate: number }
  | { cmd: 'prepare-sequential'; target: Target; warmup: number; samples: number }
  | { cmd: 'prepare-login'; ms: number; maxLogins: number; clients: number }
  /** One honest client logging in back to back, quiet then while `registrants` register long varied passwords. */
  | { cmd: 'registration-load'; ms: number; registrants: number }
  | { cmd: 'run' }
  | { cmd: 'close' };

export interface ThroughputResult {
  requests: number;
  seconds: number;
  rate: number;
  ranOut: boolean;
}

export type LoadReply =
  | { ok: true; throughput?: ThroughputResult; latenciesMs?: number[]; registrationLoad?: RegistrationLoadResult }
  | { ok: false; error: string };

export interface RegistrationLoadResult {
  /** Honest logins' latencies, sorted. */
  quietMs: number[];
  loadedMs: number[];
  registrations: { registered: number; refused503: number; other: number };
}
