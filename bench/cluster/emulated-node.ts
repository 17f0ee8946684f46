/**
 * An emulated model server: an OpenAI-compatible HTTP server (node:http, loopback) that behaves,
 * in wall-clock time, like one machine of a HardwareProfile serving one model. It enforces the
 * profile's slots with a FIFO queue and the simulation's service-time rule (the same code the
 * discrete-event simulator uses), and streams tokens at the request's effective decode rate.
 *
 * - Answer length comes from the prompt (a table the harness registers, keyed by a hash of the
 *   last user message, else the harness's `lengthOf`, else a hash-based short length): identical on every node, never taken from
 *   `max_tokens` (which only caps it, as on a real server).
 * - The first token is `[node:<id>]`, so a harness can tell which node answered even behind a
 *   gateway that rewrites `model`; the body's `model` is the node's model id.
 * - `POST /admin/swap {"weakened": true}` marks the model weakened (same name and speed, worse
 *   answers — the judge reads it from `GET /health`); `POST /admin/outputs` adds lengths.
 *
 * Tokens leave in batches, one SSE event per 50 ms tick (and one at the exact finish time), so 20
 * concurrent streams cost little CPU on a 2-core machine.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  estimateTokens,
  fallbackOutputTokens,
  type HardwareProfile,
  NodeQueue,
  promptHash,
  promptKey,
  type ServiceTime,
  tokensOutAt,
} from '../../packages/core/src/simulation/index.js';

export interface EmulatedNodeOptions {
  profile: HardwareProfile;
  /** Prompt hash (`promptHash(promptKey(messages))`) → output tokens; shared by reference is fine. */
  outputs?: Map<string, number>;
  /**
   * Length for a prompt not in `outputs` (given the last user message): a harness whose prompts
   * are built by a framework (CrewAI) maps them by content; undefined → the short fallback.
   */
  lengthOf?: (prompt: string) => number | undefined;
  /** 0 (default): any free port. Always bound to 127.0.0.1. */
  port?: number;
  /** Interval between streamed batches, ms (default 50). */
  tickMs?: number;
}

export interface NodeStats {
  node: string;
  model: string;
  slots: number;
  active: number;
  queued: number;
  served: number;
  weakened: boolean;
}

export interface EmulatedNode {
  readonly id: string;
  /** Base URL without `/v1`, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly profile: HardwareProfile;
  stats(): NodeStats;
  setWeakened(weakened: boolean): void;
  stop(): Promise<void>;
}

/** Marker the answer starts with; `nodeOf` reads it back. */
export const nodeMarker = (id: string) => `[node:${id}]`;
const MARKER = /\[node:([A-Za-z0-9._-]+)\]/;
export function nodeOf(text: string): string | undefined {
  return MARKER.exec(text)?.[1];
}

const WORDS = [
  ' the',
  ' model',
  ' answer',
  ' is',
  ' here',
  ' and',
  ' it',
  ' reads',
  ' as',
  ' plain',
  ' text',
  ',',
];
/** Text of output tokens from..to (1-based, inclusive): the marker, then one word per token. */
function tokenText(id: string, from: number, to: number): string {
  let s = '';
  for (let k = from; k <= to; k++) s += k === 1 ? nodeMarker(id) : (WORDS[k % WORDS.length] as string);
  return s;
}

interface Job {
  res: http.ServerResponse;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
  outputTokens: number;
  finishReason: 'stop' | 'length';
  completionId: string;
  created: number;
  state: 'waiting' | 'running' | 'done';
  timer?: NodeJS.Timeout;
}

class BadRequest extends Error {}

function readBody(req: http.IncomingMessage, limit = 8 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BadRequest('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function error(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param: null, code: null } });
}

export async function startEmulatedNode(options: EmulatedNodeOptions): Promise<EmulatedNode> {
  const { profile } = options;
  const outputs = options.outputs ?? new Map<string, number>();
  const tickMs = options.tickMs ?? 50;
  const queue = new NodeQueue<Job>(profile);
  let weakened = false;
  let served = 0;
  let seq = 0;

  const event = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
  const chunk = (job: Job, delta: Record<string, unknown>, finish: string | null) => ({
    id: job.completionId,
    object: 'chat.completion.chunk',
    created: job.created,
    model: profile.model.id,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const usage = (job: Job) => ({
    prompt_tokens: job.promptTokens,
    completion_tokens: job.outputTokens,
    total_tokens: job.promptTokens + job.outputTokens,
  });

  /** The job's slot is free: hand it to the next waiting job(s). */
  const release = (job: Job) => {
    job.state = 'done';
    clearTimeout(job.timer);
    for (const s of queue.finish()) begin(s.job, s.time);
  };

  const begin = (job: Job, time: ServiceTime) => {
    job.state = 'running';
    const t0 = performance.now();
    if (!job.stream) {
      job.timer = setTimeout(() => {
        served += 1;
        sendJson(job.res, 200, {
          id: job.completionId,
          object: 'chat.completion',
          created: job.created,
          model: profile.model.id,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: tokenText(profile.id, 1, job.outputTokens) },
              finish_reason: job.finishReason,
            },
          ],
          usage: usage(job),
        });
        release(job);
      }, time.totalSec * 1000);
      return;
    }
    let sent = 0;
    const tick = () => {
      if (job.state !== 'running') return;
      const elapsedMs = performance.now() - t0;
      const due = tokensOutAt(time, job.outputTokens, elapsedMs / 1000);
      let out = '';
      if (due > sent) {
        const delta: Record<string, unknown> = { content: tokenText(profile.id, sent + 1, due) };
        if (sent === 0) delta.role = 'assistant';
        out += event(chunk(job, delta, null));
        sent = due;
      }
      if (sent >= job.outputTokens) {
        out += event(chunk(job, {}, job.finishReason));
        if (job.includeUsage) out += event({ ...chunk(job, {}, null), choices: [], usage: usage(job) });
        out += 'data: [DONE]\n\n';
        served += 1;
        job.res.end(out);
        release(job);
        return;
      }
      if (out) job.res.write(out);
      // Next batch in one tick, or exactly at the finish time if that comes first.
      const untilEnd = time.totalSec * 1000 - (performance.now() - t0);
      job.timer = setTimeout(tick, Math.max(0, Math.min(tickMs, untilEnd)));
    };
    job.timer = setTimeout(tick, time.ttftSec * 1000);
  };

  const chat = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch (err) {
      return error(res, 400, err instanceof BadRequest ? err.message : 'body is not JSON');
    }
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0)
      return error(res, 400, 'messages must be a non-empty array');
    const typed = messages as Array<{ role: string; content: unknown }>;
    const promptTokens = typed.reduce(
      (s, m) =>
        s + estimateTokens(typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '')),
      0,
    );
    if (promptTokens > profile.model.contextLength)
      return error(
        res,
        400,
        `prompt of ${promptTokens} tokens exceeds the context of ${profile.model.contextLength}`,
      );
    const key = promptKey(typed);
    const natural = outputs.get(promptHash(key)) ?? options.lengthOf?.(key) ?? fallbackOutputTokens(key);
    const cap = Number(body.max_completion_tokens ?? body.max_tokens);
    const limited = Number.isFinite(cap) && cap >= 1 && cap < natural;
    const stream = body.stream === true;
    const job: Job = {
      res,
      stream,
      includeUsage: Boolean((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage),
      promptTokens,
      outputTokens: limited ? Math.floor(cap) : natural,
      finishReason: limited ? 'length' : 'stop',
      completionId: `chatcmpl-${profile.id}-${++seq}`,
      created: Math.floor(Date.now() / 1000),
      state: 'waiting',
    };
    // A client that leaves gives its place (or slot) back at once.
    res.on('close', () => {
      if (job.state === 'waiting') {
        queue.cancelWaiting(job);
        job.state = 'done';
      } else if (job.state === 'running') release(job);
    });
    if (stream) {
      // Like mlx_lm.server and vLLM: headers at once, tokens when they exist.
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.flushHeaders();
    }
    for (const s of queue.arrive(job, { promptTokens, outputTokens: job.outputTokens })) begin(s.job, s.time);
  };

  const stats = (): NodeStats => ({
    node: profile.id,
    model: profile.model.id,
    slots: profile.slots,
    active: queue.active,
    queued: queue.queued,
    served,
    weakened,
  });

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      chat(req, res).catch((err: unknown) => {
        if (!res.headersSent) error(res, 500, String(err));
        else res.destroy();
      });
      return;
    }
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok', ...stats() });
    if (req.method === 'GET' && path === '/v1/models')
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: profile.model.id, object: 'model', created: 0, owned_by: `emulated:${profile.id}` }],
      });
    if (req.method === 'POST' && (path === '/admin/swap' || path === '/admin/outputs')) {
      readBody(req)
        .then((text) => {
          const body = JSON.parse(text || '{}') as { weakened?: unknown; table?: Record<string, number> };
          if (path === '/admin/swap') weakened = body.weakened !== false;
          else for (const [k, v] of Object.entries(body.table ?? {})) outputs.set(k, Number(v));
          sendJson(res, 200, { ok: true, ...stats(), outputs: outputs.size });
        })
        .catch(() => error(res, 400, 'body is not JSON'));
      return;
    }
    error(res, 404, `no route ${req.method} ${path}`);
  });
  // Clients (gateways, SDK pools) keep connections for a while; never close one under them first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    id: profile.id,
    url: `http://127.0.0.1:${port}`,
    profile,
    stats,
    setWeakened(w) {
      weakened = w;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
