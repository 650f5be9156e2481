import t from 'tap';
import { retryAfterSecondsOf } from '../src/answer.js';
import { ElcorpApiError, ElcorpError, ElcorpNetworkError, isApiError, isCode } from '../src/index.js';
import { backoffMs, isIdempotent, maxRetryWaitMs, retryWaitMs } from '../src/retry.js';

t.test('isCode narrows to the code; isApiError to the class', async (t) => {
  const err: unknown = new ElcorpApiError({ status: 423, code: 'identity.account_locked', title: 'Account locked', retryAfterSeconds: 900, requestId: 'r1' });
  t.ok(err instanceof ElcorpError);
  t.ok(isApiError(err));
  t.notOk(isApiError(new ElcorpNetworkError('down', { cause: new Error('x'), timedOut: false })));
  if (isCode(err, 'identity.account_locked')) {
    const code: 'identity.account_locked' = err.code;
    t.equal(code, 'identity.account_locked');
    t.equal(err.retryAfterSeconds, 900);
  } else {
    t.fail('should narrow');
  }
  t.ok(isCode(err, 'identity.account_locked' as string), 'any string is accepted');
  t.notOk(isCode(err, 'identity.invalid_otp'));
  t.notOk(isCode({ code: 'identity.account_locked' }, 'identity.account_locked'), 'a look-alike object is not an API error');
  t.equal((err as Error).message, '423 identity.account_locked: Account locked');
});

t.test('Retry-After: seconds, HTTP-date, garbage', async (t) => {
  const now = Date.parse('2026-05-01T10:00:00Z');
  t.equal(retryAfterSecondsOf('120', now), 120);
  t.equal(retryAfterSecondsOf(' 7 ', now), 7);
  t.equal(retryAfterSecondsOf('Fri, 01 May 2026 10:01:30 GMT', now), 90);
  t.equal(retryAfterSecondsOf('Fri, 01 May 2026 09:00:00 GMT', now), 0, 'a past date means now');
  t.equal(retryAfterSecondsOf('soon', now), undefined);
  t.equal(retryAfterSecondsOf(null, now), undefined);
});

t.test('retry policy', async (t) => {
  t.ok(['GET', 'HEAD', 'PUT', 'DELETE'].every(isIdempotent));
  t.notOk(['POST', 'PATCH'].some(isIdempotent));
  t.equal(backoffMs(0, () => 0), 50);
  t.equal(backoffMs(0, () => 1), 100);
  t.equal(backoffMs(3, () => 1), 800);
  t.equal(backoffMs(20, () => 1), 2000, 'capped');
  t.equal(retryWaitMs(2, 0), 2000, 'Retry-After wins over backoff');
  t.equal(retryWaitMs(maxRetryWaitMs / 1000, 0), maxRetryWaitMs);
  t.equal(retryWaitMs(maxRetryWaitMs / 1000 + 1, 0), undefined, 'too long: give up');
  const backoff = retryWaitMs(undefined, 1)!;
  t.ok(backoff >= 100 && backoff <= 200, `backoff without Retry-After: ${backoff}`);
});
