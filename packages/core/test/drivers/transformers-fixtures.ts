import type { Routes } from './fixtures.js';

/**
 * RECORDED from a real `transformers serve` (transformers 5.24.0, torch 2.15.0 CPU, uvicorn), started
 * as `transformers serve --host 127.0.0.1 --device cpu <models>/leaky` on the generated `leaky`
 * model (it says "The answer is 42." then leaks `</s>` and a tail). Bodies are verbatim; only the
 * generated-model folder's hash is shortened. Every response carries an `x-request-id` header, and
 * the chat `id` is that request id. Streams end without `data: [DONE]`.
 * The 503 /health is from its source (cli/serving/server.py): a dead continuous-batching worker
 * cannot be produced on demand.
 */
const MODEL = '/root/.cache/broke/models/HASH/leaky';
const RID = '6c164e56-b38e-4b3e-a8b5-c6db50490223';
const headers = { server: 'uvicorn', 'x-request-id': RID };
const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: RID,
  choices: [{ index: 0, ...choice }],
  created: 1796035849,
  model: MODEL,
  object: 'chat.completion.chunk',
  system_fingerprint: '',
  ...extra,
});

export const TRANSFORMERS_MODEL = MODEL;

export const TRANSFORMERS: Routes = {
  'GET /health': { json: { status: 'ok' }, headers },
  'GET /v1/models': {
    headers,
    json: {
      object: 'list',
      data: [{ owned_by: 'local', id: MODEL, object: 'model', created: 0, status: { value: 'loaded' } }],
    },
  },
  'POST /v1/chat/completions': {
    headers,
    json: {
      id: '9cd8460c-aa45-49a3-838c-b248112482f1',
      choices: [
        {
          finish_reason: 'stop',
          index: 0,
          message: { content: 'The answer is 42.</s> ignored tail', role: 'assistant' },
        },
      ],
      created: 1796035849,
      model: MODEL,
      object: 'chat.completion',
      usage: { completion_tokens: 5, prompt_tokens: 11, total_tokens: 16 },
    },
  },
  'POST /v1/chat/completions stream': {
    headers,
    noDone: true,
    sse: [
      chunk({ delta: { role: 'assistant' } }),
      chunk({ delta: { content: 'The answer is 42.' } }),
      chunk({ delta: { content: '</' } }),
      chunk({ delta: { content: 's>' } }),
      chunk({ delta: { content: ' ignored tail' } }),
      chunk(
        { delta: {}, finish_reason: 'stop' },
        { usage: { completion_tokens: 5, prompt_tokens: 11, total_tokens: 16 } },
      ),
    ],
  },
};

/** A server started with no model: an empty cache lists nothing; a model loaded by path is listed after use. */
export const TRANSFORMERS_UNPINNED: Routes = {
  'GET /health': { json: { status: 'ok' }, headers },
  'GET /v1/models': { headers, json: { object: 'list', data: [] } },
};

/** Recorded: a pinned server asked for another model (400), and an unknown request field (422). */
export const TRANSFORMERS_PINNED_OTHER: Routes = {
  ...TRANSFORMERS,
  'POST /v1/chat/completions': {
    status: 400,
    headers,
    json: { detail: `Server is pinned to '${MODEL}'; requested 'other'.` },
  },
};

/** From source: /health when the continuous-batching worker died. */
export const TRANSFORMERS_CB_DEAD: Routes = {
  'GET /health': { status: 503, headers, json: { status: 'unhealthy', reason: 'cb_worker_dead' } },
};
