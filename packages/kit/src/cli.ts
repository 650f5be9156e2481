import { parseArgs } from 'node:util';
import { ConfigError } from './config.js';

/**
 * The shape of every operator command (`pnpm elcorp <command>`): each service exposes its
 * commands from its own `src/cli/<command>.ts` and the root dispatcher (scripts/elcorp.mjs)
 * runs them as processes, so no service imports another. One contract for all of them:
 * `--help` prints the usage (exit 0); bad input prints one line on stderr (exit 2); an
 * expected failure (no such user, the last admin) prints one line (exit 1); success prints
 * what was done on stdout (exit 0).
 */

/** Bad arguments: the message says what was wrong, in one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An expected refusal of a well-formed command (no such user, the last admin). */
export class CommandFailure extends Error {
  override name = 'CommandFailure';
}

export interface OperatorCommand<A> {
  /** As typed after `pnpm elcorp` (`unlock`, `grant-role`). */
  name: string;
  /** The whole `--help` text, starting with the usage line. */
  help: string;
  /** Turns argv (after the command name) into arguments; throws UsageError. */
  parse(argv: string[]): A;
  /** Does the work; resolves to the lines that say what was done. */
  run(args: A): Promise<string[]>;
  /** Turns a use case's expected error into a CommandFailure (or returns it unchanged). */
  expected?: (error: unknown) => unknown;
}

export interface CliStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const helpFlags = new Set(['-h', '--help', 'help']);

/** Runs one command to completion and returns the exit status (it never calls process.exit). */
export async function runOperatorCommand<A>(command: OperatorCommand<A>, argv: string[], streams: CliStreams = process): Promise<number> {
  const prefix = `elcorp ${command.name}`;
  if (argv.some((arg) => helpFlags.has(arg))) {
    streams.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return 0;
  }
  try {
    const args = command.parse(argv);
    const lines = await command.run(args);
    streams.stdout.write(lines.map((line) => `${line}\n`).join(''));
    return 0;
  } catch (thrown) {
    const err = command.expected ? command.expected(thrown) : thrown;
    if (err instanceof UsageError) {
      streams.stderr.write(`${prefix}: ${oneLine(err.message)} (see pnpm elcorp ${command.name} --help)\n`);
      return 2;
    }
    if (err instanceof CommandFailure || err instanceof ConfigError) {
      streams.stderr.write(`${prefix}: ${oneLine(err.message)}\n`);
      return 1;
    }
    streams.stderr.write(`${prefix} failed: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  }
}

/** The entry point of a command file: sets the exit status when the command is done. */
export function operatorMain<A>(command: OperatorCommand<A>): void {
  runOperatorCommand(command, process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ');
}

/** Positional arguments exactly as named (`['USER', 'ROLE']`); options are refused. */
export function positionals(argv: string[], names: readonly string[]): string[] {
  let parsed: string[];
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {} }).positionals;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.length < names.length) throw new UsageError(`missing ${names.slice(parsed.length).join(' ')}`);
  if (parsed.length > names.length) throw new UsageError(`unexpected argument "${parsed[names.length]}"`);
  return parsed;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user id as the services store it (UUID); anything else is a usage error naming it. */
export function userIdArgument(text: string, what = 'USER'): string {
  if (!uuidPattern.test(text)) throw new UsageError(`${what} must be a user id (a UUID), got "${text}"`);
  return text.toLowerCase();
}
