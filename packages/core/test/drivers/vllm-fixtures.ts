import type { Routes } from './fixtures.js';

/**
 * vLLM shapes RECONSTRUCTED FROM ITS SOURCE AND DOCS, not recorded (no GPU in the test bed):
 * metric names and labels from vllm/engine/metrics.py (V0 engine, ≤ 0.9) and
 * vllm/v1/metrics/loggers.py (V1 engine, 0.10+, one `engine` label per data-parallel engine),
 * /v1/models from vllm/entrypoints/openai/protocol.py `ModelCard` (`max_model_len`, `root`,
 * `parent`, `permission`), /health from api_server.py (empty 200; 503 once the engine is dead).
 * Replace with recordings when a GPU machine runs a real vLLM.
 */
const MODEL = 'Qwen/Qwen2.5-7B-Instruct';
const created = 1732550000;
const models = (maxModelLen: number) => ({
  object: 'list',
  data: [
    {
      id: MODEL,
      object: 'model',
      created,
      owned_by: 'vllm',
      root: MODEL,
      parent: null,
      max_model_len: maxModelLen,
      permission: [
        {
          id: 'modelperm-0b1c',
          object: 'model_permission',
          created,
          allow_create_engine: false,
          allow_sampling: true,
          allow_logprobs: true,
          allow_search_indices: false,
          allow_view: true,
          allow_fine_tuning: false,
          organization: '*',
          group: null,
          is_blocking: false,
        },
      ],
    },
  ],
});

/** V0 engine (e.g. 0.6–0.9): `gpu_cache_usage_perc`, `num_requests_swapped`, a `model_name` label only. */
export const VLLM_V0: Routes = {
  'GET /health': { text: '' },
  'GET /v1/models': { json: models(32768) },
  'GET /metrics': {
    text: [
      '# HELP vllm:num_requests_running Number of requests currently running on GPU.',
      '# TYPE vllm:num_requests_running gauge',
      `vllm:num_requests_running{model_name="${MODEL}"} 3.0`,
      '# HELP vllm:num_requests_swapped Number of requests swapped to CPU.',
      '# TYPE vllm:num_requests_swapped gauge',
      `vllm:num_requests_swapped{model_name="${MODEL}"} 0.0`,
      '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
      '# TYPE vllm:num_requests_waiting gauge',
      `vllm:num_requests_waiting{model_name="${MODEL}"} 5.0`,
      '# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.',
      '# TYPE vllm:gpu_cache_usage_perc gauge',
      `vllm:gpu_cache_usage_perc{model_name="${MODEL}"} 0.875`,
      '# HELP vllm:cpu_cache_usage_perc CPU KV-cache usage. 1 means 100 percent usage.',
      '# TYPE vllm:cpu_cache_usage_perc gauge',
      `vllm:cpu_cache_usage_perc{model_name="${MODEL}"} 0.0`,
    ].join('\n'),
  },
};

/** V1 engine (0.10+), two data-parallel engines: `kv_cache_usage_perc` per `engine`. */
export const VLLM_V1_DP2: Routes = {
  'GET /health': { text: '' },
  'GET /v1/models': { json: models(131072) },
  'GET /metrics': {
    text: [
      '# HELP vllm:num_requests_running Number of requests in model execution batches.',
      '# TYPE vllm:num_requests_running gauge',
      `vllm:num_requests_running{engine="0",model_name="${MODEL}"} 8.0`,
      `vllm:num_requests_running{engine="1",model_name="${MODEL}"} 6.0`,
      '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
      '# TYPE vllm:num_requests_waiting gauge',
      `vllm:num_requests_waiting{engine="0",model_name="${MODEL}"} 2.0`,
      `vllm:num_requests_waiting{engine="1",model_name="${MODEL}"} 0.0`,
      '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
      '# TYPE vllm:kv_cache_usage_perc gauge',
      `vllm:kv_cache_usage_perc{engine="0",model_name="${MODEL}"} 0.61`,
      `vllm:kv_cache_usage_perc{engine="1",model_name="${MODEL}"} 0.33`,
      '# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.',
      '# TYPE vllm:prefix_cache_queries_total counter',
      `vllm:prefix_cache_queries_total{engine="0",model_name="${MODEL}"} 10240.0`,
    ].join('\n'),
  },
};

/** The engine died: /health answers 503, /metrics and /v1/models may still answer. */
export const VLLM_DEAD: Routes = {
  ...VLLM_V1_DP2,
  'GET /health': { status: 503, text: '' },
};

/** Started without Prometheus metrics reachable (a proxy in front that hides /metrics). */
export const VLLM_NO_METRICS: Routes = {
  'GET /health': { text: '' },
  'GET /v1/models': { json: models(32768) },
};

export const VLLM_MODEL = MODEL;
