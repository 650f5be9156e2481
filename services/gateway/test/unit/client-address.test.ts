import t from 'tap';
import { clientAddressOf, formatIp, maxForwardedHops, parseIp, parseTrustedProxies, peerFactsOf, rateLimitSubjectOf } from '../../src/domain/client-address.js';

const nobody = parseTrustedProxies(undefined);
const edge = parseTrustedProxies('10.0.0.0/8, 127.0.0.1, fd00::/8');

t.test('without TRUST_PROXY the socket peer is the client, whatever X-Forwarded-For says', async (t) => {
  t.equal(clientAddressOf('203.0.113.9', '198.51.100.1', nobody), '203.0.113.9');
  t.equal(clientAddressOf('127.0.0.1', '1.1.1.1, 2.2.2.2', nobody), '127.0.0.1', 'not even from loopback');
});

t.test('an untrusted peer cannot speak for anyone', async (t) => {
  t.equal(clientAddressOf('203.0.113.9', '10.0.0.1', edge), '203.0.113.9');
});

t.test('behind a trusted proxy, the rightmost untrusted entry is the client', async (t) => {
  t.equal(clientAddressOf('10.0.0.2', '198.51.100.7', edge), '198.51.100.7');
  t.equal(clientAddressOf('10.0.0.2', '198.51.100.7, 10.1.2.3', edge), '198.51.100.7', 'trusted hops are skipped');
});

t.test('a spoofed leftmost entry never wins', async (t) => {
  // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
  t.equal(clientAddressOf('10.0.0.2', '1.2.3.4, 198.51.100.7', edge), '198.51.100.7');
  t.equal(clientAddressOf('10.0.0.2', '10.9.9.9, 198.51.100.7', edge), '198.51.100.7', 'not even a trusted-looking one');
  t.equal(clientAddressOf('10.0.0.2', ['1.2.3.4', '198.51.100.7'], edge), '198.51.100.7', 'repeated headers are one list');
});

t.test('a trusted peer without X-Forwarded-For is itself the client', async (t) => {
  t.equal(clientAddressOf('10.0.0.2', undefined, edge), '10.0.0.2');
});

t.test('when every hop is trusted, the furthest is the client', async (t) => {
  t.equal(clientAddressOf('127.0.0.1', '10.0.0.5, 10.0.0.6', edge), '10.0.0.5');
});

t.test('an unreadable entry stops the walk at the last trusted hop', async (t) => {
  t.equal(clientAddressOf('10.0.0.2', 'unknown, 10.0.0.6', edge), '10.0.0.6');
  t.equal(clientAddressOf('10.0.0.2', '', edge), '10.0.0.2');
  t.equal(clientAddressOf('10.0.0.2', '198.51.100.7, <script>', edge), '10.0.0.2');
});

t.test('ports and brackets some proxies add are understood', async (t) => {
  t.equal(clientAddressOf('10.0.0.2', '198.51.100.7:5555', edge), '198.51.100.7');
  t.equal(clientAddressOf('10.0.0.2', '[2001:db8::1]:443', edge), '2001:db8::1');
  t.equal(clientAddressOf('10.0.0.2', '[2001:db8::1]', edge), '2001:db8::1');
});

t.test('only the last hops are examined', async (t) => {
  const chain = Array.from({ length: maxForwardedHops + 5 }, () => '10.0.0.7');
  t.equal(clientAddressOf('10.0.0.2', ['198.51.100.7', ...chain].join(','), edge), '10.0.0.7', 'a long trusted chain ends the walk at its bound');
});

t.test('IPv4-mapped IPv6 peers (dual-stack sockets) match IPv4 ranges', async (t) => {
  t.equal(clientAddressOf('::ffff:127.0.0.1', '198.51.100.7', edge), '198.51.100.7');
  t.equal(clientAddressOf('::ffff:203.0.113.9', '198.51.100.7', edge), '203.0.113.9');
});

t.test('IPv6 ranges', async (t) => {
  t.equal(clientAddressOf('fd12::1', '2001:db8::42', edge), '2001:db8::42');
  t.equal(clientAddressOf('fe80::1', '2001:db8::42', edge), 'fe80::1', 'fe80::/10 is not in fd00::/8');
  t.equal(clientAddressOf('2001:DB8:0:0:0:0:0:1', undefined, nobody), '2001:db8::1', 'written in canonical form');
});

t.test('an unknown peer is reported as such, never trusted', async (t) => {
  t.equal(clientAddressOf(undefined, '198.51.100.7', edge), 'unknown');
});

t.test('TRUST_PROXY accepts IPs and CIDRs, and names a bad entry', async (t) => {
  t.equal(parseTrustedProxies(' 127.0.0.1 , ,::1/128, 0.0.0.0/0, ::ffff:10.0.0.0/104').ranges.length, 4);
  t.throws(() => parseTrustedProxies('10.0.0.0/33'), /"10.0.0.0\/33"/);
  t.throws(() => parseTrustedProxies('loopback'), /"loopback"/);
  t.throws(() => parseTrustedProxies('10.0.0.1/8/8'));
  t.throws(() => parseTrustedProxies('2001:db8::/129'));
  t.throws(() => parseTrustedProxies('10.0.0.0/x'));
  t.throws(() => parseTrustedProxies('fe80::1%eth0'), 'zone ids are not addresses');
  const all = parseTrustedProxies('0.0.0.0/0');
  t.equal(clientAddressOf('203.0.113.9', '198.51.100.7', all), '198.51.100.7');
  const mapped = parseTrustedProxies('::ffff:10.0.0.0/104');
  t.equal(clientAddressOf('10.20.30.40', '198.51.100.7', mapped), '198.51.100.7', 'a mapped CIDR is its IPv4 range');
});

t.test('IPv6 clients are limited per /64, IPv4 clients per address', async (t) => {
  t.equal(rateLimitSubjectOf('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(rateLimitSubjectOf('2001:db8:1:2:bbbb::9'), '2001:db8:1:2::/64');
  t.equal(rateLimitSubjectOf('198.51.100.7'), '198.51.100.7');
  t.equal(rateLimitSubjectOf('unknown'), 'unknown');
});

t.test('addresses parse strictly and print canonically', async (t) => {
  t.equal(parseIp('01.2.3.4'), undefined, 'no octal-looking IPv4');
  t.equal(parseIp('1.2.3'), undefined);
  t.equal(formatIp(parseIp('::')!), '::');
  t.equal(formatIp(parseIp('1:0:0:2:0:0:0:3')!), '1:0:0:2::3', 'the longest zero run is shortened');
  t.equal(formatIp(parseIp('1:0:2:3:4:5:6:7')!), '1:0:2:3:4:5:6:7', 'a single zero group is not');
  t.equal(formatIp(parseIp('64:ff9b::192.0.2.1')!), '64:ff9b::c000:201', 'embedded IPv4 notation');
});

t.test('what a peer tells once per connection agrees with clientAddressOf for every request on it', async (t) => {
  const peers = ['203.0.113.9', '::ffff:198.51.100.4', '2001:db8:0:0:0:0:0:1', '10.0.0.2', '127.0.0.1', 'fd00::1', 'not-an-ip', undefined];
  for (const trusted of [nobody, edge]) {
    for (const peer of peers) {
      const facts = peerFactsOf(peer, trusted);
      const forwarded = clientAddressOf(peer, '198.51.100.7', trusted);
      if (facts.trusted) t.equal(forwarded, '198.51.100.7', `${peer}: a trusted peer's requests are read one by one`);
      else t.equal(facts.address, forwarded, `${peer}: an untrusted peer is its own client`);
      t.equal(facts.address, clientAddressOf(peer, undefined, trusted), `${peer}: no X-Forwarded-For`);
    }
  }
});
