import { testTokenIssuer } from '@elcorp/service-testing';
import { Readable } from 'node:stream';
import t from 'tap';
import { archiveExpiredEntries } from '../../src/application/archive-entries.js';
import { queryAudit } from '../../src/application/audit-query.js';
import { issueCheckpoint, latestCheckpoint, latestSignedNote } from '../../src/application/checkpoints.js';
import { exportAudit } from '../../src/application/export-audit.js';
import { consistencyProof, inclusionProof } from '../../src/application/proofs.js';
import { verifyExport } from '../../src/application/verify-export.js';
import { verifyLog } from '../../src/application/verify-log.js';
import type { RetentionPolicy } from '../../src/domain/retention.js';
import { verifyConsistency, verifyInclusion } from '../../src/domain/merkle.js';
import { event, openCompliance, registration, transfer } from './harness.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const dayMs = 86_400_000;
/** The production defaults: ten years, failed logins one year. */
const policy: RetentionPolicy = { defaultDays: 3_650, rules: [{ pattern: 'identity.user.login_failed', days: 365 }, { pattern: 'identity.*', days: 730 }] };

function loginFailed(ip = '203.0.113.9') {
  return event('identity.user.login_failed', { subject: { type: 'email', id: 'hash-1' }, actor: null, data: { emailHash: 'hash-1', reason: 'invalid_credentials', ip } });
}

/** The deps with the clock moved `days` ahead: entries age without waiting. */
const later = <D extends { now: () => Date }>(deps: D, days: number): D => ({ ...deps, now: () => new Date(Date.now() + days * dayMs) });

t.test('archival moves only entries past their type\'s retention; proofs signed before it still verify', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  const userId = crypto.randomUUID();
  // seq 1 registration (identity.*: 730 days), 2-3 failed logins (365), 4-6 transfers (default 3650)
  await compliance.append([registration(userId, 'ana@example.na'), loginFailed(), loginFailed(), transfer(userId), transfer(userId), transfer(userId)]);
  const before = (await issueCheckpoint(deps))!;
  const proofsBefore = await Promise.all([1, 2, 3, 4].map((seq) => inclusionProof(deps, seq)));

  t.same(await archiveExpiredEntries(later(deps, 364), policy), { ran: true, archived: 0, unmatched: [] }, 'nothing is past retention yet');
  t.same(await archiveExpiredEntries(later(deps, 366), policy), { ran: true, archived: 2, unmatched: [] }, 'the failed logins after a year');
  t.same(await archiveExpiredEntries(later(deps, 731), policy), { ran: true, archived: 1, unmatched: [] }, 'the identity family after two years');
  const rows = await compliance.query<{ seq: string; data: unknown; archived: boolean; actor: unknown }>('SELECT seq, data, archived_at IS NOT NULL AS archived, actor FROM audit_entries ORDER BY seq');
  t.same(rows.map((r) => r.archived), [true, true, true, false, false, false], 'transfers stay live (ten years)');
  t.same(rows.slice(0, 3).map((r) => r.data), [null, null, null], 'archived rows keep no data');
  t.same(rows[0]!.actor, { userId }, 'nor the sealed address and user agent of their actor');
  const archive = await compliance.query<{ seq: string }>('SELECT seq FROM archived_entries ORDER BY seq');
  t.same(archive.map((r) => Number(r.seq)), [1, 2, 3]);

  // The tree is untouched: proofs taken before archival, and fresh ones, check against the old signed root.
  for (const [i, seq] of [1, 2, 3, 4].entries()) {
    const proof = await inclusionProof(deps, seq, before.treeSize);
    t.same(proof, proofsBefore[i], `entry ${seq}'s proof is unchanged`);
    t.ok(verifyInclusion(proof.leafIndex, before.treeSize, hex(proof.leafHash), proof.auditPath.map(hex), hex(before.rootHash)), `entry ${seq} is included in the checkpoint signed before archival`);
  }
  await compliance.append([transfer(userId), loginFailed()]);
  const after = (await issueCheckpoint(deps))!;
  const consistency = await consistencyProof(deps, before.treeSize, after.treeSize);
  t.ok(verifyConsistency(before.treeSize, after.treeSize, hex(before.rootHash), hex(after.rootHash), consistency.proof.map(hex)), 'the log before archival is a prefix of the log after');
  t.match(await verifyLog(deps), { valid: true, firstInvalidSeq: null, treeSize: after.treeSize, rootHash: (await latestCheckpoint(deps)).rootHash }, 'full verification recomputes archived leaves from the archive');

  // The query says "archived" and shows no data; the export reads the entry back whole.
  const page = await queryAudit(deps, {}, { limit: 3 });
  t.match(page.items[0], { seq: 1, archived: true, data: {}, actor: { userId }, leafHash: proofsBefore[0]!.leafHash });
  const live = await queryAudit(deps, { type: 'payments.transfer.posted' }, { limit: 1 });
  t.notOk('archived' in live.items[0]!, 'a live entry has no archived flag');
  const lines: string[] = [];
  for await (const line of exportAudit(deps, 'jsonl', {})) lines.push(line);
  const exported = lines.map((l) => JSON.parse(l) as { seq: number; archived?: boolean; data: Record<string, unknown>; actor: unknown });
  t.match(exported[0], { seq: 1, archived: true, data: { email: 'ana@example.na', fullName: 'Ndapewa Shikongo' }, actor: { userId, ip: '198.51.100.7' } }, 'decrypted from the archive');
  t.match(exported[1], { seq: 2, archived: true, data: { ip: '203.0.113.9', reason: 'invalid_credentials' } });
  t.notOk('archived' in exported[3]!, 'live entries carry no archived flag');
  const [key] = await deps.signer.published();
  const verdict = await verifyExport(Readable.from(lines), await latestSignedNote(deps), [key!.noteVerifierKey]);
  t.same(verdict, { valid: true, treeSize: after.treeSize }, 'the export, archived entries included, passes `elcorp audit verify` against the signed checkpoint');

  // Erasure still shreds archived PII: the archive holds only ciphertext.
  await compliance.append([event('identity.user.erased', { subject: { type: 'user', id: userId }, actor: null, data: { userId, by: userId } })]);
  const erased: string[] = [];
  for await (const line of exportAudit(deps, 'jsonl', { type: 'identity.user.registered' })) erased.push(line);
  t.match(JSON.parse(erased[0]!), { seq: 1, archived: true, data: { email: '[erased]' } });
});

t.test('the appending role cannot use archival to change or hide an entry', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  await compliance.append([loginFailed(), loginFailed(), transfer(crypto.randomUUID())]);
  await t.rejects(compliance.query('UPDATE audit_entries SET data = NULL, archived_at = now() WHERE seq = 1'), /append-only: UPDATE refused/, 'no stripping without an archive');
  await compliance.query(`INSERT INTO archived_entries (seq, leaf_input, archived_at) VALUES (2, convert_to('{"forged":true}', 'UTF8'), now())`);
  t.equal((await compliance.query<{ n: number }>('SELECT archive_audit_entries(ARRAY[1, 2]::bigint[]) AS n'))[0]!.n, 0, 'a forged archive strips nothing');
  await t.rejects(compliance.query('UPDATE audit_entries SET data = NULL, actor = NULL, archived_at = now() WHERE seq = 2'), /append-only: UPDATE refused/, 'nor does a direct update against it');
  t.same(await archiveExpiredEntries(later(compliance.deps, 400), policy), { ran: true, archived: 1, unmatched: [2] }, 'the job archives the genuine expired entry and reports the forged one');
  const grants = await compliance.query<{ privilege_type: string }>(
    `SELECT a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a WHERE c.relnamespace = $1::regnamespace AND c.relname IN ('audit_entries', 'archived_entries') AND a.grantee = c.relowner
     UNION ALL
     SELECT a.privilege_type FROM pg_attribute t CROSS JOIN LATERAL aclexplode(t.attacl) a WHERE t.attrelid = ($1 || '.audit_entries')::regclass AND a.privilege_type = 'UPDATE'`,
    [compliance.schema],
  );
  t.same(grants.filter((g) => ['UPDATE', 'DELETE', 'TRUNCATE'].includes(g.privilege_type)), [], 'after archival the appending role still holds no UPDATE, DELETE or TRUNCATE, not even on a column');
});

t.test('verification recomputes archived entries from the archive and names a tampered one', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  for (let i = 0; i < 4; i++) await compliance.append([loginFailed(), transfer(crypto.randomUUID()), loginFailed()]);
  await issueCheckpoint(deps);
  t.match(await archiveExpiredEntries(later(deps, 400), policy, { batchSize: 3 }), { ran: true, archived: 8 }, 'in bounded batches');
  t.match(await verifyLog(deps), { valid: true, firstInvalidSeq: null });

  // The table owner lifts the archive's guard and rewrites failed login 7's reason.
  await compliance.query(`
    BEGIN;
    ALTER TABLE archived_entries DISABLE TRIGGER archived_entries_append_only;
    UPDATE archived_entries SET leaf_input = convert_to(replace(convert_from(leaf_input, 'UTF8'), 'invalid_credentials', 'locked'), 'UTF8') WHERE seq IN (7, 9);
    ALTER TABLE archived_entries ENABLE TRIGGER archived_entries_append_only;
    COMMIT;`);
  t.match(await verifyLog(deps), { valid: false, firstInvalidSeq: 7 }, 'names the first tampered archived entry');
  await t.rejects(compliance.query('DELETE FROM archived_entries WHERE seq = 7'), /append-only: DELETE refused/);
  await t.rejects(compliance.query('UPDATE audit_entries SET archived_at = now() WHERE seq = 2'), /append-only: UPDATE refused/);
});

t.test('two replicas racing archive each entry once', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  for (let i = 0; i < 10; i++) await compliance.append(Array.from({ length: 30 }, () => loginFailed()));
  const aged = later(deps, 400);
  const runs = await Promise.all([archiveExpiredEntries(aged, policy, { batchSize: 50 }), archiveExpiredEntries(aged, policy, { batchSize: 50 })]);
  t.equal(runs[0]!.archived + runs[1]!.archived, 300, 'every expired entry archived, none twice');
  const counts = (await compliance.query<{ archived: string; live: string }>('SELECT count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived, count(*) FILTER (WHERE archived_at IS NULL) AS live FROM audit_entries'))[0]!;
  t.same(counts, { archived: '300', live: '0' });
  t.equal((await compliance.query<{ n: string }>('SELECT count(*) AS n FROM archived_entries'))[0]!.n, '300');
  t.match(await archiveExpiredEntries(aged, policy), { ran: true, archived: 0 }, 'a later run finds nothing left');
});

t.test('over HTTP: the query marks archived entries, the export carries them whole, verification passes', async (t) => {
  const issuer = await testTokenIssuer(t);
  const compliance = await openCompliance(t, { JWKS_URL: issuer.jwksUrl }, { consume: false });
  const admin = async (path: string) =>
    compliance.app.inject({ method: path.startsWith('/audit/verifications') ? 'POST' : 'GET', url: `/api/v1/compliance${path}`, headers: { authorization: `DPoP ${await issuer.sign({ userId: crypto.randomUUID(), roles: ['admin'] })}` } });
  await compliance.append([loginFailed('192.0.2.44'), transfer(crypto.randomUUID())]);
  await issueCheckpoint(compliance.deps);
  t.match(await archiveExpiredEntries(later(compliance.deps, 400), policy), { archived: 1 });

  const page = await admin('/audit?limit=10');
  t.equal(page.statusCode, 200);
  const [archived, live] = page.json().items as Array<Record<string, unknown>>;
  t.match(archived, { seq: 1, type: 'identity.user.login_failed', archived: true, data: {} }, 'the response schema keeps the archived flag');
  t.same(archived!['data'], {});
  t.notOk('archived' in live!, 'a live entry has none');
  const exported = await admin('/audit/export?format=jsonl');
  t.equal(exported.statusCode, 200);
  t.match(JSON.parse(exported.body.split('\n')[0]!), { seq: 1, archived: true, data: { ip: '192.0.2.44' } });
  t.match((await admin('/audit/verifications')).json(), { valid: true, treeSize: 2, firstInvalidSeq: null });
});
