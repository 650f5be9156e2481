import { z } from 'zod';

// The only place the dead-letter command reads the environment. The root follows the rule
// of EVENT_SUBJECT_ROOT in @elcorp/kit (a dev dependency here, so the rule is repeated).
const schema = z.object({
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  EVENT_SUBJECT_ROOT: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a lower-case subject root like elcorp').default('elcorp'),
});

export interface CliConfig {
  natsUrl: string;
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
  return Object.freeze({ natsUrl: result.data.NATS_URL, names: Object.freeze({ root: result.data.EVENT_SUBJECT_ROOT }) });
}
