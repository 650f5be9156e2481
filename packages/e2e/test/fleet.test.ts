import { freePort } from '@elcorp/testing';
import t from 'tap';
import { brokerEnv, freePortBase, logLines, readyDeadlineMs, services, startFleet, stopDeadlineMs, waitUntilReady } from './fleet-harness.js';

t.test('pnpm start: five services become ready and stop cleanly on SIGTERM', async (t) => {
  const fleet = startFleet(t, {
    ...(await brokerEnv(t)),
    FLEET_PORT_BASE: String(await freePortBase(t)),
    LOG_LEVEL: 'info',
  });

  const { answers, exitedEarly } = await waitUntilReady(fleet);
  t.notOk(exitedEarly, 'the fleet keeps running', { exit: exitedEarly, output: fleet.output() });
  for (const service of services) t.equal(answers.get(service)?.status, 200, `${service} is ready`);
  t.ok(answers.get('gateway')?.headers.get('x-request-id'), 'the gateway answers with a request id');

  fleet.stop();
  const exit = await fleet.exitWithin(stopDeadlineMs);
  t.same(exit, { code: 0, signal: null }, 'the fleet exits 0 after SIGTERM', { output: fleet.output() });
  for (const service of services) {
    const lines = logLines(fleet.output(), service);
    const stopped = lines.filter((line) => line.msg === 'stopped');
    // A stuck shutdown names its step in a warning (kit's closing-step watchdog): show those.
    const warnings = lines.filter((line) => Number(line.level) >= 40);
    t.same(stopped.map((line) => line.timedOut), [false], `${service} stopped cleanly`, { warnings });
  }
});

t.test('a service that cannot start takes the fleet down with a non-zero exit', async (t) => {
  // DATABASE_URL applies to every service; nothing listens on the port, so the four services
  // with a schema fail at start-up. The gateway ignores it and must be stopped by the script.
  const closedPort = await freePort();
  const fleet = startFleet(t, {
    ...(await brokerEnv(t)),
    FLEET_PORT_BASE: String(await freePortBase(t)),
    DATABASE_URL: `postgres://elcorp@127.0.0.1:${closedPort}/elcorp`,
    LOG_LEVEL: 'info',
  });

  const exit = await fleet.exitWithin(readyDeadlineMs);
  t.ok(exit, 'the fleet exits on its own', { output: fleet.output() });
  t.ok(exit?.code, 'with a non-zero code', { exit });
  const output = fleet.output();
  for (const service of services) t.match(output, new RegExp(`^${service}\\s*\\| exited \\(`, 'm'), `${service} is not left running`);
  const fatal = services.filter((service) => logLines(output, service).some((line) => line.level === 'fatal'));
  t.ok(fatal.length > 0 && !fatal.includes('gateway'), 'a service with a schema reported why it could not start', { fatal });
});
