import { eventSubject, type DomainEvent } from '@elcorp/contracts';
import { testConfig } from '@elcorp/testing';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import t from 'tap';
import { queryAudit } from '../../src/application/audit-query.js';
import { issueCheckpoint } from '../../src/application/checkpoints.js';
import { verifyLog } from '../../src/application/verify-log.js';
import { event, openCompliance, registration, transfer } from './harness.js';

t.test('the audit consumers log every event of every stream once, and act on erasures and SLA breaches', async (t) => {
  const compliance = await openCompliance(t);
  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const js = jetstream(nc);
  const names = { root: compliance.subjectRoot };
  const publish = (e: DomainEvent) => js.publish(eventSubject(names, e.type), JSON.stringify(e), { msgID: e.id });

  const ana = crypto.randomUUID();
  const requestId = crypto.randomUUID();
  const events: DomainEvent[] = [
    registration(ana, 'ana@example.na'),
    transfer(ana),
    event('governance.request.sla_breached', { subject: { type: 'request', id: requestId }, actor: null, data: { requestId, slaDeadline: '2026-11-30T08:00:00.000Z', overdueBy: 3600 } }),
    event('compliance.incident.opened', { subject: { type: 'incident', id: requestId }, actor: { userId: ana }, data: { incidentId: requestId, severity: 'low', status: 'open' } }),
  ];
  for (const e of events) await publish(e);
  await publish(events[1]!); // the broker drops this duplicate by its Nats-Msg-Id
  for (const e of events) await compliance.settledEvent({ id: e.id });
  const logged = await queryAudit(compliance.deps, {}, { limit: 100 });
  t.same(
    events.map((e) => e.id).every((id) => logged.items.some((i) => i.eventId === id)),
    true,
    'identity, payments, governance and compliance events are all in the log',
  );
  const breaches = await compliance.query<{ request_id: string; overdue_by: string }>('SELECT request_id, overdue_by FROM sla_breaches');
  t.same(breaches, [{ request_id: requestId, overdue_by: '3600' }]);

  const erased = event('identity.user.erased', { subject: { type: 'user', id: ana }, actor: { userId: ana }, data: { userId: ana, by: ana } });
  await publish(erased);
  await compliance.settledEvent({ id: erased.id });
  const after = await queryAudit(compliance.deps, { type: 'identity.user.registered' }, { limit: 10 });
  t.match(after.items[0]!.data, { email: '[erased]' });
  // compliance.subject.erased goes out through the outbox and comes back into the log too.
  await compliance.settledEvent({ type: 'compliance.subject.erased' });
  const subjectErased = await queryAudit(compliance.deps, { type: 'compliance.subject.erased' }, { limit: 10 });
  t.match(subjectErased.items.map((i) => i.data), [{ userId: ana }]);
  t.match(await verifyLog(compliance.deps), { valid: true, firstInvalidSeq: null });
  const ids = (await compliance.query<{ event_id: string }>('SELECT event_id FROM audit_entries')).map((r) => r.event_id);
  t.equal(new Set(ids).size, ids.length, 'no event twice');

  await issueCheckpoint(compliance.deps);
  const metrics = (await compliance.app.inject({ method: 'GET', url: '/metrics' })).body;
  // Every series carries the registry's default label, service="compliance".
  const value = (name: string, labels = '') => Number(new RegExp(`^${name}\\{${labels}[^}]*\\} ([\\d.e+-]+)$`, 'm').exec(metrics)?.[1]);
  t.ok(value('elcorp_audit_appended_total') >= ids.length, 'every entry the consumers appended is counted');
  t.ok(value('elcorp_audit_append_batch_size_count') >= 1, 'batch sizes');
  t.ok(value('elcorp_audit_append_duration_seconds_count') >= 1, 'append time');
  t.equal(value('elcorp_consumer_processed_total', 'consumer="compliance-audit-payments",outcome="applied",'), 1, 'the audit durables report through the messaging metrics');
  t.equal(value('elcorp_consumer_lag', 'consumer="compliance-audit-identity",'), 0, 'and their lag');
  const logSize = value('elcorp_audit_log_entries');
  const checkpointSize = value('elcorp_audit_checkpoint_tree_size');
  t.ok(checkpointSize >= ids.length && checkpointSize <= logSize, "the latest checkpoint's tree size, within the log size");
  t.ok(value('elcorp_audit_checkpoint_age_seconds') >= 0, 'and its age');
});
