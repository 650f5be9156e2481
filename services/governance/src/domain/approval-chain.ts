import type { Priority } from './request.js';

/**
 * One step of an approval chain. `approver`: any holder of `request:approve`; `staff`: the
 * same, first of a longer chain (an admin may fill it: admins hold every permission, and
 * an organisation with no staff must still be able to run high-priority requests); `admin`:
 * a holder of the `admin` role who also holds `request:approve`.
 */
export type ChainStep = 'approver' | 'staff' | 'admin';

const chains: Readonly<Record<Priority, readonly ChainStep[]>> = {
  low: ['approver'],
  normal: ['approver'],
  high: ['staff', 'admin'],
  critical: ['staff', 'admin', 'admin'],
};

export function approvalChain(priority: Priority): readonly ChainStep[] {
  return chains[priority];
}

/** The step the next approval fills, or undefined once the chain is complete. */
export function nextStep(priority: Priority, approvalsSoFar: number): ChainStep | undefined {
  return chains[priority][approvalsSoFar];
}

export function chainComplete(priority: Priority, approvalsSoFar: number): boolean {
  return approvalsSoFar >= chains[priority].length;
}
