import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { baseConfigShape, ConfigError, loadConfig } from '../config.js';
import type { OtlpProtocol, TracesSampler } from '../telemetry.js';

export interface TelemetryConfig {
  service: string;
  otlpEndpoint?: string;
  otlpProtocol: OtlpProtocol;
  sampler: TracesSampler;
}

/**
 * The standard OpenTelemetry sampler variables, validated here rather than left to the SDK,
 * which warns and falls back to always-on on a typo: a bad value stops the start instead.
 */
/** The samplers OTEL_TRACES_SAMPLER may name. */
export const tracesSamplerNames = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

const samplerShape = {
  OTEL_TRACES_SAMPLER: z.enum(tracesSamplerNames).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
};

const telemetryShape = {
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  ELCORP_SERVICE: z.string().trim().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: baseConfigShape.OTEL_EXPORTER_OTLP_ENDPOINT,
  OTEL_EXPORTER_OTLP_PROTOCOL: baseConfigShape.OTEL_EXPORTER_OTLP_PROTOCOL,
  ...samplerShape,
};

const pick = (shape: object, env: Record<string, string | undefined>) => Object.fromEntries(Object.keys(shape).map((name) => [name, env[name]]));

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (the ratio, used by the *traceidratio samplers). */
export function loadSamplerConfig(env: Record<string, string | undefined> = process.env): TracesSampler {
  const config = loadConfig(samplerShape, pick(samplerShape, env));
  return { name: config.OTEL_TRACES_SAMPLER, ratio: config.OTEL_TRACES_SAMPLER_ARG };
}

/**
 * What `--import @elcorp/kit/telemetry` needs, from these variables only. The service name
 * is OTEL_SERVICE_NAME, else ELCORP_SERVICE, else the `name` in the working directory's
 * package.json (`@elcorp/payments` → `payments`), which is the service dir under `pnpm start`
 * and start-fleet. An `elcorp-` prefix is dropped: startTelemetry adds it back.
 */
export function loadTelemetryConfig(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): TelemetryConfig {
  const config = loadConfig(telemetryShape, pick(telemetryShape, env));
  const service = config.OTEL_SERVICE_NAME ?? config.ELCORP_SERVICE ?? packageServiceName(cwd);
  if (!service) {
    throw new ConfigError([{ variable: 'ELCORP_SERVICE', message: `not set, and ${join(cwd, 'package.json')} names no package` }]);
  }
  return {
    service: service.replace(/^elcorp-/, ''),
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
    otlpProtocol: config.OTEL_EXPORTER_OTLP_PROTOCOL,
    sampler: { name: config.OTEL_TRACES_SAMPLER, ratio: config.OTEL_TRACES_SAMPLER_ARG },
  };
}

function packageServiceName(cwd: string): string | undefined {
  try {
    const { name } = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: unknown };
    if (typeof name !== 'string' || name === '') return undefined;
    return name.replace(/^@[^/]+\//, '');
  } catch {
    return undefined;
  }
}
