import type { CallOptions } from '../spec/index.js';

/** Plain GET for the non-OpenAI endpoints (/health, /api/ps, /metrics, /slots), with a timeout. */
export async function httpGet(
  url: string,
  options: CallOptions & { headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const res = await fetch(url, { signal, ...(options.headers ? { headers: options.headers } : {}) });
  return { status: res.status, text: await res.text() };
}

export async function httpGetJson<T>(
  url: string,
  options: CallOptions & { headers?: Record<string, string> } = {},
): Promise<T> {
  const { status, text } = await httpGet(url, options);
  if (status < 200 || status >= 300) throw new Error(`GET ${url} answered ${status}`);
  return JSON.parse(text) as T;
}
