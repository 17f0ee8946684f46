// Types for gateway-floor-routed.mjs, which bench/gateway-cold.ts imports.
import type { IncomingHttpHeaders } from 'node:http';

export interface Admitted {
  body: unknown;
  headers: Record<string, string>;
  /** Records the route's outcome (call when the answer ended). */
  ended(): void;
}

export function routedAdmit(
  target: URL,
  model: string,
): (text: string, headers: IncomingHttpHeaders) => Admitted;
