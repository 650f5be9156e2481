import type { Generated } from '@elcorp/db';

/** Kysely view of the tables in ../migrations; a service's DB type extends MessagingTables. */
export interface OutboxTable {
  id: string;
  type: string;
  subject: string;
  payload: unknown;
  headers: Record<string, string>;
  created_at: Generated<Date>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  sent_at: Date | null;
}

export interface InboxTable {
  consumer: string;
  event_id: string;
  processed_at: Generated<Date>;
}

export interface MessagingTables {
  outbox: OutboxTable;
  inbox: InboxTable;
}
