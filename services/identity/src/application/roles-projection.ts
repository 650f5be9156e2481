import type { DomainEvent } from '@elcorp/contracts';
import type { Transaction } from '@elcorp/db';
import type { UnitOfWork } from '@elcorp/messaging';
import type { IdentityDB } from '../infrastructure/db/schema.js';
import type { IdentityDeps } from './ports.js';
import { announceRevocations, revokeSessions } from './sessions.js';

/*
 * Governance owns role assignments; identity keeps a copy to put into new access tokens.
 * Each handler runs inside the consumer's batch transaction (its inbox row commits with it).
 *
 * The two types arrive through two durables (one per type), so an assignment and a revocation
 * of the same role published moments apart are not ordered against each other. The projection
 * is therefore last-writer-wins per (user, role) on the envelope id: user_role_events keeps
 * the id of the last event applied, revocations included as tombstones, and an event whose id
 * is not greater is ignored. Ids rather than occurredAt because ids are unique (no ties, so
 * every replica and every redelivery reaches the same answer), are set by createEvent only
 * (occurredAt may be given by the producer) and compare in SQL as uuids, which Postgres orders
 * bytewise, i.e. UUIDv7's millisecond timestamp first. Both carry the producer's millisecond
 * clock, so neither orders two changes of one assignment made within the same millisecond;
 * governance serialises changes of one assignment, and no operator acts that fast.
 */

type RoleEvent = DomainEvent<'governance.role.assigned'> | DomainEvent<'governance.role.revoked'>;

/**
 * Records `event` as the last one applied to its (user, role), unless a later one already
 * was. The upsert locks the row, so the two durables applying events of one assignment at
 * once are serialised here and the later id wins whichever commits first.
 */
async function isNewest(trx: Transaction<IdentityDB>, event: RoleEvent, assigned: boolean): Promise<boolean> {
  const { userId, role } = event.data;
  const row = await trx
    .insertInto('user_role_events')
    .values({ user_id: userId, role, last_event_id: event.id, assigned })
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'role'])
        .doUpdateSet((eb) => ({ last_event_id: eb.ref('excluded.last_event_id'), assigned: eb.ref('excluded.assigned') }))
        .where('user_role_events.last_event_id', '<', (eb) => eb.ref('excluded.last_event_id')),
    )
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

export interface RoleProjection {
  assigned(event: DomainEvent<'governance.role.assigned'>, uow: UnitOfWork<IdentityDB>): Promise<void>;
  revoked(event: DomainEvent<'governance.role.revoked'>, uow: UnitOfWork<IdentityDB>): Promise<void>;
}

export function roleProjection(deps: IdentityDeps): RoleProjection {
  return {
    /**
     * An assignment to an unknown or erased user is acknowledged and dropped: it can never
     * succeed, and retrying it would only delay the events behind it. A grant shows in the
     * user's next token (sign-in or refresh read the projection).
     */
    async assigned(event, { trx }) {
      const { userId, role } = event.data;
      // FOR SHARE waits for an erasure in flight (it locks the row FOR UPDATE) and then sees it.
      const user = await trx.selectFrom('users').select('id').where('id', '=', userId).where('status', '=', 'active').forShare().executeTakeFirst();
      if (!user || !(await isNewest(trx, event, true))) return;
      await trx
        .insertInto('user_roles')
        .values({ user_id: userId, role })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },

    /**
     * Losing a role ends every session of the user: their access tokens carry the role for
     * up to 15 minutes otherwise. The sessions and their identity.session.revoked events
     * commit with the projection; the deny-list entries are written before the commit and are
     * idempotent, so a rolled-back attempt only denies sessions early that its retry revokes.
     */
    async revoked(event, uow) {
      const { trx } = uow;
      const { userId, role } = event.data;
      // FOR SHARE conflicts with login's update of the row: a sign-in either commits first
      // (and its new session is revoked below) or reads the roles after this commit.
      const user = await trx.selectFrom('users').select('id').where('id', '=', userId).forShare().executeTakeFirst();
      if (!user || !(await isNewest(trx, event, false))) return;
      const lost = await trx.deleteFrom('user_roles').where('user_id', '=', userId).where('role', '=', role).returning('role').executeTakeFirst();
      if (!lost) return; // never held here, so no token carries it
      const sessions = await revokeSessions(deps, uow, { userId }, 'admin', event.actor);
      await announceRevocations(deps, sessions);
    },
  };
}
