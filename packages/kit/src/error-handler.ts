import type { FastifyInstance } from 'fastify';
import { kitErrors } from './errors.js';
import { classify, toProblem } from './problem.js';

export const problemContentType = 'application/problem+json';

/** One place that turns every failure into RFC 9457 problem details. */
export function registerErrorHandler(app: FastifyInstance, bodyLimitBytes: number, mapError: (error: unknown) => unknown): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = classify(mapError(error), bodyLimitBytes);
    if (isDeferral(appError.status, appError.headers)) {
      // Shedding load or a dependency away: answered on purpose and retried by the client, so
      // an alert on error lines does not fire for a flood the service is riding out. The
      // cause is kept: it names the dependency.
      request.log.warn({ code: appError.code, status: appError.status, err: error }, 'request deferred');
    } else if (appError.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: appError.code, status: appError.status }, 'request refused');
    }
    return reply
      .code(appError.status)
      .headers(appError.headers)
      .type(problemContentType)
      .send(toProblem(appError, request.url));
  });

  app.setNotFoundHandler((request, reply) => {
    const problem = toProblem(kitErrors.notFound(`no route for ${request.method} ${request.url.split('?')[0]}`), request.url);
    return reply.code(404).type(problemContentType).send(problem);
  });
}

/** A 503 that tells the client when to come back: the service chose it, nothing broke in it. */
function isDeferral(status: number, headers: Record<string, string>): boolean {
  return status === 503 && headers['retry-after'] !== undefined;
}
