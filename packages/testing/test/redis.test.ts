import t from 'tap';
import { Redis } from 'ioredis';
import { testConfig, testRedisPrefix } from '../src/index.js';
import { uniqueSuffix } from '../src/unique.js';

t.test('deletes every key with its prefix at teardown, and only those', async (t) => {
  const redis = new Redis(testConfig.redisUrl);
  t.teardown(() => redis.quit());
  const bystander = `test:${uniqueSuffix()}:survivor`;
  await redis.set(bystander, '1');
  t.teardown(() => redis.del(bystander));

  let prefix = '';
  // More keys than one SCAN step returns, so cleanup has to follow the cursor.
  const keyCount = 1_234;
  await t.test('a test writing keys', async (t) => {
    const slice = await testRedisPrefix(t);
    prefix = slice.prefix;
    t.match(prefix, /^test:[0-9a-f]{12}:$/);
    t.equal(slice.url, testConfig.redisUrl);
    const batch = redis.pipeline();
    for (let i = 0; i < keyCount; i++) batch.set(`${prefix}k${i}`, String(i));
    await batch.exec();
    t.equal((await redis.keys(`${prefix}*`)).length, keyCount);
  });
  t.same(await redis.keys(`${prefix}*`), [], 'prefixed keys deleted');
  t.equal(await redis.get(bystander), '1', 'other keys untouched');
});
