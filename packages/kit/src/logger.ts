import { trace } from '@opentelemetry/api';
import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Everything that may carry a credential or a one-time secret. Paths cover both request
 * logging (req.headers.*) and ad-hoc fields that handlers log.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.dpop',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.dpop',
  'headers.cookie',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.otp',
  '*.code',
  '*.recoveryCodes',
  '*.secret',
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'otp',
  'secret',
];

export interface LoggerOptions {
  service: string;
  level: string;
  destination?: DestinationStream;
}

/** JSON logs with the active trace's ids on every line, secrets censored. */
export function createLogger({ service, level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { trace_id: traceId, span_id: spanId };
      },
    },
    destination,
  );
}
