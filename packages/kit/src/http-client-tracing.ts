import { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type TextMapSetter } from '@opentelemetry/api';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** The instrumentation scope of the client spans, as a trace backend lists it. */
export const clientTracerName = '@elcorp/kit/http-client';

/** What undici (fetch, and the undici package the gateway's proxy uses) publishes of a request. */
interface UndiciRequest {
  origin: string;
  method: string;
  path: string;
  /** v6+: a flat [name, value, …] array; v5: a raw header block. */
  headers: unknown;
  addHeader(name: string, value: string): unknown;
}

const setHeader: TextMapSetter<UndiciRequest> = { set: (request, name, value) => void request.addHeader(name, value) };

/** server.address and server.port of an origin, parsed once: a service calls a handful of origins. */
const serverOf = new Map<string, { address: string; port: number }>();
const serverOriginsMax = 256;

function serverAttributes(origin: string): { address: string; port: number } {
  let server = serverOf.get(origin);
  if (server === undefined) {
    const url = new URL(origin);
    server = { address: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
    if (serverOf.size >= serverOriginsMax) serverOf.clear();
    serverOf.set(origin, server);
  }
  return server;
}

/**
 * One CLIENT span per HTTP request sent through undici (fetch, and the gateway's hops), with
 * the W3C trace context injected for the receiver. It listens on undici's diagnostics channels
 * instead of loading @opentelemetry/instrumentation-undici, which parsed the URL and copied
 * every header into a Map per request to find the user agent, and timed each request again
 * for a duration metric nothing reads. Returns the unsubscription, for shutdown.
 */
export function traceHttpClient(): () => void {
  const tracer = trace.getTracer(clientTracerName);
  const spans = new WeakMap<UndiciRequest, Span>();

  const onCreate = (message: unknown) => {
    const { request } = message as { request: UndiciRequest };
    // A request that already carries a traceparent continues the trace its caller chose;
    // injecting ours as well would send two headers and the receiver would start afresh.
    if (request.method === 'CONNECT' || hasHeader(request.headers, 'traceparent')) return;
    const server = serverAttributes(request.origin);
    const parent = context.active();
    const span = tracer.startSpan(
      request.method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': request.method,
          'url.full': `${request.origin}${request.path}`,
          'server.address': server.address,
          'server.port': server.port,
        },
      },
      parent,
    );
    propagation.inject(trace.setSpan(parent, span), request, setHeader);
    if (span.isRecording()) spans.set(request, span);
  };
  const onHeaders = (message: unknown) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', response.statusCode);
    // Semantic conventions: on the client side a 4xx is a failed call too.
    if (response.statusCode >= 400) {
      span.setAttribute('error.type', String(response.statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  };
  const onDone = (message: unknown) => {
    const { request } = message as { request: UndiciRequest };
    spans.get(request)?.end();
    spans.delete(request);
  };
  const onError = (message: unknown) => {
    const { request, error } = message as { request: UndiciRequest; error: Error };
    const span = spans.get(request);
    if (!span) return;
    span.recordException(error);
    span.setAttribute('error.type', error.name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.end();
    spans.delete(request);
  };

  const channels: Array<[string, (message: unknown) => void]> = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['undici:request:trailers', onDone],
    ['undici:request:error', onError],
  ];
  for (const [name, listener] of channels) subscribe(name, listener);
  return () => {
    for (const [name, listener] of channels) unsubscribe(name, listener);
  };
}

/** `name` in lower case: undici stores the names of a header array lower-cased. */
function hasHeader(headers: unknown, name: string): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return true;
    return false;
  }
  if (typeof headers === 'string') {
    return headers.split('\r\n').some((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase() === name);
  }
  return false;
}
