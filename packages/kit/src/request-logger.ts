import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilentOrString, Logger } from 'pino';

/**
 * The logger fastify hands each request (request.log), made when the request first logs at
 * an enabled level. pino's child() serialises and redacts its bindings as it is made: about
 * 2% of the gateway's CPU per request, spent on every request although at `warn` almost none
 * logs anything. A request-level option (a route's logLevel or serializers) gets its child
 * at once, since the parent cannot answer for that level then.
 */
export function requestChildLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  const logger = parent as FastifyBaseLogger & Partial<Pick<Logger, 'isLevelEnabled'>>;
  if (options.level !== undefined || options.serializers !== undefined || typeof logger.isLevelEnabled !== 'function') return parent.child(bindings, options);
  return new DeferredChildLogger(parent as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger;
}

class DeferredChildLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly childBindings: Bindings,
    private readonly childOptions: ChildLoggerOptions,
  ) {}

  // Methods on the prototype, not closures made per request: one logger is made for every request.
  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#log('error', args);
  }

  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }

  info(...args: unknown[]): void {
    this.#log('info', args);
  }

  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }

  #log(level: Level, args: unknown[]): void {
    if (this.#child === undefined && !this.parent.isLevelEnabled(level)) return;
    const child = this.#made();
    (child[level] as (...args: unknown[]) => void).apply(child, args);
  }

  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.#made().level = level;
  }

  isLevelEnabled(level: LevelWithSilentOrString): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#made().child(bindings, options);
  }

  bindings(): Bindings {
    return this.#made().bindings();
  }

  #made(): Logger {
    this.#child ??= this.parent.child(this.childBindings, this.childOptions);
    return this.#child;
  }
}
