/**
 * In-process wake-ups for the outbox relay. A transaction that wrote outbox rows signals its
 * database handle after it has committed, and the relay started on that handle drains at once.
 *
 * Not Postgres NOTIFY: a transaction that has notified takes one database-wide lock at commit,
 * held until its commit record is flushed, so every notifying commit in the database waited
 * for the one before it (the payments bench reached 3-14% of pgbench). Claims take every due
 * row with SKIP LOCKED, so the committing process's own relay drains what another replica
 * committed too; a replica with no commits of its own relies on its poll.
 */
const listeners = new WeakMap<object, Set<() => void>>();

/** Calls `listener` after each commit through `db` that wrote outbox rows; returns the unsubscribe. */
export function onOutboxCommit(db: object, listener: () => void): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/** Tells whoever drains `db`'s outbox that rows have committed. Call only after the commit. */
export function signalOutboxCommit(db: object): void {
  const set = listeners.get(db);
  if (!set) return;
  for (const listener of set) listener();
}
