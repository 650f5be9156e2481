import { context, propagation, trace, SpanKind, type Context, type Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('@elcorp/messaging');

/** The active trace context as W3C headers (traceparent/tracestate), for storing or sending. */
export function currentTraceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

export function contextFromHeaders(headers: Record<string, string>): Context {
  return propagation.extract(context.active(), headers);
}

/** Runs fn inside a span that is a child of the context carried by `parent` headers. */
export async function withSpan<T>(
  name: string,
  kind: SpanKind,
  parent: Record<string, string>,
  attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parentContext = contextFromHeaders(parent);
  return tracer().startActiveSpan(name, { kind, attributes }, parentContext, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2 });
      throw err;
    } finally {
      span.end();
    }
  });
}

export { SpanKind };
