import type { Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../config/tracing-schema.js';
import { BrokeError, ValidationError } from '../errors.js';
import { brokeVersion } from '../version.js';

/**
 * The gateway's OpenTelemetry tracer: its own provider (never the process-global one, so two
 * gateways in a process, or an application's own tracing, do not mix), spans batched and
 * exported over OTLP/HTTP as JSON.
 */
export interface GatewayTracing {
  readonly tracer: Tracer;
  /** Where spans go (the resolved traces URL). */
  readonly url: string;
  /** Exports every span ended so far; rejects (a BrokeError) when the export failed. */
  forceFlush(): Promise<void>;
  /** Exports what is left and stops; spans ended afterwards are dropped. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Told when exports start failing (once per run of failures); default: one line on stderr. */
  onExportError?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

const TRACES_PATH = 'v1/traces';

/**
 * The traces URL: the config's endpoint (a base URL gets `/v1/traces`, a full traces URL is kept),
 * else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is), else OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces).
 * Undefined: tracing is off (no endpoint anywhere, `enabled: false`, or OTEL_SDK_DISABLED=true).
 */
export function tracesUrl(config: TracingConfig | undefined, env: NodeJS.ProcessEnv = process.env) {
  if (config?.enabled === false) return undefined;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (config?.endpoint) return withTracesPath(config.endpoint);
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) return httpUrl(specific, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT').href;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? withTracesPath(httpUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT').href) : undefined;
}

/** A bad URL in the environment is a clear error at start, not spans silently lost. */
function httpUrl(value: string, name: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new ValidationError(`${name} is not an http(s) URL: ${JSON.stringify(value)}`, {
      hint: 'set it to an OTLP/HTTP collector, e.g. http://127.0.0.1:4318',
      field: name,
    });
  return url;
}

function withTracesPath(endpoint: string): string {
  if (/\/v1\/traces\/?$/.test(new URL(endpoint).pathname)) return endpoint;
  return endpoint.endsWith('/') ? endpoint + TRACES_PATH : `${endpoint}/${TRACES_PATH}`;
}

/**
 * Starts tracing when it is configured (see `tracesUrl`); undefined when it is off. The SDK is
 * loaded only then: a gateway without tracing never imports it, and does no tracing work per
 * request.
 */
export async function startTracing(
  config: TracingConfig | undefined,
  options: TracingOptions = {},
): Promise<GatewayTracing | undefined> {
  const env = options.env ?? process.env;
  const url = tracesUrl(config, env);
  if (!url) return undefined;
  const [{ OTLPTraceExporter }, sdk, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
  ]);
  const exporter = new OTLPTraceExporter({
    url,
    // Config headers win over OTEL_EXPORTER_OTLP_HEADERS, which the exporter reads itself.
    ...(config?.headers ? { headers: config.headers } : {}),
  });
  const report = options.onExportError ?? ((m: string) => process.stderr.write(`broke: ${m}\n`));
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({
      'service.name': config?.serviceName ?? (env.OTEL_SERVICE_NAME?.trim() || 'broke-gateway'),
      'service.version': brokeVersion(),
    }),
    // A caller's sampled flag decides for its trace; new traces are kept at the configured ratio.
    sampler: new sdk.ParentBasedSampler({
      root: new sdk.TraceIdRatioBasedSampler(config?.sampleRatio ?? 1),
    }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: reportingFailures(exporter, url, report) })],
  });
  return {
    tracer: provider.getTracer('@broke/core', brokeVersion()),
    url,
    forceFlush: () =>
      provider.forceFlush().catch((err: unknown) => {
        throw exportFailed(url, err);
      }),
    shutdown: () => provider.shutdown(),
  };
}

/** The SDK rejects a flush with its processors' errors (an array): one error naming the URL. */
function exportFailed(url: string, err: unknown): BrokeError {
  const first = Array.isArray(err) ? err[0] : err;
  const why = first instanceof Error ? first.message : String(first);
  return new BrokeError('trace_export_failed', `exporting trace spans to ${url} failed: ${why}`, {
    cause: err,
    hint: 'is the OTLP/HTTP collector running there, and does it accept these headers?',
  });
}

/**
 * The exporter, saying when exports start failing (an unreachable collector, a refused key):
 * otherwise the SDK drops the spans without a word. Said once per run of failures.
 */
function reportingFailures(
  exporter: SpanExporter,
  url: string,
  report: (message: string) => void,
): SpanExporter {
  let failing = false;
  return {
    export(spans: ReadableSpan[], done) {
      exporter.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) failing = false;
        else if (!failing) {
          failing = true;
          const why = result.error?.message ?? 'unknown error';
          report(
            `exporting ${spans.length} trace span(s) to ${url} failed: ${why} (spans are dropped until it works)`,
          );
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
