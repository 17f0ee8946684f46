import {
  type AgentContext,
  type ChatChunk,
  type Feedback,
  ModelNotFoundError,
  NoRouteError,
  type RouteExplanation,
  RouteNotFoundError,
  ValidationError,
} from '@broke/core';
import OpenAI from 'openai';
import { abortErrorFor, GatewayError } from '../errors.js';
import { shortHash, stableJson } from '../identity.js';
import type { BackendCall, BackendCompletion, BackendStream, BrokeBackend, RouteRef } from './types.js';

export interface RemoteOptions {
  /** Gateway base URL without `/v1`, e.g. http://127.0.0.1:8787 (a path prefix like /crewai is kept). */
  url: string;
  /** Sent as `Authorization: Bearer` when the gateway requires API keys. */
  apiKey?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/**
 * Which gateway, as the cache sees it: its URL, and a digest of the credentials and headers sent
 * (a key may select a tenant with its own routing); never the key itself.
 */
export function remoteIdentity(options: RemoteOptions): string {
  const base = options.url.replace(/\/+$/, '');
  const auth =
    options.apiKey || (options.headers && Object.keys(options.headers).length > 0)
      ? `#${shortHash(stableJson({ apiKey: options.apiKey ?? null, headers: options.headers ?? {} }))}`
      : '';
  return `remote:${base}${auth}`;
}

/** AgentContext in the body `metadata` the gateway reads (camelCase keys are accepted there). */
function metadataOf(ctx: AgentContext): Record<string, unknown> {
  return Object.fromEntries(Object.entries(ctx).filter(([, v]) => v !== undefined));
}

function routeFrom(headers: Headers): RouteRef {
  return {
    routeId: headers.get('x-broke-route-id') ?? '',
    nodeId: headers.get('x-broke-node') ?? undefined,
    modelId: headers.get('x-broke-model') ?? undefined,
  };
}

/** The gateway's OpenAI error envelope back into BROKE's typed errors. */
function fromGateway(err: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return abortErrorFor(signal);
  if (err instanceof OpenAI.APIUserAbortError) return abortErrorFor(signal ?? AbortSignal.abort());
  if (!(err instanceof OpenAI.APIError) || err.status === undefined) return err;
  const body = (err.error ?? {}) as { message?: string; code?: string | null; param?: string | null };
  const code = (body.code ?? err.code ?? 'gateway_error') as string;
  const message = body.message ?? err.message;
  const routeId = err.headers?.get('x-broke-route-id') ?? undefined;
  if (code === 'no_route' || code === 'saturated')
    return new NoRouteError(message, { status: err.status, code });
  if (code === 'model_not_found') return new ModelNotFoundError(message.match(/"([^"]+)"/)?.[1] ?? message);
  if (code === 'invalid_request' && err.status === 400) {
    return new ValidationError(message, body.param ? { field: body.param, cause: err } : { cause: err });
  }
  return new GatewayError(code, message, { status: err.status, cause: err, ...(routeId ? { routeId } : {}) });
}

/** Talks to a BROKE gateway with the openai client; the gateway routes and reports the route in headers. */
export class RemoteBackend implements BrokeBackend {
  readonly mode = 'remote' as const;
  readonly cacheIdentity: string;
  readonly client: OpenAI;
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(options: RemoteOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.cacheIdentity = remoteIdentity(options);
    this.headers = {
      ...(options.headers ?? {}),
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    };
    // Retries are the gateway's job (failover across nodes); the client retrying would double it.
    this.client = new OpenAI({
      baseURL: `${this.base}/v1`,
      apiKey: options.apiKey ?? 'broke',
      maxRetries: 0,
      defaultHeaders: options.headers,
    });
  }

  async complete(call: BackendCall): Promise<BackendCompletion> {
    try {
      const { data, response } = await this.client.chat.completions
        .create(gatewayBody(call), call.signal ? { signal: call.signal } : {})
        .withResponse();
      return { route: routeFrom(response.headers), completion: data };
    } catch (err) {
      throw fromGateway(err, call.signal);
    }
  }

  async stream(call: BackendCall): Promise<BackendStream> {
    const signal = call.signal;
    try {
      const { data, response } = await this.client.chat.completions
        .create(
          { ...gatewayBody(call), stream: true, stream_options: { include_usage: true } },
          signal ? { signal } : {},
        )
        .withResponse();
      async function* chunks(): AsyncGenerator<ChatChunk> {
        try {
          for await (const chunk of data) {
            // The gateway reports a failure after output started as an error event in the stream.
            const failure = (chunk as unknown as { error?: { message?: string; code?: string } }).error;
            if (failure) {
              throw new GatewayError(
                failure.code ?? 'stream_interrupted',
                failure.message ?? 'stream failed',
                {
                  status: 502,
                },
              );
            }
            yield chunk;
          }
        } catch (err) {
          throw fromGateway(err, signal);
        }
      }
      return { route: routeFrom(response.headers), chunks: chunks() };
    } catch (err) {
      throw fromGateway(err, signal);
    }
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method,
      headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async feedback(routeId: string, feedback: Feedback): Promise<void> {
    const res = await this.request('POST', '/v1/feedback', { routeId, ...feedback });
    if (res.status === 404) throw new RouteNotFoundError(routeId);
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string; code?: string } };
      throw new GatewayError(body.error?.code ?? 'gateway_error', body.error?.message ?? `feedback failed`, {
        status: res.status,
        routeId,
      });
    }
  }

  async explain(routeId: string): Promise<RouteExplanation | undefined> {
    const res = await this.request('GET', `/v1/routes/${encodeURIComponent(routeId)}`);
    if (res.status === 404) return undefined;
    if (!res.ok)
      throw new GatewayError('gateway_error', `GET /v1/routes failed: ${res.status}`, { status: res.status });
    return (await res.json()) as RouteExplanation;
  }
}

/** The body the gateway gets: the caller's, with BROKE's model default and the agent context as metadata. */
function gatewayBody(call: BackendCall) {
  return {
    ...call.body,
    model: call.body.model ?? 'broke-auto',
    metadata: metadataOf(call.context) as OpenAI.Metadata,
  };
}
