import { testTokenIssuer } from '@elcorp/service-testing';
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { issueCheckpoint } from '../../src/application/checkpoints.js';
import { runGoVerifier } from './go-verifier.js';
import { event, openCompliance, registration, transfer, type Compliance } from './harness.js';
import { pdfText } from './pdf-text.js';

type Method = 'GET' | 'POST' | 'PATCH';
const base = '/api/v1/compliance';

interface Api {
  compliance: Compliance;
  /** Calls as a holder of these roles (none: anonymous). */
  as(roles: string[] | null): (method: Method, path: string, options?: { body?: unknown; headers?: Record<string, string> }) => Promise<LightMyRequestResponse>;
  userId: string;
}

async function openApi(t: Test): Promise<Api> {
  const issuer = await testTokenIssuer(t);
  const compliance = await openCompliance(t, { JWKS_URL: issuer.jwksUrl });
  const userId = crypto.randomUUID();
  return {
    compliance,
    userId,
    as(roles) {
      return async (method, path, options = {}) => {
        const token = roles ? await issuer.sign({ userId, roles }) : undefined;
        return compliance.app.inject({
          method,
          url: `${base}${path}`,
          headers: { ...(token ? { authorization: `DPoP ${token}` } : {}), ...options.headers },
          ...(options.body === undefined ? {} : { payload: options.body as object }),
        });
      };
    },
  };
}

function problem(t: Test, res: LightMyRequestResponse, status: number, code: string, what: string) {
  t.equal(res.statusCode, status, `${what}: ${status}`);
  t.equal(res.json().code, code, `${what}: ${code}`);
}

t.test('audit query, checkpoint, keys, proofs and verification', async (t) => {
  const api = await openApi(t);
  const staff = api.as(['staff']);
  const user = api.as(['user']);
  const anonymous = api.as(null);
  const ana = crypto.randomUUID();
  const registered = registration(ana, 'ana@example.na');
  const transfers = Array.from({ length: 5 }, () => transfer(ana));
  await api.compliance.append([registered, ...transfers]);
  await issueCheckpoint(api.compliance.deps);

  // GET /audit
  const page = await staff('GET', '/audit?type=payments.transfer.posted&limit=2');
  t.equal(page.statusCode, 200);
  t.equal(page.json().items.length, 2);
  t.match(page.json().items[0], { seq: Number, eventId: transfers[0]!.id, type: 'payments.transfer.posted', source: 'payments', occurredAt: String, recordedAt: String, actor: { userId: ana }, subject: { type: 'transfer' }, data: { amount: '125.50' }, leafHash: /^[0-9a-f]{64}$/ });
  const next = await staff('GET', `/audit?type=payments.transfer.posted&limit=2&cursor=${page.json().nextCursor}`);
  t.same(next.json().items.map((i: { eventId: string }) => i.eventId), [transfers[2]!.id, transfers[3]!.id], 'the cursor continues where the page ended');
  const byActor = await staff('GET', `/audit?actorId=${ana}&subjectId=${ana}`);
  t.same(byActor.json().items.map((i: { eventId: string }) => i.eventId), [registered.id], 'actor and subject filters');
  t.match(byActor.json().items[0].data, { email: 'ana@example.na' }, 'decrypted for the reader');
  const future = await staff('GET', `/audit?from=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
  t.same(future.json(), { items: [], nextCursor: null }, 'a time window');
  problem(t, await anonymous('GET', '/audit'), 401, 'auth.invalid_token', 'no token');
  problem(t, await user('GET', '/audit'), 403, 'authz.denied', 'without audit:view');
  problem(t, await staff('GET', '/audit?actorId=nobody'), 422, 'validation_failed', 'a malformed actorId');
  problem(t, await staff('GET', '/audit?colour=blue'), 422, 'validation_failed', 'an unknown parameter');
  problem(t, await staff('GET', '/audit?cursor=bm9wZQ'), 422, 'compliance.invalid_cursor', 'a forged cursor');

  // GET /audit/checkpoint (JSON and signed note), GET /audit/keys
  const checkpoint = await staff('GET', '/audit/checkpoint');
  t.equal(checkpoint.statusCode, 200);
  const head = checkpoint.json();
  t.match(head, { treeSize: Number, rootHash: /^[0-9a-f]{64}$/, issuedAt: String, keyId: /^[0-9a-f]{8}$/, note: String, signature: String });
  t.equal(head.note, `test.elcorp.na/audit\n${head.treeSize}\n${Buffer.from(head.rootHash, 'hex').toString('base64')}\n`);
  const note = await staff('GET', '/audit/checkpoint', { headers: { accept: 'text/plain' } });
  t.equal(note.statusCode, 200);
  t.match(note.headers['content-type'], /^text\/plain/);
  t.ok(note.body.startsWith(`${head.note}\n\u2014 test.elcorp.na/audit `));
  problem(t, await anonymous('GET', '/audit/checkpoint'), 401, 'auth.invalid_token', 'checkpoint without a token');
  problem(t, await user('GET', '/audit/checkpoint', { headers: { accept: 'text/plain' } }), 403, 'authz.denied', 'checkpoint without audit:view');
  const keys = await anonymous('GET', '/audit/keys');
  t.equal(keys.statusCode, 200, 'keys are public');
  const [key] = keys.json().keys;
  t.match(key, { keyId: head.keyId, jwk: { kty: 'OKP', crv: 'Ed25519', x: String, kid: head.keyId }, noteVerifierKey: `test.elcorp.na/audit+${head.keyId}+` });
  t.ok(
    (await import('node:crypto')).verify(null, Buffer.from(head.note), { key: { kty: 'OKP', crv: 'Ed25519', x: key.jwk.x }, format: 'jwk' }, Buffer.from(head.signature, 'base64')),
    'the JSON signature verifies with the published JWK',
  );

  // GET /audit/entries/{seq}/proof, GET /audit/consistency — checked by Go against the note
  const proof = await staff('GET', '/audit/entries/3/proof');
  t.equal(proof.statusCode, 200);
  t.match(proof.json(), { leafIndex: 2, treeSize: head.treeSize, leafHash: /^[0-9a-f]{64}$/, auditPath: Array });
  const consistency = await staff('GET', `/audit/consistency?from=2&to=${head.treeSize}`);
  t.equal(consistency.statusCode, 200);
  t.match(consistency.json(), { from: 2, to: head.treeSize, proof: Array });
  t.equal(
    await runGoVerifier({
      verifierKey: key.noteVerifierKey,
      signedNote: note.body,
      inclusion: { leafIndex: 2, leafHash: proof.json().leafHash, auditPath: proof.json().auditPath },
    }),
    'ok',
    'Go verifies the served inclusion proof against the served signed note',
  );
  problem(t, await staff('GET', '/audit/entries/999/proof'), 404, 'compliance.entry_not_found', 'an unknown entry');
  problem(t, await staff('GET', '/audit/entries/3/proof?treeSize=2'), 422, 'compliance.tree_size_out_of_range', 'a tree without the entry');
  problem(t, await staff('GET', '/audit/entries/abc/proof'), 422, 'validation_failed', 'a non-numeric sequence');
  problem(t, await user('GET', '/audit/entries/3/proof'), 403, 'authz.denied', 'proof without audit:view');
  problem(t, await staff('GET', '/audit/consistency?from=4&to=3'), 422, 'compliance.invalid_range', 'from after to');
  problem(t, await staff('GET', '/audit/consistency?from=1&to=9999'), 422, 'compliance.tree_size_out_of_range', 'beyond the log');
  problem(t, await staff('GET', '/audit/consistency?from=1'), 422, 'validation_failed', 'without to');
  problem(t, await user('GET', '/audit/consistency?from=1&to=2'), 403, 'authz.denied', 'consistency without audit:view');

  // POST /audit/verifications
  const verification = await staff('POST', '/audit/verifications');
  t.equal(verification.statusCode, 200);
  t.match(verification.json(), { valid: true, treeSize: Number, rootHash: /^[0-9a-f]{64}$/, firstInvalidSeq: null });
  problem(t, await user('POST', '/audit/verifications'), 403, 'authz.denied', 'verification without audit:view');
});

t.test('export streams JSON Lines or CSV to audit:export holders', async (t) => {
  const api = await openApi(t);
  const admin = api.as(['admin']);
  const ana = crypto.randomUUID();
  const events = [registration(ana, 'ana@example.na'), transfer(ana), transfer(ana)];
  await api.compliance.append(events);
  const jsonl = await admin('GET', '/audit/export?format=jsonl');
  t.equal(jsonl.statusCode, 200);
  t.match(jsonl.headers['content-type'], /^application\/x-ndjson/);
  t.match(jsonl.headers['content-disposition'], /^attachment; filename="audit-log-\d{4}-\d{2}-\d{2}\.jsonl"$/);
  const lines = jsonl.body.trim().split('\n').map((l) => JSON.parse(l));
  t.same(lines.filter((l) => events.some((e) => e.id === l.eventId)).map((l) => l.eventId), events.map((e) => e.id), 'every entry, in sequence order');
  t.match(lines.find((l) => l.eventId === events[0]!.id), { data: { email: 'ana@example.na' }, leafHash: /^[0-9a-f]{64}$/ });
  const csv = await admin('GET', '/audit/export?format=csv');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /^text\/csv/);
  const rows = csv.body.trim().split('\r\n');
  t.equal(rows[0], 'seq,eventId,type,version,source,occurredAt,recordedAt,subjectType,subjectId,actor,data,leafHash');
  t.ok(rows.some((r) => r.includes(events[1]!.id) && r.includes('payments.transfer.posted')), 'a transfer row');
  const windowed = await admin('GET', `/audit/export?format=jsonl&from=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
  t.equal(windowed.body, '', 'a window with nothing in it');
  problem(t, await api.as(['staff'])('GET', '/audit/export?format=csv'), 403, 'authz.denied', 'staff lack audit:export');
  problem(t, await admin('GET', '/audit/export?format=xml'), 422, 'validation_failed', 'an unknown format');
  problem(t, await api.as(null)('GET', '/audit/export?format=csv'), 401, 'auth.invalid_token', 'no token');
});

t.test('incidents: open, list, read with history, move through states', async (t) => {
  const api = await openApi(t);
  const staff = api.as(['staff']);
  const created = await staff('POST', '/incidents', { body: { title: 'Ledger drift', description: 'Reconciliation found a mismatch', severity: 'high' } });
  t.equal(created.statusCode, 201);
  const incident = created.json();
  t.match(incident, { id: String, title: 'Ledger drift', severity: 'high', status: 'open', rootCause: null, remediation: null, openedBy: api.userId, resolvedAt: null });
  await staff('POST', '/incidents', { body: { title: 'Second', description: 'd', severity: 'low' } });
  const list = await staff('GET', '/incidents?limit=1');
  t.equal(list.statusCode, 200);
  t.equal(list.json().items[0].title, 'Second', 'newest first');
  const rest = await staff('GET', `/incidents?limit=1&cursor=${list.json().nextCursor}`);
  t.equal(rest.json().items[0].id, incident.id);
  t.same((await staff('GET', '/incidents?status=resolved')).json().items, [], 'filtered by status');

  const investigating = await staff('PATCH', `/incidents/${incident.id}`, { body: { status: 'investigating' } });
  t.equal(investigating.statusCode, 200);
  t.equal(investigating.json().status, 'investigating');
  problem(t, await staff('PATCH', `/incidents/${incident.id}`, { body: { status: 'resolved' } }), 422, 'compliance.resolution_incomplete', 'resolving without root cause');
  problem(t, await staff('PATCH', `/incidents/${incident.id}`, { body: { status: 'closed' } }), 409, 'compliance.invalid_transition', 'closing before resolving');
  const resolved = await staff('PATCH', `/incidents/${incident.id}`, { body: { status: 'resolved', rootCause: 'a stale replica', remediation: 'replica rebuilt' } });
  t.equal(resolved.statusCode, 200);
  t.match(resolved.json(), { status: 'resolved', rootCause: 'a stale replica', remediation: 'replica rebuilt', resolvedAt: String });
  const read = await staff('GET', `/incidents/${incident.id}`);
  t.equal(read.statusCode, 200);
  t.same(read.json().history.map((h: { status: string }) => h.status), ['open', 'investigating', 'resolved']);
  t.match(read.json().history[2], { note: 'root cause: a stale replica; remediation: replica rebuilt', by: api.userId });
  const announced = await api.compliance.query<{ type: string; payload: { data: { status: string } } }>(
    "SELECT type, payload FROM outbox WHERE type LIKE 'compliance.incident.%' AND payload -> 'subject' ->> 'id' = $1 ORDER BY created_at, id",
    [incident.id],
  );
  t.same(announced.map((o) => `${o.type}:${o.payload.data.status}`), ['compliance.incident.opened:open', 'compliance.incident.updated:investigating', 'compliance.incident.resolved:resolved']);

  problem(t, await staff('POST', '/incidents', { body: { title: 'x', description: 'y', severity: 'apocalyptic' } }), 422, 'validation_failed', 'an unknown severity');
  problem(t, await staff('GET', `/incidents/${crypto.randomUUID()}`), 404, 'compliance.incident_not_found', 'an unknown incident');
  problem(t, await staff('PATCH', `/incidents/${crypto.randomUUID()}`, { body: { status: 'investigating' } }), 404, 'compliance.incident_not_found', 'patching an unknown incident');
  problem(t, await api.as(['user'])('POST', '/incidents', { body: { title: 'x', description: 'y', severity: 'low' } }), 403, 'authz.denied', 'without incident:manage');
  problem(t, await api.as(['user'])('GET', '/incidents'), 403, 'authz.denied', 'listing without incident:manage');
});

t.test('SLA breaches from governance events', async (t) => {
  const api = await openApi(t);
  const staff = api.as(['staff']);
  const requestId = crypto.randomUUID();
  await api.compliance.append([
    event('governance.request.sla_breached', { subject: { type: 'request', id: requestId }, actor: null, data: { requestId, slaDeadline: '2026-11-30T08:00:00.000Z', overdueBy: 7200 } }),
  ]);
  const page = await staff('GET', '/sla/breaches');
  t.equal(page.statusCode, 200);
  t.match(page.json(), { items: [{ requestId, slaDeadline: '2026-11-30T08:00:00.000Z', overdueBy: 7200, breachedAt: String }], nextCursor: null });
  t.same((await staff('GET', `/sla/breaches?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).json().items, [], 'a window before it');
  problem(t, await staff('GET', '/sla/breaches?from=yesterday'), 422, 'validation_failed', 'a malformed date');
  problem(t, await api.as(['user'])('GET', '/sla/breaches'), 403, 'authz.denied', 'without audit:view');
});

t.test('reports are generated asynchronously as JSON, CSV and PDF', async (t) => {
  const api = await openApi(t);
  const admin = api.as(['admin']);
  const ana = crypto.randomUUID();
  const transfers = [transfer(ana), transfer(ana)];
  await api.compliance.append(transfers);
  const window = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };

  const outputs: Record<string, Buffer> = {};
  for (const format of ['json', 'csv', 'pdf'] as const) {
    const requested = await admin('POST', '/reports', { body: { type: 'transactions', format, ...window } });
    t.equal(requested.statusCode, 202);
    t.match(requested.json(), { id: String, status: 'queued' });
    const { id } = requested.json();
    await api.compliance.settledEvent({ type: 'compliance.report.generated', subjectId: id });
    const status = await admin('GET', `/reports/${id}`);
    t.match(status.json(), { id, type: 'transactions', format, status: 'completed', progress: 100, completedAt: String });
    const content = await admin('GET', `/reports/${id}/content`);
    t.equal(content.statusCode, 200);
    outputs[format] = content.rawPayload;
  }
  const json = JSON.parse(outputs['json']!.toString());
  t.same(json.rows.map((r: { transferId: string }) => r.transferId).sort(), transfers.map((e) => e.data.transferId).sort());
  t.match(outputs['csv']!.toString(), /^seq,occurredAt,type,transferId,amount,currency\r\n/);
  const text = await pdfText(outputs['pdf']!);
  t.match(text, /Elcorp — Transactions report/, 'the PDF renders its title');
  for (const e of transfers) t.match(text, e.data.transferId, 'and each transfer');

  const list = await admin('GET', '/reports?limit=2');
  t.equal(list.json().items.length, 2);
  problem(t, await admin('POST', '/reports', { body: { type: 'transactions', format: 'pdf', from: window.to, to: window.from } }), 422, 'compliance.invalid_range', 'from after to');
  problem(t, await admin('POST', '/reports', { body: { type: 'gossip', format: 'pdf', ...window } }), 422, 'validation_failed', 'an unknown type');
  problem(t, await admin('GET', `/reports/${crypto.randomUUID()}`), 404, 'compliance.report_not_found', 'an unknown report');
  const failed = crypto.randomUUID();
  await api.compliance.query(
    "INSERT INTO reports (id, type, format, range_from, range_to, status, requested_by, created_at, error) VALUES ($1, 'sla', 'csv', now(), now(), 'failed', $2, now(), 'generation failed')",
    [failed, api.userId],
  );
  problem(t, await admin('GET', `/reports/${failed}/content`), 409, 'compliance.report_not_ready', 'content of a failed report');
  problem(t, await api.as(['staff'])('POST', '/reports', { body: { type: 'sla', format: 'json', ...window } }), 403, 'authz.denied', 'staff lack report:generate');
});
