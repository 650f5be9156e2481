// No Docker engine runs on our machines, so docker-compose.yml is proven here the way
// production would read it: each service's own config loader runs in its own process with
// exactly the environment compose and the image give that container (interpolated with an
// empty shell, so only the file's defaults count), and the file's wiring is checked.
import { freePort, productionBrokerConfig, startNatsServer, startRedisServer } from '@elcorp/testing';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import t from 'tap';
import { containerEnv, interpolate, loadCompose, redisArguments, root } from './compose.js';
import { redisAs } from './resp.js';

const run = promisify(execFile);
const appServices = ['gateway', 'identity', 'payments', 'governance', 'compliance'] as const;

/** The service's own config loader (load<Service>Config; compliance exports others too), as an expression for a child's script. */
function configLoader(service: string): string {
  const module = JSON.stringify(`${root}services/${service}/dist/config.js`);
  return `(await import(${module})).load${service[0]!.toUpperCase()}${service.slice(1)}Config`;
}

/** Runs the service's own config loader in a process whose environment is exactly `env`. */
async function loadServiceConfig(service: string, env: Record<string, string>): Promise<{ ok: boolean; message: string }> {
  const script = `
    const load = ${configLoader(service)};
    if (typeof load !== 'function') { console.log('no config loader exported'); process.exit(2); }
    let config;
    try { config = load(process.env); } catch (err) { console.log(err.message); process.exit(1); }
    // Only the addresses the service will dial: no secret leaves the child.
    const dials = Object.fromEntries(Object.entries(config).filter(([, v]) => typeof v === 'string' && /^[a-z+]+:\\/\\//.test(v)));
    console.log(JSON.stringify(dials));`;
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 30_000 });
    return { ok: true, message: stdout.trim() };
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    return { ok: false, message: `${stdout ?? ''}${stderr ?? ''}`.trim() || String(err) };
  }
}

t.test('every service starts with exactly the environment compose and its image give it', async (t) => {
  const compose = await loadCompose();
  for (const service of appServices) {
    t.ok(compose.services[service], `${service} is in docker-compose.yml`);
    const env = await containerEnv(compose, service);
    t.equal(env.NODE_ENV, 'production', `${service} runs with the image's NODE_ENV=production`);
    const result = await loadServiceConfig(service, env);
    t.ok(result.ok, `${service} accepts its configuration`, { output: result.message });
    if (!result.ok) continue;
    // In a container, 127.0.0.1 is the container itself: a default that reaches loopback
    // means compose forgot to point the service at Postgres, NATS, Redis or another service.
    for (const [name, url] of Object.entries(JSON.parse(result.message) as Record<string, string>)) {
      if (name === 'PUBLIC_BASE_URL') continue; // the clients' origin, seen from the host
      t.notMatch(new URL(url.split(',')[0]!).hostname, /^(127\.|localhost$|\[::1\]$)/, `${service}'s ${name} does not point at the container itself`);
    }
  }
});

t.test('without its key-encryption key in compose, identity would refuse to start', async (t) => {
  const compose = await loadCompose();
  delete compose.services.identity!.environment!.IDENTITY_KEY_ENCRYPTION_KEY;
  const result = await loadServiceConfig('identity', await containerEnv(compose, 'identity'));
  t.notOk(result.ok, 'identity refuses');
  t.match(result.message, /IDENTITY_KEY_ENCRYPTION_KEY/, 'naming the variable');
});

t.test('every depends_on names a service of the file', async (t) => {
  const compose = await loadCompose();
  for (const [name, service] of Object.entries(compose.services)) {
    const targets = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const target of targets) t.ok(compose.services[target], `${name} depends on ${target}, which exists`);
  }
});

t.test('every published port listens on loopback only', async (t) => {
  const compose = await loadCompose();
  let published = 0;
  for (const [name, service] of Object.entries(compose.services)) {
    for (const port of service.ports ?? []) {
      published += 1;
      const hostIp = typeof port === 'string' ? port.split(':').length === 3 && port.split(':')[0] : port.host_ip;
      t.equal(hostIp, '127.0.0.1', `${name} publishes ${JSON.stringify(port)} on 127.0.0.1`);
    }
  }
  t.ok(published >= 1, 'the gateway at least is published');
});

t.test('every image tag is pinned to a release', async (t) => {
  const compose = await loadCompose();
  for (const [name, service] of Object.entries(compose.services)) {
    if (!service.image) continue;
    t.match(service.image, /:v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$/, `${name} uses ${service.image}`);
  }
  const dockerfile = await readFile(`${root}Dockerfile`, 'utf8');
  t.match(dockerfile, /^ARG NODE_IMAGE=node:\d+\.\d+\.\d+-slim$/m, 'the Dockerfile pins Node');
});

t.test("the gateway's open-files limit in compose leaves its configured client connections whole", async (t) => {
  const compose = await loadCompose();
  const nofile = compose.services.gateway?.ulimits?.nofile;
  t.ok(nofile, 'compose states the limit rather than leaving it to the Docker daemon');
  const limit = typeof nofile === 'number' ? nofile : nofile!.soft;
  // The gateway's own budget from the configuration the container gets. That the gateway reads
  // the limit it runs under is shown by its client-connections test, under prlimit: this
  // machine may not raise its own hard limit to compose's.
  const script = `
    const { loadGatewayConfig } = await import(${JSON.stringify(`${root}services/gateway/dist/config.js`)});
    const { clientConnectionsMax } = await import(${JSON.stringify(`${root}services/gateway/dist/domain/client-connections.js`)});
    const config = loadGatewayConfig(process.env);
    const budget = clientConnectionsMax({ configuredMax: config.CLIENT_CONNECTIONS_MAX, openFilesLimit: ${limit}, upstreamConnections: 4 * config.UPSTREAM_CONNECTIONS_MAX });
    console.log(JSON.stringify({ configured: config.CLIENT_CONNECTIONS_MAX, budget }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: await containerEnv(compose, 'gateway'), timeout: 30_000 });
  const { configured, budget } = JSON.parse(stdout) as { configured: number; budget: number };
  t.equal(budget, configured, `all ${configured} client connections fit under ${limit} descriptors`);
});

t.test("each service signs in to compose's broker and Redis as its own user, with the passwords compose gives them", async (t) => {
  const compose = await loadCompose();
  const nats = compose.services.nats!;
  t.match(nats.command, ['-js', '-sd', '/data', '-c', '/etc/nats/nats.conf'], 'the production nats.conf, its store on the volume');
  // The broker as compose starts it: the file, and the passwords compose sets in its environment;
  // Redis with compose's arguments: its users, their passwords and rights.
  const brokerEnv = Object.fromEntries(Object.entries(nats.environment ?? {}).map(([name, value]) => [name, interpolate(String(value))]));
  const broker = await startNatsServer(t, { args: ['-m', String(await freePort()), '-c', productionBrokerConfig], env: brokerEnv });
  const redis = await startRedisServer(t, redisArguments(compose));
  for (const service of appServices) {
    const env = await containerEnv(compose, service);
    t.equal(env.NATS_USER, service, `${service} connects to the broker as its own user`);
    t.equal(new URL(env.REDIS_URL!).username, service, `${service} connects to Redis as its own user`);
    // The service's own config loader and the kit's connections, as main.ts opens them; only
    // the servers' addresses are this machine's instead of the compose network's.
    const script = `
      const kit = await import(${JSON.stringify(`${root}packages/kit/dist/index.js`)});
      const config = (${configLoader(service)})(process.env);
      const logger = kit.createLogger({ service: 'compose-test', level: 'silent' });
      const nc = await kit.connectNats(${JSON.stringify(broker.url)}, 'compose-test', logger, kit.natsCredentialsOf(config));
      await nc.flush();
      await nc.close();
      const url = new URL(config.REDIS_URL);
      url.host = '127.0.0.1:${redis.port}';
      const redis = await kit.connectRedis(url.href, logger);
      const pong = await redis.ping();
      redis.disconnect();
      console.log('connected', pong);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 30_000 }).catch((err: { stdout?: string; stderr?: string }) => ({
      stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`,
    }));
    t.equal(stdout.trim(), 'connected PONG', `${service} is let in to both`, { output: stdout });
  }
  t.notMatch(broker.log(), /Authorization Error/, 'the broker refused none of them');
});

t.test("compose's Redis: nobody without a user; only identity writes the deny-list; nobody deletes, flushes or reconfigures", async (t) => {
  const compose = await loadCompose();
  const shell = Object.fromEntries(appServices.map((service) => [`REDIS_${service.toUpperCase()}_PASSWORD`, `${service}-${process.pid}`]));
  const { port } = await startRedisServer(t, redisArguments(compose, shell));
  const as = (service: string, command: string[]) => redisAs(port, service, shell[`REDIS_${service.toUpperCase()}_PASSWORD`]!, command);
  const revoked = 'elcorp:revoked-session:s-1';

  t.match(await redisAs(port, undefined, '', ['EXISTS', revoked]), /^-NOAUTH/, 'no user, no answer');
  t.match(await redisAs(port, 'identity', 'not-the-password', ['EXISTS', revoked]), /^-WRONGPASS/, 'a wrong password');
  t.equal(await redisAs(port, 'healthcheck', 'anything', ['PING']), '+PONG', "the healthcheck's user pings");
  const [kind, healthcheck] = compose.services.redis?.healthcheck?.test ?? [];
  t.equal(kind, 'CMD-SHELL');
  await t.resolves(run('sh', ['-c', healthcheck!.replace('redis-cli ', `redis-cli -p ${port} `)], { timeout: 10_000 }), "compose's healthcheck passes");
  t.match(await redisAs(port, 'healthcheck', 'anything', ['EXISTS', revoked]), /^-NOPERM/, '…and does nothing else');

  t.equal(await as('identity', ['SET', revoked, '1', 'EX', '60']), '+OK', 'identity revokes a session');
  for (const service of ['payments', 'governance', 'compliance', 'gateway']) {
    t.equal(await as(service, ['EXISTS', revoked]), ':1', `${service} reads the deny-list`);
  }
  for (const service of ['payments', 'governance', 'compliance']) {
    t.match(await as(service, ['SET', revoked, '1', 'EX', '1']), /^-NOPERM/, `${service} may not shorten a revocation`);
    t.match(await as(service, ['SET', 'elcorp:ratelimit:ip:1.2.3.4', '0']), /^-NOPERM/, `${service} may not touch the rate limits`);
  }
  for (const service of appServices) {
    t.match(await as(service, ['DEL', revoked]), /^-NOPERM/, `${service} may not delete a key`);
    t.match(await as(service, ['FLUSHALL']), /^-NOPERM/, `${service} may not flush`);
    t.match(await as(service, ['CONFIG', 'SET', 'requirepass', '']), /^-NOPERM/, `${service} may not reconfigure`);
    t.match(await as(service, ['SET', 'other:key', '1']), /^-NOPERM/, `${service} stays under the elcorp: prefix`);
  }
  t.match(await as('payments', ['SET', 'elcorp:dpop:gateway:x', '1']), /^-NOPERM/, "a service may not burn the gateway's proofs");
  t.equal(await as('gateway', ['SET', 'elcorp:dpop:gateway:x', '1', 'EX', '60', 'NX']), '+OK', 'the gateway records its proofs');
  t.equal(await as('identity', ['EXISTS', revoked]), ':1', 'the revocation stands');
});
