import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { dependencyRetryAfterSeconds, isDependencyUnavailable } from './dependency-errors.js';
import { AppError, kitErrors, type FieldError } from './errors.js';

/** RFC 9457 body. `type` is a stable URI per code so clients can link to documentation. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  instance: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const problemTypeBase = 'https://errors.elcorp.na/';

export function toProblem(error: AppError, instance: string): Problem {
  return {
    ...error.extensions,
    type: `${problemTypeBase}${error.code}`,
    title: error.title,
    status: error.status,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    code: error.code,
    instance,
    ...(error.errors === undefined ? {} : { errors: error.errors }),
  };
}

/** fastify and zod report validation per issue; we answer one entry per failing field. */
function validationErrors(error: FastifyError & { validation: unknown[] }, context: string): FieldError[] {
  const out: FieldError[] = [];
  for (const raw of error.validation as Array<{ instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> }>) {
    const base = [context, ...(raw.instancePath ?? '').split('/').filter(Boolean)].join('.');
    const keys = raw.keyword === 'unrecognized_keys' ? (raw.params?.['keys'] as string[] | undefined) : undefined;
    if (keys) {
      for (const key of keys) out.push({ path: `${base}.${key}`, message: 'unknown field' });
    } else {
      out.push({ path: base, message: raw.message ?? 'invalid value' });
    }
  }
  return out;
}

/** Maps anything thrown inside a request to an AppError. Unknown errors become 500. */
export function classify(error: unknown, bodyLimitBytes: number): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(error)) {
    return kitErrors.validationFailed(validationErrors(error, fastifyError.validationContext ?? 'body'));
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return kitErrors.payloadTooLarge(bodyLimitBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return kitErrors.unsupportedMediaType('of this request');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return kitErrors.malformedBody('the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return kitErrors.malformedBody('the body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return kitErrors.malformedBody('content-length does not match the body');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return kitErrors.uriTooLong();
    case 'FST_ERR_BAD_URL':
      return kitErrors.notFound('the path is not a valid URL');
  }
  // Other client errors fastify raises itself (bad headers, aborted bodies) stay client errors.
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return kitErrors.malformedBody('the request could not be read');
  }
  // After the client errors: a client that hung up mid-body is ECONNRESET too, and is no outage.
  if (isDependencyUnavailable(error)) {
    return new AppError(503, 'service_unavailable', 'Service unavailable', {
      detail: 'a dependency of this service is unavailable; retry later',
      headers: { 'retry-after': String(dependencyRetryAfterSeconds) },
      cause: error,
    });
  }
  return kitErrors.internal();
}
