// The load generator of the out-of-process bench, a child process of its own so that neither
// service shares an event loop or a CPU account with the clients. It answers the parent's
// commands over IPC; each measured command is split in two (`prepare`, then `run`) so the
// parent reads the services' CPU counters after the proofs are signed and before the load
// starts. Proofs are signed ahead, in this process, one per request (a fresh jti each).
import { generateDeviceKey, signDpopProof, type DeviceKey } from '@elcorp/auth';
import { prepareAhead, saturate as saturateItems } from '@elcorp/testing';
import { performance } from 'node:perf_hooks';
import { Client, Pool, type Dispatcher } from 'undici';
import { randomInt } from 'node:crypto';
import type { LoadCommand, LoadReply, RegistrationLoadResult, Setup, Target, ThroughputResult } from './protocol.js';

const path = '/api/v1/users/me';
const loginPath = '/api/v1/auth/login';
const password = 'correct horse battery staple 42';
/** Headroom over the warm-up rate when sizing a run's proofs; a run that runs out says so. */
const proofHeadroom = 2.5;
const maxProofsPerRun = 100_000;
/** The warm-up's requests: enough for V8 to have compiled the hot paths of both processes. */
const warmupProofsMax = 12_000;
/** Proofs signed at once for the sequential run. */
const sequentialChunk = 50;
const requestTimeouts = { headersTimeout: 10_000, bodyTimeout: 10_000 };

let setup: Setup;
let device: DeviceKey;
let accessToken: string;
const pools = new Map<Target, Pool>();
let prepared: (() => Promise<LoadReply>) | undefined;

const urlOf = (target: Target) => (target === 'direct' ? setup.identityUrl : target === 'gatewayB' ? setup.gatewayBUrl! : setup.gatewayUrl);

function poolOf(target: Target): Pool {
  let pool = pools.get(target);
  if (!pool) {
    pool = new Pool(urlOf(target), { connections: setup.clients, ...requestTimeouts });
    pools.set(target, pool);
  }
  return pool;
}

let logins: Pool | undefined;
/** Logins go straight to identity on connections of their own, one per client. */
function loginPool(connections: number): Pool {
  logins ??= new Pool(setup.identityUrl, { connections, ...requestTimeouts });
  return logins;
}

const transferPath = '/api/v1/payments/transfers';
const meProofs = (count: number) =>
  setup.request === 'transfer'
    ? prepareAhead(count, () => signDpopProof(device, { method: 'POST', url: `${setup.publicBaseUrl}${transferPath}`, accessToken }))
    : prepareAhead(count, () => signDpopProof(device, { method: 'GET', url: `${setup.publicBaseUrl}${path}`, accessToken }));
const loginProofs = (count: number) => prepareAhead(count, () => signDpopProof(device, { method: 'POST', url: `${setup.publicBaseUrl}${loginPath}` }));

let transfers = 0;

/** The measured request: GET /me, or a transfer's POST as a payments client sends it (body, Idempotency-Key). */
async function getMe(dispatcher: Dispatcher, proof: string): Promise<void> {
  if (setup.request === 'transfer') return postTransfer(dispatcher, proof);
  const response = await dispatcher.request({ method: 'GET', path, headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
  const body = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET ${path}: ${response.statusCode} ${body}`);
}

async function postTransfer(dispatcher: Dispatcher, proof: string): Promise<void> {
  const n = transfers++;
  const response = await dispatcher.request({
    method: 'POST',
    path: transferPath,
    headers: { authorization: `DPoP ${accessToken}`, dpop: proof, 'content-type': 'application/json', 'idempotency-key': `${setup.tag}-${n}` },
    body: JSON.stringify({ toAccountId: '7f0e4c1e-6a57-4c8e-9d0b-3b2f5a8e9c10', amount: `${1 + (n % 90)}.25`, currency: 'NAD', reference: `bench ${n}` }),
  });
  const body = await response.body.text();
  if (response.statusCode !== 201) throw new Error(`POST ${transferPath}: ${response.statusCode} ${body}`);
}

async function login(dispatcher: Dispatcher, email: string, proof: string): Promise<void> {
  const response = await dispatcher.request({
    method: 'POST',
    path: loginPath,
    headers: { 'content-type': 'application/json', dpop: proof },
    body: JSON.stringify({ email, password }),
  });
  const body = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`login: ${response.statusCode} ${body}`);
}

/** `clients` tasks, each taking the next unused proof until the time or the proofs run out. */
const saturate = (proofs: string[], ms: number, task: (proof: string, i: number) => Promise<void>, clients = setup.clients): Promise<ThroughputResult> =>
  saturateItems(proofs, ms, { clients }, task);

async function register(email: string, secret = password): Promise<number> {
  const response = await fetch(`${setup.identityUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: secret, fullName: 'Bench Mark', phone: '+264811234567', agreedTerms: true }),
  });
  const body = await response.text();
  if (secret === password && response.status !== 201) throw new Error(`register: ${response.status} ${body}`);
  return response.status;
}

/** 128 characters of words, digits and symbols that read as l33t letters: the strength estimator's worst case. */
function longVariedPassword(): string {
  const words = ['correct', 'horse', 'battery', 'staple', 'dragon', 'monkey', 'sunshine', 'shadow', 'master', 'welcome'];
  let value = '';
  while (value.length < 128) value += `${words[randomInt(words.length)]}${randomInt(1000)}${'!@#$%^&*'[randomInt(8)]}`;
  return value.slice(0, 128);
}

/** As identity's registration-load bench, against the identity process: quiet, then under registrations. */
async function registrationLoad(ms: number, registrants: number): Promise<RegistrationLoadResult> {
  const client = new Client(setup.identityUrl, requestTimeouts);
  let next = 0;
  const honest = async () => {
    const latencies: number[] = [];
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const [proof] = await loginProofs(1);
      const started = performance.now();
      await login(client, emailOf(next++ % setup.users), proof!);
      latencies.push(performance.now() - started);
    }
    return latencies.sort((a, b) => a - b);
  };
  try {
    const quietMs = await honest();
    let stop = false;
    let index = 0;
    const registrations = { registered: 0, refused503: 0, other: 0 };
    const registering = Array.from({ length: registrants }, async () => {
      while (!stop) {
        const status = await register(`load-${setup.tag}-${index++}@example.na`, longVariedPassword());
        if (status === 201) registrations.registered += 1;
        else if (status === 503) registrations.refused503 += 1;
        else registrations.other += 1;
      }
    });
    const loadedMs = await honest();
    stop = true;
    await Promise.all(registering);
    return { quietMs, loadedMs, registrations };
  } finally {
    await client.close();
  }
}

const emailOf = (i: number) => `bench-${setup.tag}-${i}@example.na`;

async function handle(command: LoadCommand): Promise<LoadReply> {
  switch (command.cmd) {
    case 'setup': {
      setup = command.setup;
      device = await generateDeviceKey();
      // Several people, not one account: logins of one email serialise on its failure counter.
      for (let i = 0; i < setup.users; i++) await register(emailOf(i));
      const response = await fetch(`${setup.gatewayUrl}${loginPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', dpop: (await loginProofs(1))[0]! },
        body: JSON.stringify({ email: emailOf(0), password }),
      });
      if (response.status !== 200) throw new Error(`login: ${response.status} ${await response.text()}`);
      accessToken = ((await response.json()) as { accessToken: string }).accessToken;
      return { ok: true };
    }
    case 'warm': {
      // Warm-up, which also sizes the measured run's proofs.
      const result = await saturate(await meProofs(Math.min(warmupProofsMax, Math.ceil(command.ms * 3))), command.ms, (proof) => getMe(poolOf(command.target), proof));
      return { ok: true, throughput: result };
    }
    case 'prepare-throughput': {
      const count = Math.min(maxProofsPerRun, Math.ceil((command.expectedRate * command.ms * proofHeadroom) / 1000) + setup.clients * 16);
      const proofs = await meProofs(count);
      prepared = async () => ({ ok: true, throughput: await saturate(proofs, command.ms, (proof) => getMe(poolOf(command.target), proof)) });
      return { ok: true };
    }
    case 'prepare-sequential': {
      prepared = async () => {
        const client = new Client(urlOf(command.target), requestTimeouts);
        const latencies: number[] = [];
        const total = command.warmup + command.samples;
        try {
          // Signed a chunk at a time, between timed requests: on a loaded machine a thousand
          // sequential requests can outlast the proofs' 60 s iat window.
          for (let i = 0; i < total; ) {
            for (const proof of await meProofs(Math.min(sequentialChunk, total - i))) {
              const started = performance.now();
              await getMe(client, proof);
              if (i >= command.warmup) latencies.push(performance.now() - started);
              i += 1;
            }
          }
        } finally {
          await client.close();
        }
        return { ok: true, latenciesMs: latencies.sort((a, b) => a - b) };
      };
      return { ok: true };
    }
    case 'prepare-login': {
      const proofs = await loginProofs(command.maxLogins);
      prepared = async () => ({
        ok: true,
        throughput: await saturate(proofs, command.ms, (proof, i) => login(loginPool(command.clients), emailOf(i % setup.users), proof), command.clients),
      });
      return { ok: true };
    }
    case 'registration-load':
      return { ok: true, registrationLoad: await registrationLoad(command.ms, command.registrants) };
    case 'run': {
      const run = prepared;
      prepared = undefined;
      if (!run) throw new Error('run without prepare');
      return run();
    }
    case 'close': {
      await Promise.all([...pools.values(), ...(logins ? [logins] : [])].map((pool) => pool.close()));
      pools.clear();
      logins = undefined;
      return { ok: true };
    }
  }
}

process.on('message', (command: LoadCommand) => {
  handle(command).then(
    (reply) => process.send!(reply),
    (err: unknown) => process.send!({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
