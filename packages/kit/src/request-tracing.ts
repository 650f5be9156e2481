import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pathOf } from './url-path.js';

/** The instrumentation scope of the server spans, as a trace backend lists it. */
export const requestTracerName = '@elcorp/kit/http-server';

/** Probes and scrapes arrive every few seconds; tracing them only buries the real requests. */
const untracedPaths = new Set(['/health/live', '/health/ready', '/metrics']);

const spanOf = Symbol('elcorp.requestSpan');

declare module 'fastify' {
  interface FastifyRequest {
    [spanOf]: Span | undefined;
  }
}

/**
 * One SERVER span per HTTP request, made by the app itself rather than by patching node:http
 * (@opentelemetry/instrumentation-http): the patch wrapped every listener of every request and
 * response in the span's context and built two dozen attributes, ~a third of what tracing cost
 * the gateway per request. The span joins the caller's W3C trace context, is named by the
 * fastify route (`GET /api/v1/users/:id`) and carries the stable HTTP semantic-convention
 * attributes an SRE filters on. The request's hooks and handler run in its context, so logs,
 * queries, outgoing calls and published events hang under it.
 *
 * Registered first in buildApp, so the span covers every other hook. Tracing is on when
 * startTelemetry ran before the app was built (`--import @elcorp/kit/telemetry` guarantees it).
 */
export function registerRequestTracing(app: FastifyInstance): void {
  app.decorateRequest(spanOf, undefined);
  const tracer = trace.getTracer(requestTracerName);

  app.addHook('onRequest', (request, reply, done) => {
    const path = pathOf(request.url);
    if (untracedPaths.has(path)) return done();
    const method = request.method;
    const route = request.routeOptions.url;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const attributes: Record<string, string> = {
      'http.request.method': method,
      'url.path': path,
      'url.scheme': request.protocol,
      'server.address': request.hostname,
      'network.protocol.version': request.raw.httpVersion,
    };
    if (route !== undefined) attributes['http.route'] = route;
    const userAgent = request.headers['user-agent'];
    if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
    const span = tracer.startSpan(route === undefined ? method : `${method} ${route}`, { kind: SpanKind.SERVER, attributes }, parent);
    request[spanOf] = span;
    // The rest of the request's hooks and its handler run in the span's context: fastify runs
    // a handler after a body that arrived in later reads of the connection in the scope of the
    // request (an AsyncResource), so nothing has to wrap the request's event listeners.
    context.with(trace.setSpan(parent, span), done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    endSpan(request, reply);
    done();
  });

  // The client went away before the answer: the span still ends, marked as such.
  app.addHook('onRequestAbort', (request, done) => {
    const span = request[spanOf];
    if (span?.isRecording()) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client closed the connection before the response' });
      span.end();
    }
    done();
  });
}

function endSpan(request: FastifyRequest, reply: FastifyReply): void {
  const span = request[spanOf];
  if (!span?.isRecording()) return;
  const status = reply.statusCode;
  span.setAttribute('http.response.status_code', status);
  // Semantic conventions: on the server side only a 5xx is the server's failure.
  if (status >= 500) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
