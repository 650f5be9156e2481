// The other process of the propagation bench: watches the bundle bucket like any service and
// prints "<version> <decision>" for the bench's probe request each time a bundle applies.
import { Authorizer, watchBundles } from '@elcorp/authz';
import { createLogger } from '@elcorp/kit';
import { connect } from '@nats-io/transport-node';

const [natsUrl, root, userId] = process.argv.slice(2) as [string, string, string];
const nc = await connect({ servers: natsUrl, name: 'governance-bench-watcher' });
// Its own authorizer, so the first bundle can be probed while watchBundles is still starting.
const authorizer = new Authorizer();
const probe = () => authorizer.decide({ principal: { userId, roles: ['user'] }, action: 'payment:create', resource: { type: 'Account', id: 'a-bench' } }).decision;
const watcher = await watchBundles(nc, { root }, {
  logger: createLogger({ service: 'bench-watcher', level: 'silent' }),
  authorizer,
  onApplied: (version) => process.stdout.write(`${version} ${probe()}\n`),
});
process.stdout.write(`ready ${watcher.authorizer.version} ${probe()}\n`);
process.stdin.on('end', () => {
  void watcher.stop().then(() => nc.close());
});
process.stdin.resume();
