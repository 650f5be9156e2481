// The identity commands of the operator CLI, run as an operator types them (`pnpm elcorp …`)
// against a test's schema on the real Postgres. Each command's tests have a file of their own:
// every run starts pnpm and node afresh (seconds each on a loaded machine), and one file for
// all of them came within reach of tap's per-file timeout.
import { testConfig } from '@elcorp/testing';
import type { Test } from 'tap';
import { newUser, type Identity } from './client.js';

/** What the command needs to reach this test's identity: its schema and subject root. */
export function cliEnv(identity: Identity): Record<string, string> {
  return { DATABASE_URL: testConfig.databaseUrl, DATABASE_SCHEMA: identity.schema, EVENT_SUBJECT_ROOT: identity.subjectRoot, NODE_ENV: 'test' };
}

export async function register(t: Test, identity: Identity) {
  const body = newUser();
  const res = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body });
  t.equal(res.statusCode, 201, 'registered');
  return { body, id: (res.json() as { id: string }).id };
}
