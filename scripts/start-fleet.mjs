// Starts the whole fleet on one machine with prefixed output. Ctrl-C or SIGTERM stops every
// service gracefully; if one service dies on its own, the others are stopped too, so a
// broken fleet never looks half alive. `<SERVICE>__<VARIABLE>` sets a variable for one
// service only (its broker user, its database), as for `pnpm elcorp`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { prettyFactory } from 'pino-pretty';
import { environmentFor } from './service-env.mjs';

const services = ['identity', 'payments', 'governance', 'compliance', 'gateway'];
const colours = [36, 32, 35, 33, 34];
const root = fileURLToPath(new URL('..', import.meta.url));
const width = Math.max(...services.map((s) => s.length));
const forceKillAfterMs = Number(process.env.FLEET_FORCE_KILL_AFTER_MS ?? 15_000);
// One base port for the fleet (gateway, then identity, payments, governance, compliance), so a
// second fleet or a test can run beside the first without editing five variables.
const portBase = Number(process.env.FLEET_PORT_BASE ?? 8080);
const portOf = { gateway: portBase, identity: portBase + 1, payments: portBase + 2, governance: portBase + 3, compliance: portBase + 4 };
const upstreams = Object.fromEntries(
  ['identity', 'payments', 'governance', 'compliance'].map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${portOf[name]}`]),
);
// Every service verifies access tokens with identity's keys; the gateway's operators'
// listener (/metrics, /health/upstreams) sits 1000 above its public port (9080 by default).
const sharedEnv = { ...upstreams, JWKS_URL: `http://127.0.0.1:${portOf.identity}/.well-known/jwks.json` };
const internalPortOf = { gateway: portBase + 1000 };

// People at a terminal read coloured one-line logs; pipes and files get the JSON untouched.
const pretty = process.stdout.isTTY
  ? prettyFactory({ colorize: true, singleLine: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' })
  : undefined;
function render(line) {
  if (!pretty || !line.startsWith('{')) return line;
  try {
    return pretty(line).trimEnd();
  } catch {
    return line;
  }
}

const children = new Map();
let stopping = false;
let exitCode = 0;

function prefix(name, i) {
  const label = name.padEnd(width);
  return process.stdout.isTTY ? `\x1b[${colours[i]}m${label}\x1b[0m |` : `${label} |`;
}

function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill(signal);
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, forceKillAfterMs).unref();
}

// With util-linux's setpriv, a service gets SIGTERM (and drains) when this script dies in any
// way, SIGKILL included, instead of living on with its port; the service's pid is node's.
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));
const node = [process.execPath, '--enable-source-maps', '--import', '@elcorp/kit/telemetry', 'dist/main.js'];
const [command, ...args] = setpriv ? [setpriv, '--pdeathsig', 'TERM', '--', ...node] : node;

services.forEach((name, i) => {
  const child = spawn(command, args, {
    cwd: `${root}/services/${name}`,
    env: {
      ...environmentFor(name),
      ...sharedEnv,
      PORT: String(portOf[name]),
      ...(internalPortOf[name] === undefined ? {} : { INTERNAL_PORT: String(internalPortOf[name]) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix(name, i)} ${render(line)}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    process.stdout.write(`${prefix(name, i)} exited (${signal ?? `code ${code}`})\n`);
    // Any exit nobody asked for is a failure, even a clean one; so is an unclean stop.
    if (!stopping || (code !== 0 && signal !== 'SIGTERM')) exitCode = 1;
    if (!stopping) stopAll('SIGTERM');
    if (children.size === 0) process.exit(exitCode);
  });
});

process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('SIGTERM', () => stopAll('SIGTERM'));
