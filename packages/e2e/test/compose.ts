// docker-compose.yml as its services would receive it, for tests that run what compose gives
// them without a Docker engine.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface ComposeService {
  image?: string;
  command?: string[];
  healthcheck?: { test?: string[] };
  build?: { args?: Record<string, string> };
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: string[] | Record<string, unknown>;
  ulimits?: { nofile?: number | { soft: number; hard: number } };
  ports?: Array<string | { host_ip?: string; published?: string | number }>;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
}

/**
 * Compose's interpolation: `${X:-d}` and `${X-d}` give the shell's X or d, `${X}` gives X or "",
 * `$$` a `$`. The shell is empty unless given, so only the file's defaults count.
 */
export function interpolate(value: string, shell: Record<string, string> = {}): string {
  return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g, (whole, name: string | undefined, fallback: string | undefined) =>
    whole === '$$' ? '$' : (shell[name!] ?? fallback ?? ''),
  );
}

export async function loadCompose(): Promise<ComposeFile> {
  return parse(await readFile(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as ComposeFile;
}

/** The ENV the Dockerfile's runtime stage sets, with ${SERVICE} as the build argument. */
async function imageEnv(service: string): Promise<Record<string, string>> {
  const text = (await readFile(`${root}Dockerfile`, 'utf8')).replace(/\\\n/g, ' ');
  const stage = text.slice(text.search(/^FROM \S+ AS runtime$/m));
  const env: Record<string, string> = {};
  for (const line of stage.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const match of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[match[1]!] = match[2]!.replace('${SERVICE}', service);
  }
  return env;
}

/** What the container's process sees: image ENV, then compose's environment (unset entries dropped). */
export async function containerEnv(compose: ComposeFile, service: string): Promise<Record<string, string>> {
  const env = await imageEnv(service);
  for (const [name, raw] of Object.entries(compose.services[service]?.environment ?? {})) {
    if (raw === null) continue; // `NAME:` passes the shell's value through; our shell has none
    env[name] = interpolate(String(raw));
  }
  return env;
}

/** The arguments compose gives redis-server (its users and their rights), interpolated with `shell`. */
export function redisArguments(compose: ComposeFile, shell: Record<string, string> = {}): string[] {
  const [program, ...args] = compose.services.redis?.command ?? [];
  if (program !== 'redis-server') throw new Error('compose runs redis-server with arguments of its own');
  return args.map((arg) => interpolate(arg, shell));
}
