import type { FastifyInstance } from 'fastify';
import { AppError, kitErrors, type FieldError } from './errors.js';

/**
 * One rule for every route's input, so no field can forget it: text that no store or
 * encoder downstream can hold (NUL, which Postgres text and jsonb refuse; a lone UTF-16
 * surrogate, which is no character at all) and nesting deeper than any public shape are
 * refused as 422 validation_failed naming the path, before a schema or handler sees them.
 */
export const maxInputDepth = 32;

/** A byte order mark before a JSON body: refused, so every parser in the chain reads the same text. */
export const byteOrderMark = '\uFEFF';

export function byteOrderMarkError(): AppError {
  return kitErrors.malformedBody('a byte order mark before the JSON text is not accepted');
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function unsafeTextReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character';
  if (loneSurrogate.test(text)) return 'must not contain an unpaired surrogate';
  return undefined;
}

/** What JSON.parse makes, and the query parser's objects (whose prototype has a null prototype). */
const isPlainObject = (value: object): boolean => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null || Object.getPrototypeOf(prototype) === null;
};

/**
 * The first unsafe spot in a parsed value (keys included), walked without recursion so a
 * hostile depth cannot exhaust the stack. Only what JSON and query parsing produce is
 * walked (plain objects, arrays, strings); any other object (a streamed body) is left alone.
 */
export function findUnsafeInput(value: unknown, root: string): FieldError | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, path, depth } = pending.pop()!;
    if (typeof current === 'string') {
      const reason = unsafeTextReason(current);
      if (reason) return { path, message: reason };
      continue;
    }
    if (current === null || typeof current !== 'object' || !(Array.isArray(current) || isPlainObject(current))) continue;
    if (depth >= maxInputDepth) return { path, message: `nested deeper than ${maxInputDepth} levels` };
    for (const [key, child] of Object.entries(current)) {
      const reason = unsafeTextReason(key);
      if (reason) return { path, message: `a field name ${reason}` };
      pending.push({ value: child, path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Runs before schema validation on every route of the app, the gateway's proxy included. */
export function registerInputRules(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const error = findUnsafeInput(request.params, 'params') ?? findUnsafeInput(request.query, 'query') ?? findUnsafeInput(request.body, 'body');
    done(error ? kitErrors.validationFailed([error]) : undefined);
  });
}
