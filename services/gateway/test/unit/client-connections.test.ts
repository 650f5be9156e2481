import fc from 'fast-check';
import t from 'tap';
import { clientConnectionsMax, ConnectionsPerAddress, reservedFileDescriptors } from '../../src/domain/client-connections.js';
import { openFilesLimit } from '../../src/infrastructure/open-files-limit.js';

t.test('the client budget is what is configured, lowered to what the open-files limit leaves', async (t) => {
  t.equal(clientConnectionsMax({ configuredMax: 10_000, openFilesLimit: 1_048_576, upstreamConnections: 256 }), 10_000, 'a container default leaves the configured limit');
  t.equal(clientConnectionsMax({ configuredMax: 10_000, openFilesLimit: 1_024, upstreamConnections: 256 }), 1_024 - 256 - reservedFileDescriptors, 'a low ulimit lowers it');
  t.equal(clientConnectionsMax({ configuredMax: 10_000, openFilesLimit: undefined, upstreamConnections: 256 }), 10_000, 'an unreadable limit leaves it');
  t.equal(clientConnectionsMax({ configuredMax: 10, openFilesLimit: 256 + reservedFileDescriptors, upstreamConnections: 256 }), undefined, 'no room for clients: the process cannot serve');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 4, max: 4_096 }), (configuredMax, limit, upstreamConnections) => {
      const total = clientConnectionsMax({ configuredMax, openFilesLimit: limit, upstreamConnections });
      // Whenever clients get any, they and everything the gateway needs fit under the limit.
      return total === undefined || (total >= 1 && total <= configuredMax && total + upstreamConnections + reservedFileDescriptors <= limit);
    }),
  );
});

t.test('each address holds at most its share, and gets it back as its connections close', async (t) => {
  const open = new ConnectionsPerAddress(2);
  const first = open.admit('192.0.2.1');
  t.equal(first, '192.0.2.1');
  t.ok(open.admit('192.0.2.1'));
  t.equal(open.admit('192.0.2.1'), undefined, 'a third is refused');
  t.equal(open.heldBy('192.0.2.1'), 2, 'a refused connection is not counted');
  t.ok(open.admit('192.0.2.2'), 'another address has a share of its own');
  open.release(first!);
  t.ok(open.admit('192.0.2.1'), 'a closed connection gives its place back');
  open.release(first!);
  open.release(first!);
  t.equal(open.heldBy('192.0.2.1'), 0, 'an address with none open is forgotten');
});

t.test('an IPv6 /64 is one client: rotating addresses within it gains no connections', async (t) => {
  const open = new ConnectionsPerAddress(2);
  t.equal(open.admit('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  t.ok(open.admit('2001:db8:1:2:aaaa::7'));
  t.equal(open.admit('2001:db8:1:2:ffff:ffff:ffff:ffff'), undefined, 'a third address of the same /64 is refused');
  t.ok(open.admit('2001:db8:1:3::1'), 'the next /64 is another client');
  t.equal(open.admit('::ffff:192.0.2.9'), '192.0.2.9', 'an IPv4-mapped peer counts as its IPv4 address');
});

t.test('the open-files limit is read from /proc/self/limits, soft value', async (t) => {
  const dir = t.testdir({
    limits: 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 524288               files\n',
    unlimited: 'Max open files            unlimited            unlimited            files\n',
  });
  t.equal(openFilesLimit(`${dir}/limits`), 4096);
  t.equal(openFilesLimit(`${dir}/unlimited`), undefined);
  t.equal(openFilesLimit(`${dir}/missing`), undefined);
  t.type(openFilesLimit(), 'number', "this process's own, on Linux");
});
