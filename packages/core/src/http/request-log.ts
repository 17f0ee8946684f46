import type { AgentContext } from '../context/agent-context.js';
import { BrokeError } from '../errors.js';
import type { Candidate, RouteDecision } from '../routing/types.js';

/** One line per chat request, written when it ends (for streams: when the last byte went out). */
export interface RequestLogLine {
  ts: string;
  route_id: string | null;
  framework: string | null;
  role: string | null;
  team: string | null;
  session: string | null;
  node: string | null;
  model: string | null;
  status: number;
  /** How it ended: `ok`, `error`, or `client_closed` (the client left mid-stream). */
  outcome: 'ok' | 'error' | 'client_closed';
  ms: number;
  stream: boolean;
  tokens?: number;
  error?: string;
}

export type RequestLogSink = (line: RequestLogLine) => void;

export interface RequestLogFacts {
  t0: number;
  stream: boolean;
  ctx?: AgentContext;
  decision?: RouteDecision;
  candidate?: Candidate;
  outcome: RequestLogLine['outcome'];
  status?: number;
  tokens?: number;
  error?: unknown;
}

/** The HTTP status an error is answered with (what the client saw). */
export function statusOfError(err: unknown): number {
  return err instanceof BrokeError ? err.status : 500;
}

export function requestLogLine(f: RequestLogFacts): RequestLogLine {
  const served = f.candidate ?? f.decision;
  return {
    ts: new Date().toISOString(),
    route_id: f.decision?.routeId ?? null,
    framework: f.ctx?.framework ?? null,
    role: f.ctx?.role ?? null,
    team: f.ctx?.team ?? null,
    session: f.ctx?.sessionId ?? null,
    node: served?.nodeId ?? null,
    model: served?.modelId ?? null,
    status: f.status ?? (f.error === undefined ? 200 : statusOfError(f.error)),
    outcome: f.outcome,
    ms: Math.round(performance.now() - f.t0),
    stream: f.stream,
    ...(f.tokens !== undefined ? { tokens: f.tokens } : {}),
    ...(f.error !== undefined ? { error: String((f.error as Error)?.message ?? f.error) } : {}),
  };
}
