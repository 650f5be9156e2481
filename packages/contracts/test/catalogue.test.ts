import t from 'tap';
import { catalogue, createEvent, defaultStreamAges, envelopeSchema, hoursToMs, inboxRetentionMsFor, InvalidEventError, parseEvent, streamDefinitions, uuidv7 } from '../src/index.js';

const userId = '0192f0c4-0000-7000-8000-000000000001';

t.test('createEvent builds a valid v7-id envelope of the latest version', async (t) => {
  const event = createEvent('identity.user.registered', {
    subject: { type: 'user', id: userId },
    actor: null,
    data: { userId, email: 'ana@example.na', fullName: 'Ana N', phone: '+264811234567' },
  });
  t.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(event.source, 'identity');
  t.equal(event.version, 1);
  t.same(parseEvent(JSON.parse(JSON.stringify(event))), event, 'survives the wire');
});

t.test('parseEvent refuses what a consumer must dead-letter', async (t) => {
  const good = createEvent('payments.transfer.posted', {
    subject: { type: 'transfer', id: userId },
    actor: { userId },
    data: { transferId: userId, fromAccountId: userId, toAccountId: userId, amount: '10.00', currency: 'NAD' },
  });
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', 'hello', /expected object/],
    ['unknown type', { ...good, type: 'payments.transfer.teleported' }, /unknown event/],
    ['unknown version', { ...good, version: 9 }, /version 9/],
    ['wrong source', { ...good, source: 'identity' }, /cannot come from identity/],
    ['bad amount', { ...good, data: { ...good.data, amount: '10.5' } }, /data\.amount/],
    ['extra data field', { ...good, data: { ...good.data, admin: true } }, /data\./],
    ['bad id', { ...good, id: 'x' }, /id/],
  ];
  for (const [name, raw, reason] of cases) {
    const err = t.throws(() => parseEvent(raw), name) as InvalidEventError;
    t.ok(err instanceof InvalidEventError, name);
    t.match(err.reason, reason, name);
  }
});

// createEvent does not parse what it takes from the catalogue (type, version, source): each
// entry must be what the envelope accepts.
t.test('every catalogued type, version and source is what the envelope accepts', async (t) => {
  const { type, version, source } = envelopeSchema.shape;
  for (const d of catalogue) {
    t.ok(type.safeParse(d.type).success && version.safeParse(d.version).success && source.safeParse(d.source).success, `${d.type}@${d.version}`);
  }
});

t.test('createEvent refuses what a caller gives wrong: subject, actor, data, occurredAt', async (t) => {
  const transfer = { transferId: userId, fromAccountId: userId, toAccountId: userId, amount: '10.00', currency: 'NAD' as const };
  const good = { subject: { type: 'transfer', id: userId }, actor: { userId }, data: transfer };
  t.same(parseEvent(JSON.parse(JSON.stringify(createEvent('payments.transfer.posted', good)))).data, transfer, 'the control passes a consumer');
  const cases: Array<[string, unknown, RegExp]> = [
    ['subject without id', { ...good, subject: { type: 'transfer' } }, /^subject\.id: /],
    ['subject with an extra field', { ...good, subject: { ...good.subject, admin: true } }, /^subject: /],
    ['empty subject type', { ...good, subject: { type: '', id: userId } }, /^subject\.type: /],
    ['actor id not a uuid', { ...good, actor: { userId: 'root' } }, /^actor\.userId: /],
    ['actor missing', { subject: good.subject, data: transfer }, /^actor: /],
    ['bad amount', { ...good, data: { ...transfer, amount: '10.5' } }, /^data\.amount: /],
    ['extra data field', { ...good, data: { ...transfer, admin: true } }, /^data\.: Unrecognized key/],
    ['data not an object', { ...good, data: 'x' }, /^data/],
    ['occurredAt past year 9999', { ...good, occurredAt: new Date(Date.UTC(10_000, 0, 1)) }, /^occurredAt: /],
  ];
  for (const [name, event, reason] of cases) {
    const err = t.throws(() => createEvent('payments.transfer.posted', event as typeof good), name) as InvalidEventError;
    t.ok(err instanceof InvalidEventError, name);
    t.match(err.reason, reason, name);
  }
  t.throws(() => createEvent('payments.transfer.teleported' as 'payments.transfer.posted', good), /unknown event/);
  const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  t.equal(createEvent('payments.transfer.posted', { ...good, occurredAt: at }).occurredAt, '2026-01-02T03:04:05.006Z', 'a given time is kept');
});

t.test('every catalogued type is unique per version and its PII marks name real fields', async (t) => {
  const keys = new Set<string>();
  for (const d of catalogue) {
    const key = `${d.type}@${d.version}`;
    t.notOk(keys.has(key), key);
    keys.add(key);
    for (const field of d.pii) t.ok(field in d.data.shape, `${key} marks ${field}`);
  }
  // EVENTS.md lists 45 types, each at version 1 so far, and identity.signing_key.withdrawn is one more.
  t.equal(keys.size, 46, `catalogue has ${keys.size} event versions`);
  const registered = catalogue.find((d) => d.type === 'identity.user.registered');
  t.same(registered?.pii, ['email', 'fullName', 'phone']);
});

t.test('uuidv7 sorts by time', async (t) => {
  const a = uuidv7(1_700_000_000_000);
  const b = uuidv7(1_700_000_000_001);
  t.ok(a < b);
});

t.test('streams cover each context and dead letters under the given root', async (t) => {
  const streams = streamDefinitions({ root: 't1x' });
  t.same(streams.map((s) => s.name), ['T1X_IDENTITY', 'T1X_PAYMENTS', 'T1X_GOVERNANCE', 'T1X_COMPLIANCE', 'T1X_DLQ']);
  t.same(streams[0]?.subjects, ['t1x.identity.>']);
  t.ok(streams.every((s) => s.duplicateWindowMs >= 120_000));
});

t.test('stream ages: hours from configuration, and an inbox that outlives every way an event can come back', async (t) => {
  t.equal(hoursToMs(168), 7 * 24 * 3_600_000);
  const ages = { eventMaxAgeMs: hoursToMs(48), deadLetterMaxAgeMs: hoursToMs(72) };
  t.equal(inboxRetentionMsFor(ages), hoursToMs(48 + 72 + 24), 'redelivery, then replay from the DLQ, plus a day');
  t.ok(inboxRetentionMsFor(defaultStreamAges) > defaultStreamAges.eventMaxAgeMs + defaultStreamAges.deadLetterMaxAgeMs);
  const [identity, , , , dlq] = streamDefinitions({ root: 't2x' }, undefined, ages);
  t.equal(identity?.maxAgeMs, hoursToMs(48));
  t.equal(dlq?.maxAgeMs, hoursToMs(72));
});
