// The only place the testing helpers read the environment. Defaults are the servers every
// development and CI machine runs on their standard local ports.
export const testConfig = Object.freeze({
  /** Superuser connection to the database tests create their schemas in. */
  databaseUrl: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/elcorp',
  natsUrl: process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222',
  redisUrl: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
  /** Debian installs nats-server here; elsewhere it is looked up on PATH. */
  natsServerPaths: ['/usr/sbin/nats-server', 'nats-server'] as readonly string[],
  /** Debian's redis-server, else PATH's. */
  redisServerPaths: ['/usr/bin/redis-server', 'redis-server'] as readonly string[],
  /** For the apt-get a suite runs to install its own tools (Chromium): never prompt. */
  aptEnv: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } as Readonly<Record<string, string | undefined>>,
  /** What a command a test runs as a user would inherits: the test runner's own variables (its loader hooks, coverage) left out. */
  commandEnv: Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(NODE_OPTIONS|NODE_V8_COVERAGE|TAP|_TAPJS)/.test(name))) as Readonly<Record<string, string | undefined>>,
});
