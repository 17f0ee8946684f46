import { createServer, type Server } from 'node:http';

/**
 * RECORDED response shapes of real servers (from their docs and captured responses), served by a
 * tiny loopback HTTP server. These back the CONTRACT tests for backends the test bed cannot run.
 */
export interface Fixture {
  status?: number;
  json?: unknown;
  text?: string;
  /** Server-sent events: each entry becomes one `data:` line, then `data: [DONE]`. */
  sse?: unknown[];
  /** Servers that end a stream without `data: [DONE]` (transformers serve). */
  noDone?: boolean;
  /** Extra response headers (e.g. transformers serve's `x-request-id`). */
  headers?: Record<string, string>;
}
export type Routes = Record<string, Fixture>;

const created = 1732550000;
const chunk = (
  id: string,
  model: string,
  delta: Record<string, unknown>,
  finish: string | null,
  extra = {},
) => ({
  id,
  object: 'chat.completion.chunk',
  created,
  model,
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  ...extra,
});
const completion = (id: string, model: string, content: string, extra = {}) => ({
  id,
  object: 'chat.completion',
  created,
  model,
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
  ...extra,
});

// Ollama 0.12: GET / → text, /api/version, /api/tags, /api/ps, OpenAI compat /v1 (system_fingerprint fp_ollama).
export const OLLAMA: Routes = {
  'GET /': { text: 'Ollama is running' },
  'GET /api/version': { json: { version: '0.12.6' } },
  'GET /api/tags': {
    json: {
      models: [
        {
          name: 'llama3.2:3b',
          model: 'llama3.2:3b',
          modified_at: '2025-10-01T10:00:00.000000+02:00',
          size: 2019393189,
          digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
          details: {
            parent_model: '',
            format: 'gguf',
            family: 'llama',
            families: ['llama'],
            parameter_size: '3.2B',
            quantization_level: 'Q4_K_M',
          },
        },
        {
          name: 'qwen2.5-coder:7b',
          model: 'qwen2.5-coder:7b',
          modified_at: '2025-09-20T10:00:00.000000+02:00',
          size: 4683087332,
          digest: '2b0496514337a3d5901f1d253d01726c890b721e891335a56d6e08cedf3e2cb0',
          details: {
            parent_model: '',
            format: 'gguf',
            family: 'qwen2',
            families: ['qwen2'],
            parameter_size: '7.6B',
            quantization_level: 'Q4_K_M',
          },
        },
      ],
    },
  },
  'GET /api/ps': {
    json: {
      models: [
        {
          name: 'llama3.2:3b',
          model: 'llama3.2:3b',
          size: 3247719424,
          digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
          details: {
            parent_model: '',
            format: 'gguf',
            family: 'llama',
            families: ['llama'],
            parameter_size: '3.2B',
            quantization_level: 'Q4_K_M',
          },
          expires_at: '2025-11-25T19:40:00.000000+01:00',
          size_vram: 3221225472,
          context_length: 4096,
        },
      ],
    },
  },
  'GET /v1/models': {
    json: { object: 'list', data: [{ id: 'llama3.2:3b', object: 'model', created, owned_by: 'library' }] },
  },
  'POST /v1/chat/completions': {
    json: completion('chatcmpl-457', 'llama3.2:3b', 'Hello there!<|eot_id|>junk', {
      system_fingerprint: 'fp_ollama',
    }),
  },
  'POST /v1/chat/completions stream': {
    sse: [
      chunk('chatcmpl-458', 'llama3.2:3b', { role: 'assistant', content: 'Hello' }, null, {
        system_fingerprint: 'fp_ollama',
      }),
      chunk('chatcmpl-458', 'llama3.2:3b', { role: 'assistant', content: ' there!<|eo' }, null, {
        system_fingerprint: 'fp_ollama',
      }),
      chunk('chatcmpl-458', 'llama3.2:3b', { role: 'assistant', content: 't_id|>junk' }, null, {
        system_fingerprint: 'fp_ollama',
      }),
      chunk('chatcmpl-458', 'llama3.2:3b', { role: 'assistant', content: '' }, 'stop', {
        system_fingerprint: 'fp_ollama',
      }),
    ],
  },
};

// llama.cpp llama-server (b6000+): /health, /v1/models with meta, /slots, /metrics (--metrics).
export const LLAMACPP: Routes = {
  'GET /health': { json: { status: 'ok' } },
  'GET /v1/models': {
    json: {
      models: [
        {
          name: 'qwen2.5-7b-instruct-q4_k_m.gguf',
          model: 'qwen2.5-7b-instruct-q4_k_m.gguf',
          type: 'model',
          capabilities: ['completion'],
        },
      ],
      object: 'list',
      data: [
        {
          id: 'qwen2.5-7b-instruct-q4_k_m.gguf',
          object: 'model',
          created,
          owned_by: 'llamacpp',
          meta: {
            vocab_type: 2,
            n_vocab: 152064,
            n_ctx_train: 32768,
            n_embd: 3584,
            n_params: 7615616512,
            size: 4677120000,
          },
        },
      ],
    },
  },
  'GET /props': {
    json: {
      default_generation_settings: { n_ctx: 4096, params: { temperature: 0.8, top_k: 40 } },
      total_slots: 2,
      model_path: 'qwen2.5-7b-instruct-q4_k_m.gguf',
      chat_template: '{% for message in messages %}...{% endfor %}',
      build_info: 'b6123-0123abcd',
    },
  },
  'GET /slots': {
    json: [
      { id: 0, id_task: 12, n_ctx: 4096, speculative: false, is_processing: true, params: { n_predict: -1 } },
      {
        id: 1,
        id_task: -1,
        n_ctx: 4096,
        speculative: false,
        is_processing: false,
        params: { n_predict: -1 },
      },
    ],
  },
  'GET /metrics': {
    text: [
      '# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.',
      '# TYPE llamacpp:prompt_tokens_total counter',
      'llamacpp:prompt_tokens_total 1234',
      '# HELP llamacpp:requests_processing Number of requests processing.',
      '# TYPE llamacpp:requests_processing gauge',
      'llamacpp:requests_processing 1',
      '# HELP llamacpp:requests_deferred Number of requests deferred.',
      '# TYPE llamacpp:requests_deferred gauge',
      'llamacpp:requests_deferred 3',
    ].join('\n'),
  },
  'POST /v1/chat/completions': {
    json: completion('chatcmpl-abc', 'qwen2.5-7b-instruct-q4_k_m.gguf', 'Hi!<|im_end|>', {
      system_fingerprint: 'b6123-0123abcd',
      timings: {
        prompt_n: 12,
        prompt_ms: 30.1,
        predicted_n: 6,
        predicted_ms: 80.2,
        predicted_per_second: 74.8,
      },
    }),
  },
  'POST /v1/chat/completions stream': {
    sse: [
      chunk('chatcmpl-abd', 'qwen2.5-7b-instruct-q4_k_m.gguf', { role: 'assistant', content: null }, null),
      chunk('chatcmpl-abd', 'qwen2.5-7b-instruct-q4_k_m.gguf', { content: 'Hi!' }, null),
      chunk('chatcmpl-abd', 'qwen2.5-7b-instruct-q4_k_m.gguf', { content: '<|im_' }, null),
      chunk('chatcmpl-abd', 'qwen2.5-7b-instruct-q4_k_m.gguf', { content: 'end|>' }, null),
      chunk('chatcmpl-abd', 'qwen2.5-7b-instruct-q4_k_m.gguf', {}, 'stop', {
        timings: {
          prompt_n: 12,
          prompt_ms: 30.1,
          predicted_n: 3,
          predicted_ms: 40.0,
          predicted_per_second: 75,
        },
      }),
    ],
  },
};

// vLLM 0.10 OpenAI server: /health (empty 200), /v1/models, Prometheus /metrics.
export const VLLM: Routes = {
  'GET /health': { text: '' },
  'GET /v1/models': {
    json: {
      object: 'list',
      data: [
        {
          id: 'Qwen/Qwen2.5-7B-Instruct',
          object: 'model',
          created,
          owned_by: 'vllm',
          root: 'Qwen/Qwen2.5-7B-Instruct',
          parent: null,
          max_model_len: 32768,
          permission: [{ id: 'modelperm-1', object: 'model_permission', created, allow_sampling: true }],
        },
      ],
    },
  },
  'GET /metrics': {
    text: [
      '# HELP vllm:num_requests_running Number of requests in model execution batches.',
      '# TYPE vllm:num_requests_running gauge',
      'vllm:num_requests_running{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 4.0',
      '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
      '# TYPE vllm:num_requests_waiting gauge',
      'vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 7.0',
      '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
      '# TYPE vllm:kv_cache_usage_perc gauge',
      'vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 0.42',
    ].join('\n'),
  },
  'POST /v1/chat/completions': {
    json: completion('chatcmpl-vllm', 'Qwen/Qwen2.5-7B-Instruct', 'Sure.', {
      prompt_logprobs: null,
      kv_transfer_params: null,
    }),
  },
  'POST /v1/chat/completions stream': {
    sse: [
      chunk('chatcmpl-v2', 'Qwen/Qwen2.5-7B-Instruct', { role: 'assistant', content: '' }, null),
      chunk('chatcmpl-v2', 'Qwen/Qwen2.5-7B-Instruct', { content: 'Sure.' }, null),
      chunk('chatcmpl-v2', 'Qwen/Qwen2.5-7B-Instruct', { content: '' }, 'stop', { stop_reason: null }),
    ],
  },
};

// mlx-knife `mlxk server` (OpenAI-compatible, lists its cache).
export const MLX_KNIFE: Routes = {
  'GET /health': { json: { status: 'healthy', service: 'mlx-knife-server' } },
  'GET /v1/models': {
    json: {
      object: 'list',
      data: [
        {
          id: 'mlx-community/Phi-3-mini-4k-instruct-4bit',
          object: 'model',
          created,
          owned_by: 'mlx-knife',
          context_length: 4096,
        },
      ],
    },
  },
  'POST /v1/chat/completions': {
    json: completion('chatcmpl-k', 'mlx-community/Phi-3-mini-4k-instruct-4bit', 'Yes.<|end|>'),
  },
  'POST /v1/chat/completions stream': {
    sse: [
      chunk('chatcmpl-k2', 'mlx-community/Phi-3-mini-4k-instruct-4bit', { role: 'assistant' }, null),
      chunk('chatcmpl-k2', 'mlx-community/Phi-3-mini-4k-instruct-4bit', { content: 'Yes.<|e' }, null),
      chunk('chatcmpl-k2', 'mlx-community/Phi-3-mini-4k-instruct-4bit', { content: 'nd|>' }, null),
      chunk('chatcmpl-k2', 'mlx-community/Phi-3-mini-4k-instruct-4bit', {}, 'stop'),
    ],
  },
};

export interface FixtureServer {
  url: string;
  requests: Array<{ method: string; path: string; body: unknown }>;
  close(): Promise<void>;
}

/** Serve `routes` on 127.0.0.1; streamed chat when the body asks for `stream: true`. */
export function serveFixtures(routes: Routes): Promise<FixtureServer> {
  const requests: FixtureServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => {
      raw += d;
    });
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      requests.push({ method: req.method ?? 'GET', path, body });
      const key = `${req.method} ${path}${body?.stream ? ' stream' : ''}`;
      const fx = routes[key];
      if (!fx) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
        return;
      }
      const headers = fx.headers ?? {};
      if (fx.sse) {
        res.writeHead(200, { 'content-type': 'text/event-stream', ...headers });
        for (const ev of fx.sse) res.write(`data: ${JSON.stringify(ev)}\n\n`);
        res.end(fx.noDone ? '' : 'data: [DONE]\n\n');
        return;
      }
      if (fx.json !== undefined) {
        res
          .writeHead(fx.status ?? 200, { 'content-type': 'application/json', ...headers })
          .end(JSON.stringify(fx.json));
        return;
      }
      res.writeHead(fx.status ?? 200, { 'content-type': 'text/plain', ...headers }).end(fx.text ?? '');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
