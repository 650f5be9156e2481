import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRequire } from 'node:module';
import { loadSamplerConfig, type tracesSamplerNames } from './config/telemetry.js';
import { traceHttpClient } from './http-client-tracing.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** As OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG name them; `ratio` is used by the *traceidratio ones. */
export interface TracesSampler {
  name: (typeof tracesSamplerNames)[number];
  ratio: number;
}

export interface TelemetryOptions {
  /** Short service name (`payments`); the resource's service.name becomes `elcorp-payments`. */
  service: string;
  /** OTLP base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT (`http://collector:4318`). Unset: nothing is exported. */
  otlpEndpoint?: string;
  otlpProtocol?: OtlpProtocol;
  /** Extra processors, e.g. `new SimpleSpanProcessor(new InMemorySpanExporter())` in tests. */
  spanProcessors?: SpanProcessor[];
  /** Default: read from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (parentbased_always_on). */
  sampler?: TracesSampler;
}

export interface Telemetry {
  /** Flushes and stops tracing; safe to call more than once. */
  shutdown(): Promise<void>;
}

/** A dead collector must not hold a rolling deploy: give the final flush this long at most. */
const flushDeadlineMs = 5_000;

// The SDK is loaded on first start, not when the kit is imported: every service and test
// imports the kit (shutdown() calls shutdownTelemetry), and sdk-node alone costs ~150 ms.
// The packages are CommonJS, so a synchronous require keeps startTelemetry synchronous: the
// tracer provider is registered before `--import @elcorp/kit/telemetry` hands over to the service.
const load = createRequire(import.meta.url);

let active: Telemetry | undefined;

/**
 * Starts OpenTelemetry tracing for this process: W3C trace context and baggage, an
 * AsyncLocalStorage context manager, and the spans an SRE reads: one per HTTP request
 * received (by buildApp, request-tracing.ts) and sent (fetch, undici: each hop,
 * http-client-tracing.ts), per query (@elcorp/db) and per publish and consume (messaging).
 * There is no span per redis command, nor per framework hook: @fastify/otel made ~12 per
 * request, a third of the gateway's CPU; instrumentation-pg cost ~17 µs per query.
 * Sampling follows OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default
 * parentbased_always_on); a request a parent-based sampler leaves out records no span.
 * Spans go to OTLP only when an endpoint is given; metrics and logs are never exported
 * from here (prom-client and pino own those).
 * A second call returns the running handle instead of registering twice.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (active) return active;

  const { NodeSDK } = load('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } =
    load('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const traceBase = load('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { BatchSpanProcessor, NoopSpanProcessor } = traceBase;
  // No instrumentation patches a module: the kit and its packages make every span themselves.
  // The server span by buildApp (request-tracing.ts), the client span of each hop from undici's
  // diagnostics channels (http-client-tracing.ts), queries by @elcorp/db (query-tracing.ts),
  // publish and consume by @elcorp/messaging. No span per redis command: each request sends a
  // few (the rate limit's script, the token admission and DPoP replay checks), sub-millisecond
  // steps that the request's own span already times.
  const untraceHttpClient = traceHttpClient();

  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint) {
    spanProcessors.push(new BatchSpanProcessor(otlpExporter(options.otlpEndpoint, options.otlpProtocol ?? 'http/protobuf')));
  }
  // With no processor the SDK registers no tracer provider at all: no trace ids in the logs
  // and no traceparent on outgoing calls. A no-op processor keeps both and exports nothing.
  if (spanProcessors.length === 0) spanProcessors.push(new NoopSpanProcessor());

  const sdk = new NodeSDK({
    serviceName: `elcorp-${options.service}`,
    sampler: buildSampler(traceBase, options.sampler ?? loadSamplerConfig()),
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    // contextManager left unset: the SDK's default is an enabled AsyncLocalStorageContextManager.
    instrumentations: [],
    spanProcessors,
    // Explicit empty lists: otherwise the SDK reads OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER,
    // defaults both to OTLP and, with no collector, waits ~8 s at shutdown.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();

  let stopping: Promise<void> | undefined;
  const handle: Telemetry = {
    shutdown() {
      stopping ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, flushDeadlineMs);
          timer.unref();
        });
        try {
          await Promise.race([sdk.shutdown(), deadline]);
        } finally {
          clearTimeout(timer);
          // Unregister so a later startTelemetry (tests) starts from a clean slate.
          untraceHttpClient();
          trace.disable();
          propagation.disable();
          context.disable();
          if (active === handle) active = undefined;
        }
      })();
      return stopping;
    },
  };
  active = handle;
  return handle;
}

/** True between startTelemetry and its shutdown: buildApp then traces its requests. */
export function isTracing(): boolean {
  return active !== undefined;
}

/**
 * Flushes and stops the telemetry started by startTelemetry; a no-op when it never started.
 * An export failure is reported on stderr, never thrown: it must not fail a clean shutdown.
 */
export async function shutdownTelemetry(): Promise<void> {
  if (!active) return;
  try {
    await active.shutdown();
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: `telemetry shutdown failed: ${(err as Error)?.message ?? String(err)}` })}\n`);
  }
}

function buildSampler(base: typeof import('@opentelemetry/sdk-trace-base'), { name, ratio }: TracesSampler): import('@opentelemetry/sdk-trace-base').Sampler {
  if (name === 'always_on') return new base.AlwaysOnSampler();
  if (name === 'always_off') return new base.AlwaysOffSampler();
  if (name === 'traceidratio') return new base.TraceIdRatioBasedSampler(ratio);
  const root =
    name === 'parentbased_always_on' ? new base.AlwaysOnSampler()
    : name === 'parentbased_always_off' ? new base.AlwaysOffSampler()
    : new base.TraceIdRatioBasedSampler(ratio);
  // A caller's decision stands, sampled or not; only a trace that starts here uses `root`.
  return new base.ParentBasedSampler({ root });
}

type ExporterClass = new (config: { url: string }) => SpanExporter;

const exporterPackages: Record<OtlpProtocol, string> = {
  'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
  'http/json': '@opentelemetry/exporter-trace-otlp-http',
  grpc: '@opentelemetry/exporter-trace-otlp-grpc',
};

/** The OTLP trace exporter for a protocol; `endpoint` is a base URL as in OTEL_EXPORTER_OTLP_ENDPOINT. */
function otlpExporter(endpoint: string, protocol: OtlpProtocol): SpanExporter {
  const { OTLPTraceExporter } = load(exporterPackages[protocol]) as { OTLPTraceExporter: ExporterClass };
  const base = endpoint.replace(/\/+$/, '');
  // gRPC takes the endpoint as is; over HTTP the signal path is appended to the base URL.
  return new OTLPTraceExporter({ url: protocol === 'grpc' ? base : `${base}/v1/traces` });
}
