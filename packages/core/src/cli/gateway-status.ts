import { type StatusReport, StatusReportSchema } from '../cluster/status-report.js';
import { hostFromEnv, portFromEnv } from '../config/gateway-env.js';
import type { BrokeConfig } from '../config/schema.js';
import { ValidationError } from '../errors.js';

/**
 * Where `status` looks for a running gateway: `--gateway URL`, else where `serve` would listen
 * (BROKE_HOST / BROKE_PORT, then gateway.host / gateway.port). A wildcard bind is asked on
 * loopback; port 0 (any free port) cannot be found, so there is nothing to ask.
 */
export function gatewayUrlFor(config: BrokeConfig, flag: string | undefined): string | undefined {
  if (flag !== undefined) {
    if (!URL.canParse(flag) || !/^https?:$/.test(new URL(flag).protocol))
      throw new ValidationError(`--gateway ${flag} is not an http(s) URL`, {
        hint: 'e.g. --gateway http://127.0.0.1:8787',
      });
    return flag.replace(/\/+$/, '');
  }
  const port = portFromEnv() ?? config.gateway.port;
  if (!port) return undefined;
  const bind = hostFromEnv() ?? config.gateway.host;
  const host = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' || bind === '[::]' ? '::1' : bind;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

export type GatewayAnswer = { ok: true; report: StatusReport } | { ok: false; reason: string };

/**
 * GET /v1/status with the config's first admin key (else API key), when keys are configured.
 * Anything but a well-formed status report is a reason to probe the nodes instead.
 */
export async function askGateway(url: string, config: BrokeConfig, timeoutMs = 1500): Promise<GatewayAnswer> {
  const key = config.gateway.adminKeys[0] ?? config.gateway.apiKeys[0];
  let res: Response;
  try {
    res = await fetch(`${url}/v1/status`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: `no gateway answers at ${url}${cause ? ` (${cause})` : ''}` };
  }
  const text = await res.text().catch(() => '');
  if (res.status === 401 || res.status === 403)
    return {
      ok: false,
      reason: `the gateway at ${url} refused the status request (${res.status}; check gateway.adminKeys)`,
    };
  if (!res.ok)
    return {
      ok: false,
      reason: `${url}/v1/status answered ${res.status}: not a BROKE gateway, or an older one`,
    };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = StatusReportSchema.safeParse(body);
  if (!parsed.success) return { ok: false, reason: `${url}/v1/status is not a BROKE status report` };
  // Another cluster's gateway on the same port says nothing about this config's nodes.
  const mine = config.nodes.map((n) => n.id).sort();
  const theirs = parsed.data.nodes.map((n) => n.id).sort();
  if (mine.join('\n') !== theirs.join('\n'))
    return { ok: false, reason: `the gateway at ${url} serves other nodes (${theirs.join(', ') || 'none'})` };
  return { ok: true, report: parsed.data };
}
