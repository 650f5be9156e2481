import { AppError, toProblem, type Logger } from '@elcorp/kit';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ConnectionsPerAddress } from '../domain/client-connections.js';
import type { TrustedProxies } from '../domain/client-address.js';
import { peerOfConnection } from './security.js';

export interface ClientConnectionLimits {
  /** Open client connections at most, in total (clientConnectionsMax of the configured limit). */
  total: number;
  /** Open connections at most from one address that is not a trusted proxy. */
  perAddress: number;
  trusted: TrustedProxies;
  metrics: Registry;
  logger: Logger;
}

/** Seconds a refused client is asked to wait: its own connections close within the request timeout. */
const retryAfterSeconds = 1;

/**
 * Holds the public listener to its connection limits. Past the total, the server closes a new
 * connection at once, before any JavaScript runs for it (Node's maxConnections). Past its
 * address's share, a client gets one 429 problem and the connection closes: a browser or a
 * crowd behind one NAT learns what happened, a dribbling attacker holds nothing past a short
 * linger. A trusted proxy's connections carry many clients and are not counted per address;
 * the proxy in front holds its own clients to theirs. Counting per connection, not per
 * request, costs nothing on a kept-alive connection's requests.
 */
export function limitClientConnections(server: Server, limits: ClientConnectionLimits): void {
  const refused = new Counter({
    name: 'gateway_connections_refused_total',
    help: 'Client connections closed on arrival: over the total limit, or over their address share',
    labelNames: ['reason'] as const,
    registers: [limits.metrics],
  });
  new Gauge({
    name: 'gateway_client_connections',
    help: 'Client connections open on the public listener, refused ones still closing included',
    registers: [limits.metrics],
    async collect() {
      this.set(await new Promise<number>((resolve) => server.getConnections((_err, count) => resolve(count))));
    },
  });
  server.maxConnections = limits.total;
  server.on('drop', () => refused.inc({ reason: 'total' }));

  const perAddress = new ConnectionsPerAddress(limits.perAddress);
  const refusal = refusalResponse(limits.perAddress);
  // node:http reads a connection from its own 'connection' listener on. A refused one never
  // reaches it, so no request on it is ever parsed, authenticated or forwarded.
  const serve = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const peer = peerOfConnection(socket, limits.trusted);
    if (!peer.trusted) {
      const subject = perAddress.admit(peer.address);
      if (subject === undefined) {
        refused.inc({ reason: 'address' });
        limits.logger.debug({ clientAddress: peer.address }, 'connection refused: address at its connection limit');
        refuse(socket, refusal);
        return;
      }
      socket.once('close', () => perAddress.release(subject));
    }
    for (const listener of serve) listener.call(server, socket);
  });
}

/** How long a refused connection stays open for its client to read the answer and close first. */
const lingerMs = 2_000;

/**
 * Answers and closes. What the client sent meanwhile is read and dropped: closing a socket
 * with unread data resets the connection, and the client could lose the answer with it. The
 * linger is a deadline, not an idle timeout: a client that keeps sending cannot keep it open.
 */
function refuse(socket: Socket, refusal: Buffer): void {
  const close = () => socket.destroy();
  const deadline = setTimeout(close, lingerMs).unref();
  socket.once('close', () => clearTimeout(deadline));
  socket.on('error', close);
  socket.on('end', close);
  socket.resume();
  socket.end(refusal);
}

/** The whole HTTP/1.1 answer to a connection over its address's share, made once. */
function refusalResponse(perAddress: number): Buffer {
  const problem = toProblem(
    new AppError(429, 'rate_limited', 'Too many requests', { detail: `at most ${perAddress} open connections per client address` }),
    '/',
  );
  const body = Buffer.from(JSON.stringify(problem));
  const head = [
    'HTTP/1.1 429 Too Many Requests',
    'content-type: application/problem+json',
    `retry-after: ${retryAfterSeconds}`,
    'connection: close',
    `content-length: ${body.length}`,
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]);
}
