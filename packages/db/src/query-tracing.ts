import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type pg from 'pg';

/** The instrumentation scope of the query spans, as a trace backend lists it. */
export const queryTracerName = '@elcorp/db';

type Query = (...args: unknown[]) => unknown;

/** Where a connection goes: the attributes every query span of a client shares. */
interface Server {
  database: string | undefined;
  host: string | undefined;
  port: number | undefined;
}

/**
 * One CLIENT span per query of a pool client, made here rather than by
 * @opentelemetry/instrumentation-pg: that patch cost ~17 µs per query (it copied the query
 * config, parsed the statement, wrapped callbacks and timed each query again for a metric
 * nothing reads), a fifth of identity's CPU per request with tracing on. A query is traced only
 * inside a recorded span (a request, a consumer): start-up migrations and the relay's polling
 * would otherwise each become a trace of their own, and an unsampled request costs nothing.
 * The span carries the statement's text, which holds placeholders, never the values; a failed
 * query is marked with its SQLSTATE only, since a database error message can quote a row.
 */
export function tracingQueries(client: pg.PoolClient): void {
  const query = client.query.bind(client) as Query;
  const { database, host, port } = client as unknown as Server;
  const shared: Attributes = { 'db.system.name': 'postgresql' };
  if (database !== undefined) shared['db.namespace'] = database;
  if (host !== undefined) shared['server.address'] = host;
  if (port !== undefined) shared['server.port'] = port;
  const tracer = trace.getTracer(queryTracerName);

  (client as unknown as { query: Query }).query = (...args: unknown[]) => {
    const text = textOf(args[0]);
    // A submittable (a cursor) is pg's business and goes untraced.
    if (text === undefined || !trace.getActiveSpan()?.isRecording()) return query(...args);
    const operation = operationOf(text);
    const span = tracer.startSpan(operation, { kind: SpanKind.CLIENT, attributes: { ...shared, 'db.operation.name': operation, 'db.query.text': text } });
    const last = args.length - 1;
    const withCallback = typeof args[last] === 'function';
    if (withCallback) {
      // The callback form, as pg's Pool.query sends it: the span ends when pg answers.
      const callback = args[last] as (err: unknown, result: unknown) => void;
      args[last] = (err: unknown, result: unknown) => {
        if (err) endFailed(span, err);
        else span.end();
        callback(err, result);
      };
    }
    let result: unknown;
    try {
      result = query(...args);
    } catch (err) {
      endFailed(span, err);
      throw err;
    }
    if (withCallback) return result;
    if (typeof (result as Promise<unknown> | undefined)?.then !== 'function') span.end();
    else void (result as Promise<unknown>).then(() => span.end(), (err: unknown) => endFailed(span, err));
    return result;
  };
}

function textOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { text?: unknown }).text === 'string' && typeof (arg as { submit?: unknown }).submit !== 'function') {
    return (arg as { text: string }).text;
  }
  return undefined;
}

const leadingComments = /^(?:\s+|\/\*[\s\S]*?\*\/|--[^\n]*\n)*/;
const firstWord = /^[A-Za-z]{1,16}\b/;

/** The statement's first keyword (`SELECT`, `INSERT`, `WITH`…), past any comment such as the prepared marker. */
function operationOf(text: string): string {
  const rest = text.slice(leadingComments.exec(text)?.[0].length ?? 0);
  return firstWord.exec(rest)?.[0].toUpperCase() ?? 'QUERY';
}

function endFailed(span: Span, err: unknown): void {
  const code = (err as { code?: unknown } | null)?.code;
  const type = typeof code === 'string' ? code : err instanceof Error ? err.name : 'Error';
  if (typeof code === 'string') span.setAttribute('db.response.status_code', code);
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
