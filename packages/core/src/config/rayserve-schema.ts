import { z } from 'zod';
import { strictObject } from './unknown-keys.js';

/**
 * Where a `kind: rayserve` node's Ray cluster answers: Serve's REST API on the dashboard (replica
 * counts and `max_ongoing_requests`, hence the node's capacity) and, optionally, Ray's Prometheus
 * metrics (queue lengths). The node's `url` stays the Serve HTTP proxy that serves chat.
 */
export const RayServeSchema = strictObject({
  /** Ray dashboard, e.g. `http://127.0.0.1:8265` (default: the node's host, port 8265). */
  dashboardUrl: z.url().optional(),
  /** Serve application name (default: the only application, or the one whose route prefix is the url's path). */
  application: z.string().min(1).optional(),
  /** Deployment that bounds capacity (default: the application's deployment with the least capacity). */
  deployment: z.string().min(1).optional(),
  /** Ray's metrics export (`ray start --metrics-export-port`), e.g. `http://127.0.0.1:8080/metrics`. */
  metricsUrl: z.url().optional(),
});
export type RayServeConfig = z.infer<typeof RayServeSchema>;
