import type { DriverKind } from '../config/schema.js';
import { httpGet } from '../drivers/http.js';
import { parametersFromSizeLabel } from './gguf.js';

/** What a running server reports about one of its models. */
export interface ServerModelFacts {
  /** Parameter count (not billions). */
  parameters?: number;
  contextLength?: number;
  quantization?: string;
  /** Bytes of the model's weights (Ollama's size, llama.cpp's meta.size). */
  weightBytes?: number;
  /** The server says the model takes tools (Ollama's `capabilities` lists `tools`). */
  toolCalling?: boolean;
  /**
   * The server holds any model's output to JSON or a JSON schema (`response_format`): Ollama,
   * llama.cpp (a grammar), vLLM (guided decoding). mlx_lm.server ignores the field.
   */
  jsonOutput?: boolean;
}

/** Servers that constrain decoding to a JSON schema for every model they serve. */
const JSON_OUTPUT_KINDS: ReadonlySet<DriverKind> = new Set(['ollama', 'llamacpp', 'vllm']);

type Json = Record<string, unknown>;
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;

function parse(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function strip<T extends object>(facts: T): T {
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as T;
}

/**
 * `/v1/models` entries: vLLM's `max_model_len`, llama.cpp's `meta` (n_params, n_ctx_train,
 * size), and the context fields other OpenAI-compatible servers use (`context_length`,
 * `max_context_length`). mlx_lm.server reports ids only.
 */
export function factsFromOpenAIModels(body: unknown): Map<string, ServerModelFacts> {
  const out = new Map<string, ServerModelFacts>();
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return out;
  for (const entry of data as Json[]) {
    if (typeof entry?.id !== 'string') continue;
    const meta = (entry.meta ?? {}) as Json;
    const facts = strip<ServerModelFacts>({
      parameters: num(meta.n_params),
      contextLength:
        num(entry.max_model_len) ??
        num(entry.context_length) ??
        num(entry.max_context_length) ??
        num(meta.n_ctx_train),
      weightBytes: num(meta.size),
    });
    if (Object.keys(facts).length) out.set(entry.id, facts);
  }
  return out;
}

/** Ollama `/api/tags` entries: size on disk, `details.parameter_size` ("3.2B"), quantisation level. */
export function factsFromOllamaTags(body: unknown): Map<string, ServerModelFacts> {
  const out = new Map<string, ServerModelFacts>();
  const models = (body as { models?: unknown } | undefined)?.models;
  if (!Array.isArray(models)) return out;
  for (const m of models as Json[]) {
    if (typeof m?.name !== 'string') continue;
    const details = (m.details ?? {}) as Json;
    const label = typeof details.parameter_size === 'string' ? details.parameter_size : undefined;
    out.set(
      m.name,
      strip<ServerModelFacts>({
        parameters: label ? parametersFromSizeLabel(label) : undefined,
        quantization: typeof details.quantization_level === 'string' ? details.quantization_level : undefined,
        weightBytes: num(m.size),
      }),
    );
  }
  return out;
}

/**
 * Ollama `/api/show`: the GGUF keys in `model_info` (exact parameter count, trained context) and
 * `capabilities` (`tools` when the model's template takes them).
 */
export function factsFromOllamaShow(body: unknown): ServerModelFacts {
  const info = ((body as { model_info?: unknown } | undefined)?.model_info ?? {}) as Json;
  const arch = typeof info['general.architecture'] === 'string' ? info['general.architecture'] : undefined;
  const capabilities = (body as { capabilities?: unknown } | undefined)?.capabilities;
  return strip<ServerModelFacts>({
    parameters: num(info['general.parameter_count']),
    contextLength: arch ? num(info[`${arch}.context_length`]) : undefined,
    toolCalling: Array.isArray(capabilities) && capabilities.includes('tools') ? true : undefined,
  });
}

/** llama.cpp `/props`: the context the server was started with (`-c`), which is what it accepts. */
function servedContextOfLlamaCpp(body: unknown): number | undefined {
  const settings = (body as { default_generation_settings?: Json } | undefined)?.default_generation_settings;
  return num(settings?.n_ctx);
}

/**
 * Ask a running server what it knows about its models, by served name. Best effort: a server
 * that reports nothing (mlx_lm.server) or does not answer gives an empty map.
 */
export async function serverModelFacts(
  url: string,
  kind: DriverKind,
  options: { timeoutMs?: number; apiKey?: string | undefined } = {},
): Promise<Map<string, ServerModelFacts>> {
  const base = url.replace(/\/+$/, '');
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const get = async (path: string) => {
    const r = await httpGet(`${base}${path}`, { timeoutMs: options.timeoutMs ?? 5000, headers }).catch(
      () => undefined,
    );
    return r && r.status >= 200 && r.status < 300 ? parse(r.text) : undefined;
  };
  if (kind === 'ollama') {
    const out = factsFromOllamaTags(await get('/api/tags'));
    for (const [name, facts] of out) {
      const show = await fetch(`${base}/api/show`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: name }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      })
        .then(async (r) => (r.ok ? parse(await r.text()) : undefined))
        .catch(() => undefined);
      out.set(name, { ...facts, ...factsFromOllamaShow(show), jsonOutput: true });
    }
    return out;
  }
  const out = factsFromOpenAIModels(await get('/v1/models'));
  if (kind === 'llamacpp') {
    const served = servedContextOfLlamaCpp(await get('/props'));
    if (served !== undefined)
      for (const [name, facts] of out) out.set(name, { ...facts, contextLength: served });
  }
  if (JSON_OUTPUT_KINDS.has(kind))
    for (const [name, facts] of out) out.set(name, { ...facts, jsonOutput: true });
  return out;
}
