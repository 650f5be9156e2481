import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { workspaceRoot } from './operator-cli.js';
import { freePort } from './ports.js';

/** The users infra/nats/nats.conf knows: one per service, the gateway's, the operators'. */
export const brokerUsers = ['identity', 'payments', 'governance', 'compliance', 'gateway', 'operator'] as const;
export type BrokerUser = (typeof brokerUsers)[number];

export const productionBrokerConfig = join(workspaceRoot, 'infra/nats/nats.conf');

export interface ProductionBroker {
  server: NatsServer;
  /** The server's monitoring endpoint (/healthz, /jsz), as compose's healthcheck reaches it. */
  monitorUrl: string;
  /** This broker's password of each user, as compose gives it to the service and the server. */
  passwords: Readonly<Record<BrokerUser, string>>;
}

/**
 * A private nats-server running the production configuration file as compose starts it: the
 * file itself, with only the ports and the store directory from the command line and a fresh
 * password per user in the server's environment (NATS_<USER>_PASSWORD).
 */
export async function startProductionBroker(t: Test): Promise<ProductionBroker> {
  // nats-server parses a variable's value as configuration: a leading digit would make it a
  // number, so a password is a letter then hex digits.
  const passwords = Object.fromEntries(brokerUsers.map((user) => [user, `p${randomBytes(16).toString('hex')}`])) as Record<BrokerUser, string>;
  const monitorPort = await freePort();
  const server = await startNatsServer(t, {
    args: ['-m', String(monitorPort), '-c', productionBrokerConfig],
    env: Object.fromEntries(brokerUsers.map((user) => [`NATS_${user.toUpperCase()}_PASSWORD`, passwords[user]])),
  });
  return { server, monitorUrl: `http://127.0.0.1:${monitorPort}`, passwords };
}
