import type { Context } from 'hono';
import type { ReplicaState } from '../cluster/replica-state.js';
import type { BrokeConfig, Capability } from '../config/schema.js';
import type { AgentContext, Framework } from '../context/agent-context.js';
import type {
  ChatChunk,
  ChatCompletion,
  ChatMessage,
  ChatRequest,
  ChatStreamRequest,
} from '../drivers/types.js';
import { BrokeError } from '../errors.js';
import type { Outcome } from '../learning/outcome.js';
import { RequestTrace } from '../observability/request-trace.js';
import type { GatewayTracing } from '../observability/tracing.js';
import type { Candidate, RouteDecision } from '../routing/types.js';
import { clientOf } from './auth.js';
import { type DispatchDeps, dispatchWithFailover, failureOf } from './dispatch.js';
import { mayHaveNonFinite, withFiniteNumbers, withTopLevelFields } from './json-fields.js';
import { openAIErrorBody } from './openai-error.js';
import { type ContextExtractor, requestAgentContext } from './request-context.js';
import { type ClientLink, clientLink, readBodyText, requestHeaders } from './request-io.js';
import { notifyObservers, type RequestFacts, type RequestObserver, requestEnd } from './request-observer.js';
import { type ChatBody, parseChatBody, parseJsonBody } from './schemas.js';
import { sendSse } from './sse-sink.js';

export interface ChatDeps extends DispatchDeps {
  config: BrokeConfig;
  extractor?: ContextExtractor;
  framework?: Framework;
  /** Told how each request ended (request log, metrics): see request-observer.ts. */
  observers?: readonly RequestObserver[];
  /** `requested`: answers name the model the client asked for (see GatewayBridge). */
  responseModel?: 'served' | 'requested';
  /** OpenTelemetry spans per request (observability/request-trace.ts); undefined: tracing off. */
  tracing?: GatewayTracing;
  /** Replicas sharing Redis: a session's node is read from it before routing (replica-state.ts). */
  replicas?: Pick<ReplicaState, 'primeSession' | 'degraded'>;
}

/** Capabilities a body needs from the model, so the router filters out models that lack them. */
export function requiredCapabilities(body: ChatBody): Capability[] {
  const out: Capability[] = [];
  if (body.tools && body.tools.length > 0) out.push('tools');
  if (body.response_format && body.response_format.type !== 'text') out.push('json');
  if (body.stream) out.push('streaming');
  const hasImage = body.messages.some(
    (m) =>
      Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url' || p.type === 'input_image'),
  );
  if (hasImage) out.push('vision');
  return out;
}

/**
 * What the node gets: the client's body unchanged, except the model name, BROKE's metadata, and
 * fields with which a client could make the node load any path or repository (mlx_lm.server's
 * `draft_model` and `adapters`): what a node loads is the operator's choice, not a client's.
 */
function upstreamBody(body: ChatBody, candidate: Candidate): Record<string, unknown> {
  const {
    metadata: _metadata,
    draft_model: _draft,
    adapters: _adapters,
    ...rest
  } = body as ChatBody & { draft_model?: unknown; adapters?: unknown };
  return { ...rest, model: candidate.servedName };
}

function brokeHeaders(c: Context, decision: RouteDecision, candidate?: Candidate): void {
  c.header('x-broke-route-id', decision.routeId);
  if (candidate) {
    c.header('x-broke-node', candidate.nodeId);
    c.header('x-broke-model', candidate.modelId);
    const temperature = decision.explanation.temperature;
    if (temperature) c.header('x-broke-quality-temperature', temperature);
  }
}

function requestEnded(deps: ChatDeps, facts: RequestFacts & { trace?: RequestTrace | undefined }): void {
  facts.trace?.end(requestEnd(facts));
  if (deps.observers) notifyObservers(deps.observers, facts);
}

function record(deps: ChatDeps, routeId: string, outcome: Outcome): void {
  // Off the response path: a slow store must never delay or fail the client's answer.
  deps.router.recordOutcome(routeId, outcome).catch(() => {});
}

export function chatCompletions(deps: ChatDeps) {
  const contextOptions = {
    ...(deps.config.defaultContext ? { defaults: deps.config.defaultContext } : {}),
    ...(deps.extractor ? { extractor: deps.extractor } : {}),
    ...(deps.framework ? { framework: deps.framework } : {}),
  };
  return async (c: Context): Promise<Response> => {
    const t0 = performance.now();
    let ctx: AgentContext | undefined;
    let decision: RouteDecision | undefined;
    let stream = false;
    let messages: ChatMessage[] | undefined;
    let routeMs: number | undefined;
    const client = clientOf(c);
    const trace = deps.tracing
      ? new RequestTrace(deps.tracing, c.req.raw.headers, t0, c.req.path, deps.nodeConfig)
      : undefined;
    try {
      const body = parseChatBody(parseJsonBody(await readBodyText(c)));
      stream = body.stream === true;
      ctx = requestAgentContext(
        body,
        requestHeaders(c),
        deps.extractor ? { ...contextOptions, extractorHeaders: () => c.req.raw.headers } : contextOptions,
      );
      const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
      messages = body.messages as unknown as ChatMessage[];
      // Another replica may have served this session's last turn: its node comes from Redis.
      if (deps.replicas && ctx.sessionId !== undefined) await deps.replicas.primeSession(ctx.sessionId);
      const r0 = performance.now();
      decision = deps.router.route(
        {
          messages,
          model: body.model,
          ...(maxTokens ? { maxTokens } : {}),
          requires: requiredCapabilities(body),
          ...(client !== undefined ? { owner: client } : {}),
        },
        ctx,
      );
      routeMs = performance.now() - r0;
      trace?.routed(body, ctx, decision, r0, r0 + routeMs);
      const link = clientLink(c);
      const route: Routed = {
        t0,
        ctx,
        decision,
        routeMs,
        messages,
        ...(client !== undefined ? { client } : {}),
        trace,
      };
      return await (body.stream
        ? streamChat(c, deps, body, route, link)
        : completeChat(c, deps, body, route, link));
    } catch (err) {
      requestEnded(deps, {
        t0,
        stream,
        ...(ctx ? { ctx } : {}),
        ...(decision ? { decision } : {}),
        ...(routeMs !== undefined ? { routeMs } : {}),
        ...(messages ? { messages } : {}),
        ...(client !== undefined ? { client } : {}),
        outcome: 'error',
        error: err,
        trace,
      });
      // Successful answers set their own headers; an error answer still names the route.
      if (decision) brokeHeaders(c, decision);
      throw err;
    }
  };
}

/** A routed request on its way: when it started, who asked, where it goes (what observers see). */
interface Routed {
  t0: number;
  ctx: AgentContext;
  decision: RouteDecision;
  routeMs: number;
  messages: readonly ChatMessage[];
  client?: string;
  /** This request's spans when tracing is on. */
  trace: RequestTrace | undefined;
}

async function completeChat(c: Context, deps: ChatDeps, body: ChatBody, route: Routed, client: ClientLink) {
  const { t0, decision } = route;
  let started: Awaited<ReturnType<typeof dispatchWithFailover<string | ChatCompletion>>>;
  try {
    started = await dispatchWithFailover<string | ChatCompletion>(
      deps,
      decision,
      client,
      (driver, cand, signal, headers) => {
        const req = { ...upstreamBody(body, cand), stream: false } as unknown as ChatRequest;
        delete (req as { stream_options?: unknown }).stream_options;
        const options = headers ? { signal, headers } : { signal };
        // The same pass-through as streams: the node's JSON relayed with only `model` replaced.
        return driver.chatRaw ? driver.chatRaw(req, options) : driver.chat(req, options);
      },
      route.trace,
    );
  } catch (err) {
    record(deps, decision.routeId, { success: false, error: String((err as Error).message ?? err) });
    throw err;
  }
  started.finish();
  const latencyMs = performance.now() - t0 - started.waitedMs;
  const modelId = deps.responseModel === 'requested' ? body.model : started.candidate.modelId;
  let usage: { completion_tokens?: number; prompt_tokens?: number } | undefined;
  let answer: string;
  if (typeof started.value === 'string') {
    const text = mayHaveNonFinite(started.value) ? withFiniteNumbers(started.value) : started.value;
    answer = withTopLevelFields(text, {
      id: JSON.stringify(decision.routeId),
      model: JSON.stringify(modelId),
    });
    usage = usageOf(started.value);
  } else {
    answer = JSON.stringify({ ...started.value, id: decision.routeId, model: modelId });
    usage = started.value.usage;
  }
  record(deps, decision.routeId, {
    success: true,
    latencyMs,
    ttftMs: latencyMs,
    ...(usage?.completion_tokens !== undefined ? { tokens: usage.completion_tokens } : {}),
    ...(usage?.prompt_tokens !== undefined ? { promptTokens: usage.prompt_tokens } : {}),
  });
  brokeHeaders(c, decision, started.candidate);
  requestEnded(deps, {
    ...route,
    stream: false,
    candidate: started.candidate,
    outcome: 'ok',
    ttftMs: latencyMs,
    ...(usage?.completion_tokens !== undefined ? { tokens: usage.completion_tokens } : {}),
    ...(usage?.prompt_tokens !== undefined ? { promptTokens: usage.prompt_tokens } : {}),
  });
  c.header('content-type', 'application/json');
  return c.body(answer, 200);
}

const COMPLETION_TOKENS = /"completion_tokens"\s*:\s*(\d+)/;
const PROMPT_TOKENS = /"prompt_tokens"\s*:\s*(\d+)/;

/** Token counts from a completion's JSON text without parsing it (undefined when absent). */
function usageOf(text: string): { completion_tokens?: number; prompt_tokens?: number } | undefined {
  const completion = COMPLETION_TOKENS.exec(text);
  if (!completion) return undefined;
  const prompt = PROMPT_TOKENS.exec(text);
  return {
    completion_tokens: Number(completion[1]),
    ...(prompt ? { prompt_tokens: Number(prompt[1]) } : {}),
  };
}

/** A usage object (not `"usage": null`) in a raw payload: that chunk is parsed. */
const USAGE_OBJECT = /"usage"\s*:\s*\{/;
/** Non-empty text content in a raw payload (counts as a token when the node reports no usage). */
const CONTENT_TEXT = /"content"\s*:\s*"[^"]/;
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;

type FirstResult =
  | { raw: true; iter: AsyncIterator<string[]>; first: IteratorResult<string[]> }
  | { raw: false; iter: AsyncIterator<ChatChunk>; first: IteratorResult<ChatChunk> };

async function streamChat(c: Context, deps: ChatDeps, body: ChatBody, route: Routed, client: ClientLink) {
  const { t0, decision } = route;
  const wantsUsage = body.stream_options?.include_usage === true;
  let started: Awaited<ReturnType<typeof dispatchWithFailover<FirstResult>>>;
  try {
    started = await dispatchWithFailover<FirstResult>(
      deps,
      decision,
      client,
      async (driver, cand, signal, headers) => {
        // Always ask the node for usage (the router learns from token counts); strip it below
        // unless the client asked for it too.
        const req = {
          ...upstreamBody(body, cand),
          stream: true,
          stream_options: { ...(body.stream_options ?? {}), include_usage: true },
        } as unknown as ChatStreamRequest;
        const options = headers ? { signal, headers } : { signal };
        // Failover is only safe before the client has seen a byte: wait for the node's first chunk.
        if (driver.chatStreamRaw) {
          const iter = driver.chatStreamRaw(req, options)[Symbol.asyncIterator]();
          return { raw: true, iter, first: await iter.next() };
        }
        const iter = driver.chatStream(req, options)[Symbol.asyncIterator]();
        return { raw: false, iter, first: await iter.next() };
      },
      route.trace,
    );
  } catch (err) {
    record(deps, decision.routeId, { success: false, error: String((err as Error).message ?? err) });
    throw err;
  }
  const { candidate, controller, finish } = started;
  const result = started.value;
  // The node's own speed: time spent queueing for a slot is not the node's latency.
  const ttftMs = performance.now() - t0 - started.waitedMs;
  const headers = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    'x-broke-route-id': decision.routeId,
    'x-broke-node': candidate.nodeId,
    'x-broke-model': candidate.modelId,
    // Read after dispatch: a fallback before the first chunk already made it warmer.
    ...(decision.explanation.temperature
      ? { 'x-broke-quality-temperature': decision.explanation.temperature }
      : {}),
  };
  // Every chunk's `id` is the route id: clients read it as `response.id` to rate or explain it.
  const shownModel = deps.responseModel === 'requested' ? body.model : candidate.modelId;
  const fields = { id: JSON.stringify(decision.routeId), model: JSON.stringify(shownModel) };

  return sendSse(c, headers, async (s) => {
    s.onAbort(() => controller.abort('client closed the stream'));
    let usage: ChatChunk['usage'];
    let chunks = 0;
    let last: ChatChunk | undefined;
    let lastPayload: string | undefined;
    let ended = false;
    /** One parsed chunk as the client gets it ('' when it is dropped). */
    const emit = (chunk: ChatChunk): string => {
      last = chunk;
      if (chunk.usage) usage = chunk.usage;
      if (chunk.choices.some((ch) => ch.delta?.content || ch.delta?.tool_calls)) chunks += 1;
      if (chunk.choices.length === 0 && !wantsUsage) return '';
      const out = wantsUsage || !chunk.usage ? chunk : { ...chunk, usage: undefined };
      return `data: ${JSON.stringify({ ...out, id: decision.routeId, model: shownModel })}\n\n`;
    };
    try {
      if (result.raw) {
        // Pass-through: payloads go out as the node wrote them, with only `model` replaced; the
        // rare chunk carrying usage is parsed.
        for (let r = result.first; !r.done; r = await result.iter.next()) {
          let out = '';
          for (const raw of r.value) {
            // Python servers may write NaN / Infinity (not JSON): made null before anything reads it.
            const payload = mayHaveNonFinite(raw) ? withFiniteNumbers(raw) : raw;
            lastPayload = payload;
            if (USAGE_OBJECT.test(payload)) {
              out += emit(JSON.parse(payload) as ChatChunk);
              continue;
            }
            if (CONTENT_TEXT.test(payload) || payload.includes('"tool_calls"')) chunks += 1;
            if (!wantsUsage && EMPTY_CHOICES.test(payload)) continue;
            out += `data: ${withTopLevelFields(payload, fields)}\n\n`;
          }
          if (out !== '') await s.write(out);
          if (s.aborted) break;
        }
        if (lastPayload !== undefined && last === undefined) last = JSON.parse(lastPayload) as ChatChunk;
      } else {
        for (let r = result.first; !r.done; r = await result.iter.next()) {
          const out = emit(r.value);
          if (out !== '') await s.write(out);
          if (s.aborted) break;
        }
      }
      ended = !s.aborted;
      if (ended) {
        let tail = '';
        if (wantsUsage && !usage && last) {
          // The node ignored include_usage: send an estimate (one token per content chunk).
          const estimate = { prompt_tokens: 0, completion_tokens: chunks, total_tokens: chunks };
          const chunk = {
            ...last,
            id: decision.routeId,
            choices: [],
            usage: estimate,
            model: candidate.modelId,
          };
          tail = `data: ${JSON.stringify(chunk)}\n\n`;
        }
        await s.end(`${tail}data: [DONE]\n\n`);
        const latencyMs = performance.now() - t0 - started.waitedMs;
        const tokens = usage?.completion_tokens ?? chunks;
        record(deps, decision.routeId, {
          success: true,
          latencyMs,
          ttftMs,
          tokens,
          ...(usage ? { promptTokens: usage.prompt_tokens } : {}),
        });
        requestEnded(deps, {
          ...route,
          stream: true,
          candidate,
          outcome: 'ok',
          tokens,
          ttftMs,
          ...(usage ? { promptTokens: usage.prompt_tokens } : {}),
        });
      } else {
        requestEnded(deps, { ...route, stream: true, candidate, outcome: 'client_closed', ttftMs });
      }
    } catch (err) {
      if (s.aborted || client.gone) {
        // client left; nothing to tell anyone
        requestEnded(deps, { ...route, stream: true, candidate, outcome: 'client_closed', ttftMs });
        return;
      }
      // Tokens already went out, so failover would duplicate text: end with a clear error event.
      const failure = failureOf(candidate.nodeId, err, controller.signal);
      const message = `stream from node ${candidate.nodeId} failed after output had started: ${failure.error.message}`;
      deps.router.noteAttempt(decision.routeId, {
        nodeId: candidate.nodeId,
        modelId: candidate.modelId,
        ok: false,
        error: message,
      });
      record(deps, decision.routeId, {
        success: false,
        latencyMs: performance.now() - t0 - started.waitedMs,
        ttftMs,
        error: message,
      });
      requestEnded(deps, {
        ...route,
        stream: true,
        candidate,
        outcome: 'error',
        status: 200,
        ttftMs,
        error: new BrokeError('stream_interrupted', message, { status: failure.error.status }),
      });
      try {
        await s.write(
          `data: ${JSON.stringify(openAIErrorBody(failure.error.status, message, 'stream_interrupted'))}\n\n`,
        );
      } catch {
        // the client may be gone as well
      }
    } finally {
      finish();
      if (!ended) {
        controller.abort('stream ended early');
        result.iter.return?.().catch(() => {});
      }
    }
  });
}
