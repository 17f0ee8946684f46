import type { ReplicaState } from '../cluster/replica-state.js';
import type { AgentContext } from '../context/agent-context.js';
import type { Candidate, RouteDecision, RouteRequest } from '../routing/types.js';
import type { ChatMessage, ChatRequest, ChatStreamRequest } from '../spec/index.js';
import { LinkedCallOptions } from './abort-link.js';
import { requiredCapabilities } from './capabilities.js';
import type { ServingBody } from './chat-body.js';
import type { ClientLink } from './client-link.js';
import { ClientGoneError, type DispatchDeps, dispatchWithFailover } from './dispatch.js';
import { mayHaveNonFinite, withFiniteNumbers, withTopLevelFields } from './json-fields.js';
import { recordOutcome } from './record.js';
import type { RequestObserver } from './request-observer.js';
import { endRequest, type RequestWatcher } from './request-watcher.js';
import { completionText, type ResponseCapture } from './response-capture.js';
import type { Routed } from './routed.js';
import { type FirstResult, ServedStream } from './served-stream.js';
import { upstreamBody } from './upstream-body.js';
import { usageOf } from './usage-text.js';

export interface ServingDeps extends DispatchDeps {
  /** Told how each request ended (request log, metrics): see request-observer.ts. */
  observers?: readonly RequestObserver[];
  /** `requested`: answers name the model the caller asked for (see GatewayBridge). */
  responseModel?: 'served' | 'requested';
  /** Replicas sharing Redis: a session's node is read from it before routing (replica-state.ts). */
  replicas?: Pick<ReplicaState, 'primeSession' | 'degraded'>;
  /** Prompt and answer capture: wanted requests end with their answer text (response-capture.ts). */
  capture?: ResponseCapture;
}

/** One chat request, parsed, with its agent context: what serving needs from its caller. */
export interface ServeRequest {
  body: ServingBody;
  ctx: AgentContext;
  /** The caller's end: going away aborts the node call. */
  client: ClientLink;
  /** performance.now() when the request arrived. */
  t0: number;
  /** Who asked (the digest of the caller's API key), for routes only that caller may read. */
  owner?: string | undefined;
  /** Tracing, when on. */
  watcher?: RequestWatcher | undefined;
}

/** The whole answer, as JSON text with `id` (the route id) and `model` replaced. */
export interface ServedCompletion {
  ok: true;
  stream: false;
  decision: RouteDecision;
  candidate: Candidate;
  text: string;
}

/** The request failed before any output; observers were told and the outcome recorded. */
export interface ServeFailure {
  ok: false;
  error: unknown;
  /** Set when routing got that far (the answer still names the route). */
  decision: RouteDecision | undefined;
}

export type Served = ServedCompletion | ServedStream | ServeFailure;

/**
 * Serves one chat request: route (with the agent context and the capabilities the body needs),
 * dispatch with failover until a node answers, and for a stream the relay that follows
 * (ServedStream.relay); the outcome goes to the router and the end to the observers. No transport
 * here: the gateway frames the result as HTTP, LangChain's in-process mode as chat chunks.
 */
export async function serveChat(deps: ServingDeps, req: ServeRequest): Promise<Served> {
  const { body, ctx, t0, watcher } = req;
  const stream = body.stream === true;
  const messages = body.messages as unknown as ChatMessage[];
  let decision: RouteDecision | undefined;
  let routeMs: number | undefined;
  try {
    // Another replica may have served this session's last turn: its node comes from Redis.
    if (deps.replicas && ctx.sessionId !== undefined) await deps.replicas.primeSession(ctx.sessionId);
    const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
    const r0 = performance.now();
    // Field by field: conditional spreads cost a temporary object each, on every request.
    const routeRequest: RouteRequest = { messages, requires: requiredCapabilities(body) };
    if (body.model !== undefined) routeRequest.model = body.model;
    if (maxTokens) routeRequest.maxTokens = maxTokens;
    if (req.owner !== undefined) routeRequest.owner = req.owner;
    decision = deps.router.route(routeRequest, ctx);
    routeMs = performance.now() - r0;
    watcher?.routed(body, ctx, decision, r0, r0 + routeMs);
    const route: Routed = { t0, ctx, decision, routeMs, messages };
    if (req.owner !== undefined) route.client = req.owner;
    // One check when capture is off; the answer is only assembled for a request that is captured.
    if (deps.capture?.wants(ctx)) route.capture = true;
    return await (stream ? startStream(deps, req, route) : complete(deps, req, route));
  } catch (error) {
    endRequest(deps, watcher, {
      t0,
      stream,
      ctx,
      ...(decision ? { decision } : {}),
      ...(routeMs !== undefined ? { routeMs } : {}),
      messages,
      ...(req.owner !== undefined ? { client: req.owner } : {}),
      outcome: 'error',
      error,
    });
    return { ok: false, error, decision };
  }
}

/** Dispatch failed: the route learns it, unless the caller left before any node answered. */
function dispatchFailed(deps: ServingDeps, decision: RouteDecision, err: unknown): never {
  if (!(err instanceof ClientGoneError))
    recordOutcome(deps.router, decision.routeId, {
      success: false,
      error: String((err as Error).message ?? err),
    });
  throw err;
}

async function complete(deps: ServingDeps, req: ServeRequest, route: Routed): Promise<ServedCompletion> {
  const { body } = req;
  const { t0, decision } = route;
  let started: Awaited<ReturnType<typeof dispatchWithFailover<string>>>;
  try {
    started = await dispatchWithFailover<string>(
      deps,
      decision,
      req.client,
      (driver, cand, abort, headers) => {
        const upstream = upstreamBody(body, cand, false) as unknown as ChatRequest;
        const options = new LinkedCallOptions(abort, headers);
        // The same pass-through as streams: the node's JSON relayed with only `model` replaced.
        return driver.chatRaw(upstream, options);
      },
      req.watcher,
    );
  } catch (err) {
    dispatchFailed(deps, decision, err);
  }
  started.finish();
  const latencyMs = performance.now() - t0 - started.waitedMs;
  const modelId =
    deps.responseModel === 'requested' && body.model !== undefined ? body.model : started.candidate.modelId;
  const raw = mayHaveNonFinite(started.value) ? withFiniteNumbers(started.value) : started.value;
  const text = withTopLevelFields(raw, {
    id: JSON.stringify(decision.routeId),
    model: JSON.stringify(modelId),
  });
  const usage = usageOf(started.value);
  const tokens = usage?.completion_tokens;
  const promptTokens = usage?.prompt_tokens;
  // No time to first token: a whole answer arrives at once, and taking its latency as the TTFT
  // taught the router that the node needs that long before every answer (and a slow prefill).
  // The answer's tokens over its latency still teach the decode speed (learning/learner.ts).
  recordOutcome(deps.router, decision.routeId, {
    success: true,
    latencyMs,
    ...(tokens !== undefined ? { tokens } : {}),
    ...(promptTokens !== undefined ? { promptTokens } : {}),
  });
  endRequest(deps, req.watcher, {
    ...route,
    stream: false,
    candidate: started.candidate,
    outcome: 'ok',
    ttftMs: latencyMs,
    ...(tokens !== undefined ? { tokens } : {}),
    ...(promptTokens !== undefined ? { promptTokens } : {}),
    ...(route.capture ? { response: completionText(started.value) } : {}),
  });
  return { ok: true, stream: false, decision, candidate: started.candidate, text };
}

async function startStream(deps: ServingDeps, req: ServeRequest, route: Routed): Promise<ServedStream> {
  const { body } = req;
  const { t0, decision } = route;
  let started: Awaited<ReturnType<typeof dispatchWithFailover<FirstResult>>>;
  try {
    started = await dispatchWithFailover<FirstResult>(
      deps,
      decision,
      req.client,
      async (driver, cand, abort, headers) => {
        const upstream = upstreamBody(body, cand, true) as unknown as ChatStreamRequest;
        const options = new LinkedCallOptions(abort, headers);
        // Failover is only safe before the caller has seen a byte: wait for the node's first chunk.
        const iter = driver.chatStreamRaw(upstream, options)[Symbol.asyncIterator]();
        return { iter, first: await iter.next() };
      },
      req.watcher,
    );
  } catch (err) {
    dispatchFailed(deps, decision, err);
  }
  // The node's own speed: time spent queueing for a slot is not the node's latency.
  const ttftMs = performance.now() - t0 - started.waitedMs;
  const shownModel =
    deps.responseModel === 'requested' && body.model !== undefined ? body.model : started.candidate.modelId;
  return new ServedStream(deps, req, route, started, ttftMs, shownModel);
}
