import {
  errorClass,
  failovers,
  type RequestEnd,
  type RequestFacts,
  type RequestObserver,
  requestEnd,
} from '../serving/request-observer.js';
import type { ChatMessage } from '../spec/index.js';

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
  prompt_tokens?: number;
  /** Time to the node's first token (non-streaming: to the answer), queue waits left out. */
  ttft_ms?: number;
  /** Nodes that failed the request before another one was tried. */
  failovers?: number;
  /** The router explored (tried an uncertain candidate on purpose). */
  explored?: boolean;
  /** Digest of the caller's API key (never the key), when keys are configured. */
  client?: string;
  error?: string;
  /** The error's code (`node_unreachable`, `saturated`, ...; `internal` for the unexpected). */
  error_class?: string;
  /** The request's messages: only when prompts are logged on purpose (observability.log.prompts). */
  prompt?: readonly ChatMessage[];
}

export type RequestLogSink = (line: RequestLogLine) => void;

/** The facts a request log line is made of (see RequestFacts). */
export type RequestLogFacts = RequestFacts;

export function requestLogLine(
  f: RequestFacts | RequestEnd,
  options: { prompts?: boolean } = {},
): RequestLogLine {
  const end = 'ms' in f ? f : requestEnd(f);
  const served = end.candidate ?? end.decision;
  const moved = failovers(end.decision);
  return {
    ts: new Date().toISOString(),
    route_id: end.decision?.routeId ?? null,
    framework: end.ctx?.framework ?? null,
    role: end.ctx?.role ?? null,
    team: end.ctx?.team ?? null,
    session: end.ctx?.sessionId ?? null,
    node: served?.nodeId ?? null,
    model: served?.modelId ?? null,
    status: end.status,
    outcome: end.outcome,
    ms: Math.round(end.ms),
    stream: end.stream,
    ...(end.tokens !== undefined ? { tokens: end.tokens } : {}),
    ...(end.promptTokens !== undefined ? { prompt_tokens: end.promptTokens } : {}),
    ...(end.ttftMs !== undefined ? { ttft_ms: Math.round(end.ttftMs) } : {}),
    ...(moved.length > 0 ? { failovers: moved.length } : {}),
    ...(end.decision?.explanation.explored ? { explored: true } : {}),
    ...(end.client !== undefined ? { client: end.client } : {}),
    ...(end.error !== undefined
      ? { error: String((end.error as Error)?.message ?? end.error), error_class: errorClass(end.error) }
      : {}),
    ...(options.prompts && end.messages !== undefined ? { prompt: end.messages } : {}),
  };
}

/** An observer handing each request's line to a sink (`startGateway({ requestLog })`). */
export function requestLogObserver(
  sink: RequestLogSink,
  options: { prompts?: boolean } = {},
): RequestObserver {
  return (end) => sink(requestLogLine(end, options));
}
