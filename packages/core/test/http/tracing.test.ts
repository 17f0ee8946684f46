import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import {
  type BrokeConfig,
  type BrokeConfigInput,
  BrokeConfigSchema,
  ClusterState,
  type RouteExplanation,
  Router,
  type RunningGateway,
  startGateway,
} from '../../src/index.js';
import { type HeaderProxy, startHeaderProxy } from './support/header-proxy.js';
import {
  OTLP_KIND,
  OTLP_STATUS,
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from './support/otlp-receiver.js';

/**
 * Issue 18 item 2: OpenTelemetry traces. A live gateway over two real mlx_lm.server nodes exports
 * its spans over OTLP/HTTP (JSON) to a real receiver on loopback; a loopback proxy in front of
 * node a records what the gateway sent the node. A request with a W3C `traceparent` continues
 * the caller's trace: server span → decision span + one client span per node attempt, GenAI and
 * BROKE attributes with the values the client saw, and the attempt's own context on to the node.
 * A node killed under a request shows as two attempt spans, the first an error.
 */

let nodes: MlxNode[] = [];
let proxy: HeaderProxy;
let receiver: OtlpReceiver;
let gateway: RunningGateway;
let config: BrokeConfig;
const others: RunningGateway[] = [];
const OTEL_ENV = Object.keys(process.env).filter((k) => k.startsWith('OTEL_'));
const savedEnv = Object.fromEntries(OTEL_ENV.map((k) => [k, process.env[k]]));

function clusterConfig(extra: Partial<BrokeConfigInput> = {}): BrokeConfig {
  return BrokeConfigSchema.parse({
    nodes: [
      // Node a is reached through the header proxy.
      { id: 'a', url: proxy.url, kind: 'mlx', models: [{ id: 'big' }], maxConcurrency: 4 },
      { id: 'b', url: nodes[1]?.url, kind: 'mlx', models: [{ id: 'small' }], maxConcurrency: 4 },
    ].map((n) => ({ ...n, requestTimeoutMs: 30_000 })),
    // The same tiny model on both; the tiers make `broke-quality` prefer node a.
    models: [
      { id: 'big', tier: 'large', contextLength: 4096, capabilities: ['streaming'] },
      { id: 'small', tier: 'small', contextLength: 4096, capabilities: ['streaming'] },
    ],
    routing: { explorationRate: 0, seed: 7, maxAttempts: 3 },
    store: { kind: 'memory' },
    ...extra,
  });
}

async function gatewayWith(extra: Partial<BrokeConfigInput>): Promise<RunningGateway> {
  const cfg = clusterConfig(extra);
  const cluster = new ClusterState(cfg.nodes);
  return startGateway({
    config: cfg,
    router: new Router({ config: cfg, cluster }),
    cluster,
    port: 0,
    bridges: [],
  });
}

beforeAll(async () => {
  // Only this test's config may turn tracing on.
  for (const k of OTEL_ENV) delete process.env[k];
  nodes = await Promise.all([startMlxNode({ model: 'tiny' }), startMlxNode({ model: 'tiny' })]);
  proxy = await startHeaderProxy(nodes[0]?.url as string);
  receiver = await startOtlpReceiver();
  config = clusterConfig({
    observability: { tracing: { endpoint: receiver.url, serviceName: 'broke-trace-test' } },
  });
  const cluster = new ClusterState(config.nodes);
  gateway = await startGateway({
    config,
    router: new Router({ config, cluster }),
    cluster,
    port: 0,
    bridges: [],
  });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(others.map((g) => g.close()));
  await proxy?.close();
  await receiver?.close();
  await Promise.all(nodes.map((n) => n.stop()));
  for (const [k, v] of Object.entries(savedEnv)) if (v !== undefined) process.env[k] = v;
});

/** A client's own trace context: a fresh trace id and the id of the client's span. */
function clientSpan(sampled = true) {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}` };
}

interface Answer {
  status: number;
  routeId: string;
  node: string;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
}

async function chat(
  base: string,
  options: { traceparent?: string; stream?: boolean; model?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-broke-role': 'reviewer',
      'x-broke-team': 'red',
      'x-broke-session': 'run-7',
      ...(options.traceparent ? { traceparent: options.traceparent } : {}),
    },
    body: JSON.stringify({
      model: options.model ?? 'broke-quality',
      max_tokens: 8,
      temperature: 0.5,
      messages: [{ role: 'user', content: 'Review this line: x = x + 1' }],
      ...(options.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
  });
  const text = await res.text();
  let usage: Answer['usage'];
  if (res.status === 200 && options.stream) {
    expect(text.endsWith('data: [DONE]\n\n'), text.slice(-300)).toBe(true);
    for (const event of text.split('\n\n')) {
      const data = event.replace(/^data: /, '');
      if (data === '' || data === '[DONE]') continue;
      usage = (JSON.parse(data) as { usage?: Answer['usage'] }).usage ?? usage;
    }
  } else if (res.status === 200) usage = (JSON.parse(text) as { usage: Answer['usage'] }).usage;
  return {
    status: res.status,
    routeId: res.headers.get('x-broke-route-id') ?? '',
    node: res.headers.get('x-broke-node') ?? '',
    usage,
  };
}

/**
 * Every span of the request with this route id, once its server span has arrived. A stream's
 * server span ends just after its last byte went out, so the client may read [DONE] first:
 * flush until it is there (each flush waits for the receiver's answer; nothing is timed).
 */
async function spansOfRoute(g: RunningGateway, routeId: string): Promise<ReceivedSpan[]> {
  const server = () =>
    receiver.spans.find((s) => s.kind === OTLP_KIND.server && s.attributes['broke.route_id'] === routeId);
  for (let i = 0; i < 100 && !server(); i++) {
    await g.tracing?.forceFlush();
    if (!server()) await new Promise((r) => setTimeout(r, 20));
  }
  const found = server();
  if (!found) throw new Error(`no server span for route ${routeId} at the receiver`);
  return receiver.spans.filter((s) => s.traceId === found.traceId);
}

function one(spans: ReceivedSpan[], match: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan {
  const found = spans.filter(match);
  expect(found, what).toHaveLength(1);
  return found[0] as ReceivedSpan;
}

async function explanation(base: string, routeId: string): Promise<RouteExplanation> {
  const res = await fetch(`${base}/v1/routes/${routeId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as RouteExplanation;
}

function chosenScore(e: RouteExplanation): number {
  const chosen = e.ranked.find((c) => c.nodeId === e.chosen.nodeId && c.modelId === e.chosen.modelId);
  if (!chosen) throw new Error('chosen candidate not ranked');
  return chosen.total;
}

describe('OpenTelemetry traces at a real OTLP receiver', () => {
  it('continues the caller’s traceparent: server, decision and attempt spans with GenAI and BROKE attributes', async () => {
    const caller = clientSpan();
    const seenBefore = proxy.seen.length;
    const answer = await chat(gateway.url, { traceparent: caller.traceparent });
    expect(answer.status).toBe(200);
    expect(answer.node).toBe('a');
    const spans = await spansOfRoute(gateway, answer.routeId);
    expect(receiver.rejected).toEqual([]);
    expect(receiver.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);

    // One trace: the caller's.
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([caller.traceId]));
    expect(spans).toHaveLength(3);
    const server = one(spans, (s) => s.kind === OTLP_KIND.server, 'server span');
    const route = one(spans, (s) => s.name === 'broke.route', 'decision span');
    const attempt = one(spans, (s) => s.kind === OTLP_KIND.client, 'attempt span');

    // Parent links: caller → server span → decision and attempt spans.
    expect(server.parentSpanId).toBe(caller.spanId);
    expect(route.parentSpanId).toBe(server.spanId);
    expect(attempt.parentSpanId).toBe(server.spanId);
    expect(route.kind).toBe(OTLP_KIND.internal);
    // The decision happened inside the request, before the node was called.
    expect(route.startNs).toBeGreaterThanOrEqual(server.startNs);
    expect(route.endNs).toBeLessThanOrEqual(attempt.startNs);
    expect(attempt.endNs).toBeLessThanOrEqual(server.endNs);

    const usage = answer.usage;
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const why = await explanation(gateway.url, answer.routeId);
    expect(server.name).toBe('chat broke-quality');
    expect(server.resource['service.name']).toBe('broke-trace-test');
    expect(server.status.code).toBe(OTLP_STATUS.unset);
    expect(server.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mlx',
      'gen_ai.system': 'mlx',
      'gen_ai.request.model': 'broke-quality',
      'gen_ai.response.model': 'big',
      'gen_ai.response.id': answer.routeId,
      'gen_ai.request.max_tokens': 8,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.stream': false,
      'gen_ai.usage.input_tokens': usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': usage?.completion_tokens,
      'gen_ai.conversation.id': 'run-7',
      'broke.route_id': answer.routeId,
      'broke.role': 'reviewer',
      'broke.team': 'red',
      'broke.session': 'run-7',
      'broke.node': 'a',
      'broke.model': 'big',
      'broke.explored': false,
      'broke.chosen_score': chosenScore(why),
      'broke.attempts': 1,
      'http.response.status_code': 200,
    });
    expect(route.attributes).toMatchObject({
      'broke.route_id': answer.routeId,
      'broke.node': 'a',
      'broke.model': 'big',
      'broke.explored': false,
      'broke.chosen_score': chosenScore(why),
      'broke.profile': 'quality',
      'broke.task_type': why.analysis.taskType,
      'broke.role': 'reviewer',
    });
    expect(attempt.name).toBe('chat big');
    expect(attempt.status.code).toBe(OTLP_STATUS.unset);
    expect(attempt.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mlx',
      'gen_ai.request.model': 'big',
      'gen_ai.response.model': 'big',
      'gen_ai.usage.input_tokens': usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': usage?.completion_tokens,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(proxy.url).port),
      'broke.node': 'a',
      'broke.route_id': answer.routeId,
      'broke.attempt': 1,
    });

    // The node got the attempt span's context: same trace, the attempt as its parent, sampled.
    const sent = proxy.seen.slice(seenBefore).filter((r) => r.path === '/v1/chat/completions');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers.traceparent).toBe(`00-${caller.traceId}-${attempt.spanId}-01`);
  });

  it('a stream: usage from the last chunk and the time to its first chunk on the attempt span', async () => {
    const caller = clientSpan();
    const answer = await chat(gateway.url, { traceparent: caller.traceparent, stream: true });
    expect(answer.status).toBe(200);
    const spans = await spansOfRoute(gateway, answer.routeId);
    expect(spans.every((s) => s.traceId === caller.traceId)).toBe(true);
    const server = one(spans, (s) => s.kind === OTLP_KIND.server, 'server span');
    const attempt = one(spans, (s) => s.kind === OTLP_KIND.client, 'attempt span');
    expect(server.parentSpanId).toBe(caller.spanId);
    expect(attempt.parentSpanId).toBe(server.spanId);
    expect(server.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': answer.usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': answer.usage?.completion_tokens,
    });
    const firstChunk = attempt.attributes['gen_ai.response.time_to_first_chunk'];
    expect(typeof firstChunk).toBe('number');
    // In seconds, within the attempt's own duration.
    expect(firstChunk as number).toBeGreaterThan(0);
    expect((firstChunk as number) * 1e9).toBeLessThanOrEqual(Number(attempt.endNs - attempt.startNs));
  });

  it('without a traceparent the server span starts a new trace', async () => {
    const answer = await chat(gateway.url);
    expect(answer.status).toBe(200);
    const spans = await spansOfRoute(gateway, answer.routeId);
    const server = one(spans, (s) => s.kind === OTLP_KIND.server, 'server span');
    expect(server.parentSpanId).toBeUndefined();
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(spans).toHaveLength(3);
  });

  it('a request that fails before routing still has an error server span', async () => {
    const caller = clientSpan();
    const answer = await chat(gateway.url, { traceparent: caller.traceparent, model: 'no-such-model' });
    expect(answer.status).toBe(404);
    let spans: ReceivedSpan[] = [];
    for (let i = 0; i < 100 && spans.length === 0; i++) {
      await gateway.tracing?.forceFlush();
      spans = receiver.spans.filter((s) => s.traceId === caller.traceId);
    }
    expect(spans).toHaveLength(1);
    const server = spans[0] as ReceivedSpan;
    expect(server.parentSpanId).toBe(caller.spanId);
    expect(server.status.code).toBe(OTLP_STATUS.error);
    expect(server.status.message).toContain('no-such-model');
    expect(server.attributes['http.response.status_code']).toBe(404);
    expect(typeof server.attributes['error.type']).toBe('string');
  });

  it('sampleRatio 0 records no new traces, yet follows a caller that samples, and still propagates', async () => {
    const sparse = await gatewayWith({
      observability: { tracing: { endpoint: receiver.url, sampleRatio: 0 } },
    });
    others.push(sparse);
    const before = receiver.spans.length;
    const seenBefore = proxy.seen.length;
    const unsampled = await chat(sparse.url);
    expect(unsampled.status).toBe(200);
    const caller = clientSpan();
    const sampled = await chat(sparse.url, { traceparent: caller.traceparent });
    const spans = await spansOfRoute(sparse, sampled.routeId);
    expect(spans.map((s) => s.traceId)).toEqual([caller.traceId, caller.traceId, caller.traceId]);
    expect(
      receiver.spans.slice(before).filter((s) => s.attributes['broke.route_id'] === unsampled.routeId),
    ).toEqual([]);
    // The node still learns the trace it is part of, marked not sampled.
    const first = proxy.seen.slice(seenBefore).find((r) => r.path === '/v1/chat/completions');
    expect(first?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it('off when nothing configures it: no tracer, and nodes get no traceparent', async () => {
    const plain = await gatewayWith({});
    others.push(plain);
    expect(plain.tracing).toBeUndefined();
    const seenBefore = proxy.seen.length;
    const answer = await chat(plain.url, { traceparent: clientSpan().traceparent });
    expect(answer.status).toBe(200);
    const sent = proxy.seen.slice(seenBefore).filter((r) => r.path === '/v1/chat/completions');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers.traceparent).toBeUndefined();
  });

  it('a node killed under a request: two attempt spans, the first an error, the second answered', async () => {
    // The router still believes node a is up (no monitor runs here): the gateway has to fail over.
    nodes[0]?.kill('SIGKILL');
    let gone = false;
    for (let i = 0; i < 200 && !gone; i++) {
      gone = await fetch(`${nodes[0]?.url}/health`).then(
        () => false,
        () => true,
      );
      if (!gone) await new Promise((r) => setTimeout(r, 50));
    }
    expect(gone).toBe(true);
    const caller = clientSpan();
    const seenBefore = proxy.seen.length;
    const answer = await chat(gateway.url, { traceparent: caller.traceparent });
    expect(answer.status).toBe(200);
    expect(answer.node).toBe('b');
    const spans = await spansOfRoute(gateway, answer.routeId);
    const server = one(spans, (s) => s.kind === OTLP_KIND.server, 'server span');
    const route = one(spans, (s) => s.name === 'broke.route', 'decision span');
    const attempts = spans
      .filter((s) => s.kind === OTLP_KIND.client)
      .sort((x, y) => Number(x.attributes['broke.attempt']) - Number(y.attributes['broke.attempt']));
    expect(attempts).toHaveLength(2);
    const [failed, answered] = attempts as [ReceivedSpan, ReceivedSpan];
    for (const a of attempts) expect(a.parentSpanId).toBe(server.spanId);
    expect(route.attributes['broke.node']).toBe('a');

    expect(failed.attributes).toMatchObject({
      'broke.node': 'a',
      'broke.attempt': 1,
      'gen_ai.request.model': 'big',
    });
    expect(failed.status.code).toBe(OTLP_STATUS.error);
    expect(failed.status.message).toMatch(/node a/);
    expect(String(failed.attributes['error.type'])).toMatch(/^node_/);
    expect(failed.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    expect(failed.endNs).toBeLessThanOrEqual(answered.startNs);

    expect(answered.attributes).toMatchObject({
      'broke.node': 'b',
      'broke.attempt': 2,
      'gen_ai.request.model': 'small',
      'gen_ai.response.model': 'small',
      'gen_ai.usage.output_tokens': answer.usage?.completion_tokens,
    });
    expect(answered.status.code).toBe(OTLP_STATUS.unset);
    expect(server.status.code).toBe(OTLP_STATUS.unset);
    expect(server.attributes).toMatchObject({
      'broke.node': 'b',
      'broke.model': 'small',
      'gen_ai.response.model': 'small',
      'broke.attempts': 2,
    });
    // The dead node's attempt carried its own span's context too.
    const toA = proxy.seen.slice(seenBefore).filter((r) => r.path === '/v1/chat/completions');
    expect(toA.length).toBeGreaterThan(0);
    for (const r of toA) expect(r.headers.traceparent).toBe(`00-${caller.traceId}-${failed.spanId}-01`);
  });
});
