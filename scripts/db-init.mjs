// Creates database elcorp and one role + schema per service (infra/postgres/init.sql).
// Safe to run any number of times, also beside another run (init.sql takes an advisory lock):
// `pnpm start` and `pnpm test` call it first. Needs packages/db built.
//   DATABASE_ADMIN_URL   superuser connection (default postgres://postgres@127.0.0.1:5432/postgres)
//   ELCORP_DB_PASSWORD   when set, the password of every service role
import { initDatabase } from '../packages/db/dist/index.js';

const adminUrl = process.env.DATABASE_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const password = process.env.ELCORP_DB_PASSWORD || undefined;

try {
  await initDatabase({ adminUrl, password, log: (line) => console.log(line) });
} catch (err) {
  // The admin URL may carry a password; print the server's message, not the config.
  console.error(`db-init failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
