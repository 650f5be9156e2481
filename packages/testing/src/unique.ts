import { randomBytes } from 'node:crypto';

/** 12 hex characters: enough that parallel test files never collide on a name. */
export function uniqueSuffix(): string {
  return randomBytes(6).toString('hex');
}
