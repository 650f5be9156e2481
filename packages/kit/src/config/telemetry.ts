import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { baseConfigShape, ConfigError, loadConfig } from '../config.js';
import type { OtlpProtocol } from '../telemetry.js';

export interface TelemetryConfig {
  service: string;
  otlpEndpoint?: string;
  otlpProtocol: OtlpProtocol;
}

const telemetryShape = {
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  ELCORP_SERVICE: z.string().trim().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: baseConfigShape.OTEL_EXPORTER_OTLP_ENDPOINT,
  OTEL_EXPORTER_OTLP_PROTOCOL: baseConfigShape.OTEL_EXPORTER_OTLP_PROTOCOL,
};

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
  const picked = Object.fromEntries(Object.keys(telemetryShape).map((name) => [name, env[name]]));
  const config = loadConfig(telemetryShape, picked);
  const service = config.OTEL_SERVICE_NAME ?? config.ELCORP_SERVICE ?? packageServiceName(cwd);
  if (!service) {
    throw new ConfigError([{ variable: 'ELCORP_SERVICE', message: `not set, and ${join(cwd, 'package.json')} names no package` }]);
  }
  return {
    service: service.replace(/^elcorp-/, ''),
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
    otlpProtocol: config.OTEL_EXPORTER_OTLP_PROTOCOL,
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
