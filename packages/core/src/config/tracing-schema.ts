import { z } from 'zod';
import { strictObject } from './unknown-keys.js';

/**
 * OpenTelemetry traces over OTLP/HTTP (JSON). Tracing is on when this section names an endpoint
 * or the environment does (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`),
 * and off otherwise: then the gateway does no tracing work at all.
 */
export const TracingSchema = strictObject({
  /** false: no traces, whatever the environment says. */
  enabled: z.boolean().default(true),
  /**
   * Where spans go: a collector's base URL (`http://127.0.0.1:4318`, `/v1/traces` is appended,
   * as for OTEL_EXPORTER_OTLP_ENDPOINT) or the full traces URL (ending in `/v1/traces`).
   */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Headers on every export (a vendor's API key: `${OTLP_TOKEN}` keeps it out of the file). */
  headers: z.record(z.string(), z.string()).optional(),
  /** `service.name` of the spans; default OTEL_SERVICE_NAME, else `broke-gateway`. */
  serviceName: z.string().min(1).max(200).optional(),
  /**
   * Share of new traces recorded (0..1). A request whose `traceparent` says the caller records
   * it is recorded, one that says not is not, whatever this ratio.
   */
  sampleRatio: z.number().min(0).max(1).default(1),
});
export type TracingConfig = z.infer<typeof TracingSchema>;
