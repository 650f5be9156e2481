import type { BrokerNames } from '@elcorp/contracts';
import type { Kysely } from '@elcorp/db';
import type { RunInUnitOfWork } from '@elcorp/messaging';
import type { ComplianceDB } from '../infrastructure/db/schema.js';
import type { CheckpointSigner } from '../infrastructure/signing-keys.js';
import type { SubjectKeys } from '../infrastructure/subject-keys.js';

/** What the compliance use cases run on; main wiring and tests build it. */
export interface ComplianceDeps {
  db: Kysely<ComplianceDB>;
  uow: RunInUnitOfWork<ComplianceDB>;
  names: BrokerNames;
  keys: SubjectKeys;
  signer: CheckpointSigner;
  /** The checkpoint origin line (C2SP), also the signed-note key name. */
  origin: string;
  now: () => Date;
}
