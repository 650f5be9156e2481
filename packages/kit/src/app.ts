import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyInstance, type RawServerDefault } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { problemContentType, registerErrorHandler } from './error-handler.js';
import { classify, toProblem } from './problem.js';
import { registerHealth, type HealthCheck } from './health.js';
import { byteOrderMark, byteOrderMarkError, registerInputRules } from './input-rules.js';
import { createMetricsRegistry, registerMetrics } from './metrics.js';
import { baseComponents, documentDpopGuard, withProblemResponses } from './openapi.js';
import { requestIdFrom, requestIdHeader } from './request-id.js';
import { requestChildLogger } from './request-logger.js';
import { registerRequestTracing } from './request-tracing.js';
import { isTracing } from './telemetry.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export const defaultBodyLimitBytes = 1024 * 1024;

export interface BuildAppOptions {
  service: string;
  version?: string;
  description?: string;
  logger: Logger;
  healthChecks?: Record<string, HealthCheck>;
  healthCheckTimeoutMs?: number;
  /** How readiness answers: cached for `cacheMs`, naming its checks or not (registerHealth). */
  readiness?: { cacheMs?: number; exposeChecks?: boolean };
  /** Serve `/metrics` on this app (default true). The gateway serves it on an internal listener instead. */
  metricsRoute?: boolean;
  bodyLimitBytes?: number;
  /** Upper bound for one request, headers to end, so a slow client cannot pin a socket. */
  requestTimeoutMs?: number;
  /** Turns a service's own expected errors into AppErrors before the problem handler runs. */
  mapError?: (error: unknown) => unknown;
  /**
   * Serve the app's own document at `/openapi.json` (default true). The gateway turns it off
   * and serves a document merged with its upstreams' there instead.
   */
  openapiRoute?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
    /** Set once shutdown starts; readiness answers 503 from then on. */
    lifecycle: { shuttingDown: boolean };
  }
}

/**
 * A fastify app with the platform's common behaviour: zod type provider, RFC 9457 errors,
 * request ids, health, metrics and an OpenAPI document. It does not listen: tests inject.
 * Routes must be registered after this resolves so the OpenAPI hook sees them.
 */
export async function buildApp(options: BuildAppOptions): Promise<App> {
  const bodyLimitBytes = options.bodyLimitBytes ?? defaultBodyLimitBytes;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: bodyLimitBytes,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionTimeout: options.requestTimeoutMs ?? 30_000,
    genReqId: requestIdFrom,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    childLoggerFactory: requestChildLogger,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    // Errors the router raises before any hook (a too long segment, an undecodable path):
    // the same problem details as everything else, not fastify's own JSON.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      const appError = classify(error, bodyLimitBytes);
      void reply
        .code(appError.status).header(requestIdHeader, request.id).type(problemContentType).send(toProblem(appError, request.url));
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('lifecycle', { shuttingDown: false });
  app.decorate('metrics', createMetricsRegistry(options.service));

  // First, so that its span covers every other hook and they all run in its context.
  if (isTracing()) registerRequestTracing(app);
  // Per-request hooks that do not wait take `done`: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(requestIdHeader, request.id);
    done();
  });

  registerErrorHandler(app, bodyLimitBytes, options.mapError ?? ((error) => error));
  registerInputRules(app);
  // fastify's own JSON parsing (prototype poisoning refused), but a leading byte order mark is
  // refused instead of skipped: the gateway reads login bodies itself and must read the same.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: bodyLimitBytes }, (request, body, done) => {
    if (typeof body === 'string' && body.startsWith(byteOrderMark)) return done(byteOrderMarkError(), undefined);
    return parseJson(request, body as string, done);
  });

  // Routes guarded by a DPoP authenticator are documented as such (see openapi.ts).
  app.addHook('onRoute', documentDpopGuard);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `elcorp-${options.service}`, version: options.version ?? '0.1.0', description: options.description },
      components: baseComponents(),
    },
    transform: jsonSchemaTransform,
    // Every error response is problem details, declared once here rather than on each route.
    transformObject: (document) => ('openapiObject' in document ? withProblemResponses(document.openapiObject) : document.swaggerObject),
  });
  if (options.openapiRoute ?? true) {
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  registerHealth(app, {
    checks: options.healthChecks ?? {},
    checkTimeoutMs: options.healthCheckTimeoutMs ?? 2_000,
    isShuttingDown: () => app.lifecycle.shuttingDown,
    ...options.readiness,
  });
  registerMetrics(app, app.metrics, { route: options.metricsRoute ?? true });
  return app;
}
