import { ConfigError } from '@elcorp/kit';
import t from 'tap';
import { loadComplianceConfig } from '../../src/config.js';
import { parseRetentionRules, retentionCutoff, retentionDaysOf, type RetentionPolicy } from '../../src/domain/retention.js';

t.test('parses type and family rules, spaces and empty entries tolerated', async (t) => {
  t.same(parseRetentionRules(' identity.user.login_failed=90, payments.*=3650 ,,'), {
    ok: true,
    rules: [
      { pattern: 'identity.user.login_failed', days: 90 },
      { pattern: 'payments.*', days: 3650 },
    ],
  });
  t.same(parseRetentionRules(''), { ok: true, rules: [] }, 'no overrides: the default covers every type');
});

t.test('names every bad entry', async (t) => {
  const parsed = parseRetentionRules('payments.*=0,identity.user.login_failed,Bad.Type=30,a.*.b=5,x=1,x=2,y=99999999');
  t.same(parsed, {
    ok: false,
    errors: [
      '"payments.*=0": days must be between 1 and 36500',
      '"identity.user.login_failed" is not <type or family.*>=<days>',
      '"Bad.Type=30": "Bad.Type" is not an event type or a family such as payments.*',
      '"a.*.b=5": "a.*.b" is not an event type or a family such as payments.*',
      '"x=2": x is given twice',
      '"y=99999999" is not <type or family.*>=<days>',
    ],
  });
  t.match(parseRetentionRules(Array.from({ length: 101 }, (_, i) => `t${i}=1`).join(',')), { ok: false, errors: ['at most 100 rules'] });
});

t.test('the exact type wins over a family, a longer family over a shorter one, then the default', async (t) => {
  const policy: RetentionPolicy = {
    defaultDays: 3650,
    rules: [
      { pattern: 'identity.*', days: 730 },
      { pattern: 'identity.user.*', days: 400 },
      { pattern: 'identity.user.login_failed', days: 90 },
    ],
  };
  t.equal(retentionDaysOf(policy, 'identity.user.login_failed'), 90);
  t.equal(retentionDaysOf(policy, 'identity.user.registered'), 400);
  t.equal(retentionDaysOf(policy, 'identity.session.created'), 730);
  t.equal(retentionDaysOf(policy, 'identityx.thing'), 3650, 'a family matches at a dot boundary only');
  t.equal(retentionDaysOf(policy, 'payments.transfer.posted'), 3650);
  t.same(retentionCutoff(new Date('2030-01-11T00:00:00Z'), 10), new Date('2030-01-01T00:00:00Z'));
});

t.test('config: defaults a regulator accepts, and a bad override named by variable and entry', async (t) => {
  t.match(loadComplianceConfig({}), {
    COMPLIANCE_RETENTION_DAYS: 3650,
    COMPLIANCE_RETENTION_OVERRIDES: [{ pattern: 'identity.user.login_failed', days: 365 }],
    COMPLIANCE_ARCHIVAL_INTERVAL_MS: 3_600_000,
  });
  t.match(loadComplianceConfig({ COMPLIANCE_RETENTION_OVERRIDES: 'payments.*=3650,identity.user.login_failed=90' }).COMPLIANCE_RETENTION_OVERRIDES, [{ pattern: 'payments.*' }, { days: 90 }]);
  const bad = t.throws(() => loadComplianceConfig({ COMPLIANCE_RETENTION_OVERRIDES: 'payments.*=ten,ok.type=5', COMPLIANCE_RETENTION_DAYS: '0' }), ConfigError) as ConfigError;
  t.same(
    bad.issues.map((i) => `${i.variable}: ${i.message}`).sort(),
    ['COMPLIANCE_RETENTION_DAYS: Too small: expected number to be >=1', 'COMPLIANCE_RETENTION_OVERRIDES: "payments.*=ten" is not <type or family.*>=<days>'].sort(),
  );
});
