import type { DriverKind } from '../config/schema.js';
import { httpGet } from '../drivers/http.js';

/**
 * Ports model servers listen on by default: mlx_lm / llama.cpp 8080, llama.cpp 8081, vLLM and
 * transformers serve 8000, Ollama 11434.
 */
export const DEFAULT_PORTS = [8080, 8081, 8000, 11434];

export interface FoundServer {
  url: string;
  kind: DriverKind;
  /** What the server lists in /v1/models (or /api/tags for Ollama). */
  models: string[];
}

async function get(url: string, timeoutMs: number): Promise<{ status: number; text: string } | undefined> {
  return httpGet(url, { timeoutMs }).catch(() => undefined);
}

function json(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function modelIds(text: string | undefined): string[] {
  const data = (json(text) as { data?: Array<{ id?: unknown }> } | undefined)?.data;
  return Array.isArray(data) ? data.map((m) => m.id).filter((x): x is string => typeof x === 'string') : [];
}

/**
 * `transformers serve`: its /v1/models entries carry a non-OpenAI `status: {value: "loaded" |
 * "unloaded"}`; with nothing listed yet (empty cache, no model pinned), its /health answers
 * {"status":"ok"} with an `x-request-id` header, which mlx_lm.server's never has.
 */
function isTransformersServe(
  modelsText: string,
  health: { status?: unknown } | undefined,
  headers?: Headers,
) {
  const data = (json(modelsText) as { data?: Array<{ status?: { value?: unknown } }> } | undefined)?.data;
  if (Array.isArray(data) && data.some((m) => typeof m?.status?.value === 'string')) return true;
  return (
    health?.status === 'ok' && Array.isArray(data) && data.length === 0 && !!headers?.has('x-request-id')
  );
}

/**
 * Which backend answers at `url`, from endpoints only that backend has: Ollama /api/version,
 * llama.cpp /props, vLLM's `vllm:` metrics, transformers serve's model `status`, mlx_lm.server's
 * {"status":"ok"} /health with absolute model paths. Anything else speaking /v1/models is a generic OpenAI-compatible server.
 */
export async function detectServer(url: string, timeoutMs = 1500): Promise<FoundServer | undefined> {
  const base = url.replace(/\/+$/, '');
  const [version, models] = await Promise.all([
    get(`${base}/api/version`, timeoutMs),
    get(`${base}/v1/models`, timeoutMs),
  ]);
  const ollama = json(version?.text) as { version?: unknown } | undefined;
  if (version?.status === 200 && typeof ollama?.version === 'string') {
    const tags = json((await get(`${base}/api/tags`, timeoutMs))?.text) as
      | { models?: Array<{ name: string }> }
      | undefined;
    return { url: base, kind: 'ollama', models: (tags?.models ?? []).map((m) => m.name) };
  }
  if (models?.status !== 200) return undefined;
  const ids = modelIds(models.text);
  const props = await get(`${base}/props`, timeoutMs);
  if (
    props?.status === 200 &&
    (json(props.text) as { default_generation_settings?: unknown })?.default_generation_settings
  )
    return { url: base, kind: 'llamacpp', models: ids };
  const metrics = await get(`${base}/metrics`, timeoutMs);
  if (metrics?.status === 200 && metrics.text.includes('vllm:'))
    return { url: base, kind: 'vllm', models: ids };
  const healthRes = await fetch(`${base}/health`, { signal: AbortSignal.timeout(timeoutMs) }).catch(
    () => undefined,
  );
  const health = json(await healthRes?.text().catch(() => undefined)) as
    | { status?: unknown; service?: unknown }
    | undefined;
  // Before mlx: a transformers server pinned to a local path lists that path too.
  if (isTransformersServe(models.text, health, healthRes?.headers))
    return { url: base, kind: 'transformers', models: ids };
  if (health?.status === 'ok' && ids.some((id) => id.startsWith('/')))
    return { url: base, kind: 'mlx', models: ids };
  if (health?.service === 'mlx-knife-server' || /mlx-knife/.test(models.text))
    return { url: base, kind: 'mlx-knife', models: ids };
  return { url: base, kind: 'openai', models: ids };
}
