import { z } from 'zod';

// The only place the dead-letter command reads the environment. The root follows the rule
// of EVENT_SUBJECT_ROOT in @elcorp/kit (a dev dependency here, so the rule is repeated).
const schema = z
  .object({
    NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
    // The operators' broker user on a broker with users (infra/nats/nats.conf): replays publish
    // to any context's subjects, which no service's user may.
    NATS_USER: z.string().min(1).max(256).optional(),
    NATS_PASSWORD: z.string().min(1).max(1024).optional(),
    EVENT_SUBJECT_ROOT: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a lower-case subject root like elcorp').default('elcorp'),
  })
  .refine((env) => (env.NATS_USER === undefined) === (env.NATS_PASSWORD === undefined), {
    path: ['NATS_PASSWORD'],
    message: 'NATS_USER and NATS_PASSWORD are set together or not at all',
  });

export interface CliConfig {
  natsUrl: string;
  credentials?: { user: string; pass: string };
  names: { root: string };
}

/** Parses the environment; a bad variable throws an Error naming it. Empty means unset. */
export function loadCliConfig(env: Record<string, string | undefined> = process.env): Readonly<CliConfig> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${String(i.path[0] ?? '(root)')}: ${i.message}`);
    throw new Error(`invalid configuration: ${issues.join('; ')}`);
  }
  const { NATS_URL, NATS_USER, NATS_PASSWORD, EVENT_SUBJECT_ROOT } = result.data;
  return Object.freeze({
    natsUrl: NATS_URL,
    ...(NATS_USER !== undefined && NATS_PASSWORD !== undefined ? { credentials: { user: NATS_USER, pass: NATS_PASSWORD } } : {}),
    names: Object.freeze({ root: EVENT_SUBJECT_ROOT }),
  });
}
