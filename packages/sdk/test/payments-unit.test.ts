// What the payments methods do on the wire when the server misbehaves, against a tiny local
// server (the real fleet's answers are in payments.test.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ElcorpClient, ElcorpError, ElcorpNetworkError, maxPageLimit, type Page } from '../src/index.js';
import { eachItem } from '../src/pages.js';

async function localServer(t: Test, handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ baseUrl: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    request.resume().on('end', () => {
      seen.push(request);
      handler(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.closeAllConnections());
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const transfer = { id: '01900000-0000-7000-8000-000000000001', status: 'posted' };
const input = { fromAccountId: transfer.id, to: { userId: transfer.id }, amount: '1.00', currency: 'NAD' } as const;

t.test('a money-moving POST is retried after 503 with the same key, and says when the answer was replayed', async (t) => {
  const { baseUrl, seen } = await localServer(t, (_request, response) => {
    if (seen.length === 1) {
      response.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' }).end(JSON.stringify({ code: 'upstream_unavailable', title: 'x', status: 503 }));
      return;
    }
    response.writeHead(201, { 'content-type': 'application/json', 'idempotent-replayed': 'true' }).end(JSON.stringify(transfer));
  });
  const client = new ElcorpClient({ baseUrl, retries: 1 });
  const sent = await client.payments.transfer(input);
  t.same(sent, { result: transfer, idempotencyKey: sent.idempotencyKey, replayed: true });
  t.match(sent.idempotencyKey, /^[0-9a-f-]{36}$/, 'a UUID by default');
  t.same(
    seen.map((request) => [request.method, request.url, request.headers['idempotency-key']]),
    [
      ['POST', '/api/v1/payments/transfers', sent.idempotencyKey],
      ['POST', '/api/v1/payments/transfers', sent.idempotencyKey],
    ],
    'both attempts carry the same key',
  );
});

t.test('a network error carries the key, so the caller can repeat the call without paying twice', async (t) => {
  const { baseUrl } = await localServer(t, (_request, response) => response.socket?.destroy());
  const client = new ElcorpClient({ baseUrl, retries: 0 });
  const err = await client.payments.deposit({ accountId: transfer.id, amount: '1.00', currency: 'NAD', reference: 'x' }, { idempotencyKey: 'till-7/slip-42' }).catch((e: unknown) => e);
  t.type(err, ElcorpNetworkError);
  t.match(err, { idempotencyKey: 'till-7/slip-42' });
  await t.rejects(client.payments.deposit({ accountId: transfer.id, amount: '1.00', currency: 'NAD', reference: 'x' }, { idempotencyKey: 'has space' }), TypeError);
});

t.test('receiptPdf asks for a PDF and refuses anything else', async (t) => {
  const { baseUrl, seen } = await localServer(t, (request, response) => {
    if (request.url!.includes('json')) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else response.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.from([0x25, 0x50, 0x44, 0x46, 0xff]));
  });
  const client = new ElcorpClient({ baseUrl });
  t.same([...(await client.payments.receiptPdf('pdf'))], [0x25, 0x50, 0x44, 0x46, 0xff], 'bytes kept as sent');
  t.equal(seen[0]!.headers.accept, 'application/pdf');
  await t.rejects(client.payments.receiptPdf('json'), ElcorpError);
});

t.test('eachItem: bounded page size, every page once, a repeated cursor stops it', async (t) => {
  const pages: Record<string, Page<number>> = { start: { items: [1, 2], nextCursor: 'b' }, b: { items: [3], nextCursor: null } };
  const asked: Array<{ limit: number; cursor?: string }> = [];
  const fetchPage = async (page: { limit: number; cursor?: string }) => {
    asked.push(page);
    return pages[page.cursor ?? 'start']!;
  };
  const all: number[] = [];
  for await (const n of eachItem({}, fetchPage)) all.push(n);
  t.same(all, [1, 2, 3]);
  t.same(asked, [{ limit: maxPageLimit }, { limit: maxPageLimit, cursor: 'b' }], 'the largest page API.md allows, by default');

  for (const limit of [0, 101, 1.5]) await t.rejects(eachItem({ limit }, fetchPage).next(), RangeError, `limit ${limit}`);
  const loop = eachItem({ limit: 1 }, async () => ({ items: [0], nextCursor: 'same' }));
  await t.rejects(async () => {
    for await (const _ of loop);
  }, ElcorpError);
});
