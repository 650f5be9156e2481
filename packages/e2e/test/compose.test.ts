// No Docker engine runs on our machines, so docker-compose.yml is proven here the way
// production would read it: each service's own config loader runs in its own process with
// exactly the environment compose and the image give that container (interpolated with an
// empty shell, so only the file's defaults count), and the file's wiring is checked.
import { freePort, productionBrokerConfig, startNatsServer } from '@elcorp/testing';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
const appServices = ['gateway', 'identity', 'payments', 'governance', 'compliance'] as const;

interface ComposeService {
  image?: string;
  command?: string[];
  build?: { args?: Record<string, string> };
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: string[] | Record<string, unknown>;
  ulimits?: { nofile?: number | { soft: number; hard: number } };
  ports?: Array<string | { host_ip?: string; published?: string | number }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** Compose's interpolation with an empty shell: `${X:-d}` and `${X-d}` give d, `${X}` gives "", `$$` a `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g, (whole, _name: string, fallback: string | undefined) =>
    whole === '$$' ? '$' : (fallback ?? ''),
  );
}

async function loadCompose(): Promise<ComposeFile> {
  return parse(await readFile(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as ComposeFile;
}

/** The ENV the Dockerfile's runtime stage sets, with ${SERVICE} as the build argument. */
async function imageEnv(service: string): Promise<Record<string, string>> {
  const text = (await readFile(`${root}Dockerfile`, 'utf8')).replace(/\\\n/g, ' ');
  const stage = text.slice(text.search(/^FROM \S+ AS runtime$/m));
  const env: Record<string, string> = {};
  for (const line of stage.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const match of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[match[1]!] = match[2]!.replace('${SERVICE}', service);
  }
  return env;
}

/** What the container's process sees: image ENV, then compose's environment (unset entries dropped). */
async function containerEnv(compose: ComposeFile, service: string): Promise<Record<string, string>> {
  const env = await imageEnv(service);
  for (const [name, raw] of Object.entries(compose.services[service]?.environment ?? {})) {
    if (raw === null) continue; // `NAME:` passes the shell's value through; our shell has none
    env[name] = interpolate(String(raw));
  }
  return env;
}

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

t.test("each service signs in to compose's broker as its own user, with the password compose gives the broker", async (t) => {
  const compose = await loadCompose();
  const nats = compose.services.nats!;
  t.match(nats.command, ['-js', '-sd', '/data', '-c', '/etc/nats/nats.conf'], 'the production nats.conf, its store on the volume');
  // The broker as compose starts it: the file, and the passwords compose sets in its environment.
  const brokerEnv = Object.fromEntries(Object.entries(nats.environment ?? {}).map(([name, value]) => [name, interpolate(String(value))]));
  const broker = await startNatsServer(t, { args: ['-m', String(await freePort()), '-c', productionBrokerConfig], env: brokerEnv });
  for (const service of appServices) {
    const env = await containerEnv(compose, service);
    t.equal(env.NATS_USER, service, `${service} connects as its own user`);
    // The service's own config loader and the kit's connection, as main.ts runs them; only
    // the broker's address is this machine's instead of the compose network's.
    const script = `
      const kit = await import(${JSON.stringify(`${root}packages/kit/dist/index.js`)});
      const config = (${configLoader(service)})(process.env);
      const logger = kit.createLogger({ service: 'compose-test', level: 'silent' });
      const nc = await kit.connectNats(${JSON.stringify(broker.url)}, 'compose-test', logger, kit.natsCredentialsOf(config));
      await nc.flush();
      await nc.close();
      console.log('connected');`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 30_000 }).catch((err: { stdout?: string; stderr?: string }) => ({
      stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`,
    }));
    t.equal(stdout.trim(), 'connected', `${service} is let in`, { output: stdout });
  }
  t.notMatch(broker.log(), /Authorization Error/, 'the broker refused none of them');
});
