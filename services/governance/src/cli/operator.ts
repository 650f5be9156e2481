import { createDatabase } from '@elcorp/db';
import { CommandFailure, UsageError } from '@elcorp/kit';
import { unitOfWork } from '@elcorp/messaging';
import type { GovernanceDeps } from '../application/ports.js';
import type { GovernanceConfig } from '../config.js';
import { GovernanceError } from '../domain/errors.js';
import { roleNamePattern } from '../domain/roles.js';
import type { GovernanceDB } from '../infrastructure/db/schema.js';

/**
 * What an operator command needs of governance: its database as the service's own role and
 * the unit of work that writes announced events to the outbox (the running service's relay
 * publishes them; identity's projection then puts the role into the user's next token).
 */
export async function withGovernanceDatabase<T>(config: GovernanceConfig, command: string, work: (deps: Pick<GovernanceDeps, 'db' | 'uow' | 'now'>) => Promise<T>): Promise<T> {
  const database = createDatabase<GovernanceDB>({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: `elcorp-governance-${command}`, poolMax: 2 });
  try {
    return await work({ db: database.db, uow: unitOfWork(database.db, { root: config.EVENT_SUBJECT_ROOT }), now: () => new Date() });
  } finally {
    await database.close();
  }
}

export function roleArgument(text: string): string {
  if (!roleNamePattern.test(text)) throw new UsageError(`ROLE must be a role name (lower-case letters, digits, - and _), got "${text}"`);
  return text;
}

/** Governance's expected errors (no such role, the last admin) are refusals, not crashes. */
export function governanceFailure(error: unknown): unknown {
  return error instanceof GovernanceError ? new CommandFailure(error.message) : error;
}

export const userNote = 'USER is a user id, or an email the dispatcher resolves through identity (find-user).';
export const environmentNote = "environment: governance's DATABASE_URL, DATABASE_SCHEMA, EVENT_SUBJECT_ROOT (or GOVERNANCE__<VARIABLE>)";
