import t from 'tap';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { testConfig, testNatsPrefix } from '../src/index.js';
import { uniqueSuffix } from '../src/unique.js';

t.test('deletes its streams and KV buckets at teardown, and only those', async (t) => {
  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const bystander = `OTHER${uniqueSuffix().toUpperCase()}`;
  await jsm.streams.add({ name: bystander, subjects: [`${bystander}.>`] });
  t.teardown(() => jsm.streams.delete(bystander));

  let prefix = '';
  await t.test('a test creating streams', async (t) => {
    const slice = await testNatsPrefix(t);
    prefix = slice.prefix;
    t.match(prefix, /^T[0-9A-F]{12}$/);
    t.equal(slice.url, testConfig.natsUrl);
    await jsm.streams.add({ name: `${prefix}_EVENTS`, subjects: [`${prefix}.events.>`] });
    // On the server a KV bucket is the stream KV_<bucket> on subjects $KV.<bucket>.>
    await jsm.streams.add({ name: `KV_${prefix}_bundle`, subjects: [`$KV.${prefix}_bundle.>`] });
  });
  const names: string[] = [];
  for await (const name of jsm.streams.names()) names.push(name);
  t.same(names.filter((name) => name.includes(prefix)), [], 'prefixed streams and buckets deleted');
  t.ok(names.includes(bystander), 'other streams untouched');
});
