import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import {
  answersBookkept,
  type BrokeConfig,
  BrokeConfigSchema,
  ClusterMonitor,
  ClusterState,
  createGatewayApp,
  createLogger,
  Router,
  type RunningGateway,
  roleModelQuality,
  startGateway,
} from '../../src/index.js';
import {
  type Exposition,
  labelValues,
  only,
  parseExposition,
  select,
  total,
} from './support/prometheus-text.js';

/**
 * Issue 18: /metrics and the request log during a real workload over two real mlx_lm.server
 * nodes, with the cluster monitor running: counters and histograms move as the workload says
 * (requests per role and team, folded into `other` beyond the top N; tokens; errors by class;
 * feedback count and mean; learned quality), and a node SIGKILLed under traffic shows as a
 * failover and, once the monitor sees it, as up=0. Each request is one pino JSON line: no key and
 * no prompt text unless prompts are logged on purpose.
 */

const KEY = 'sk-observability-test-key';
/** In every prompt: must never appear in a log line unless prompts are logged. */
const MARKER = 'PROMPT-MARKER-5c1e';

let nodes: MlxNode[] = [];
let gateway: RunningGateway | undefined;
let monitor: ClusterMonitor | undefined;
let config: BrokeConfig;
let cluster: ClusterState;
let router: Router;
const logLines: string[] = [];

beforeAll(async () => {
  nodes = await Promise.all([startMlxNode({ model: 'tiny' }), startMlxNode({ model: 'tiny' })]);
  config = BrokeConfigSchema.parse({
    nodes: [
      { id: 'a', url: nodes[0]?.url, kind: 'mlx', models: [{ id: 'big' }], maxConcurrency: 4 },
      { id: 'b', url: nodes[1]?.url, kind: 'mlx', models: [{ id: 'small' }], maxConcurrency: 4 },
    ].map((n) => ({ ...n, requestTimeoutMs: 30_000 })),
    // The same tiny model on both; a role rule makes role `mover` prefer node a's model.
    models: [
      { id: 'big', tier: 'large', contextLength: 4096, capabilities: ['streaming'] },
      { id: 'small', tier: 'small', contextLength: 4096, capabilities: ['streaming'] },
    ],
    routing: {
      explorationRate: 0,
      seed: 7,
      maxAttempts: 3,
      roleRules: [{ role: 'mover', prefer: ['big'], avoid: ['small'] }],
    },
    monitor: { intervalMs: 200, timeoutMs: 1500, downAfter: 2, upAfter: 1 },
    store: { kind: 'memory' },
    gateway: { apiKeys: [KEY] },
    observability: { metrics: { topRoles: 2, topTeams: 1 } },
  });
  cluster = new ClusterState(config.nodes);
  router = new Router({ config, cluster });
  const logger = createLogger({ destination: { write: (line: string) => void logLines.push(line) } });
  gateway = await startGateway({ config, router, cluster, port: 0, bridges: [], requestLogger: logger });
  monitor = new ClusterMonitor({ nodes: config.nodes, monitor: config.monitor, state: cluster });
  await monitor.pollOnce();
  monitor.start();
});

afterAll(async () => {
  await monitor?.stop();
  await gateway?.close();
  await Promise.all(nodes.map((n) => n.stop()));
});

const auth = { authorization: `Bearer ${KEY}` };

interface Answer {
  status: number;
  routeId: string;
  node: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
}

/** One chat request as an agent sends it; reads the usage the client saw. */
async function chat(
  who: { role?: string; team?: string },
  options: { stream?: boolean; model?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${gateway?.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...auth,
      ...(who.role ? { 'x-broke-role': who.role } : {}),
      ...(who.team ? { 'x-broke-team': who.team } : {}),
    },
    body: JSON.stringify({
      model: options.model ?? 'broke-auto',
      max_tokens: 12,
      messages: [{ role: 'user', content: `Write one line about rivers. ${MARKER}` }],
      ...(options.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
  });
  const text = await res.text();
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  if (res.status === 200 && options.stream) {
    for (const event of text.split('\n\n')) {
      const data = event.replace(/^data: /, '');
      if (data === '' || data === '[DONE]') continue;
      usage = (JSON.parse(data) as { usage?: typeof usage }).usage ?? usage;
    }
    expect(text.endsWith('data: [DONE]\n\n'), text.slice(-300)).toBe(true);
  } else if (res.status === 200) usage = (JSON.parse(text) as { usage: typeof usage }).usage;
  return {
    status: res.status,
    routeId: res.headers.get('x-broke-route-id') ?? '',
    node: res.headers.get('x-broke-node') ?? '',
    model: res.headers.get('x-broke-model') ?? '',
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
  };
}

async function scrape(): Promise<Exposition> {
  const res = await fetch(`${gateway?.url}/metrics`, { headers: auth });
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

async function until(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  refresh: () => Promise<void> = async () => {},
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
    await refresh();
  }
}

const answers: Answer[] = [];

describe('GET /metrics during a real workload', () => {
  it('requires the API key like the API', async () => {
    expect((await fetch(`${gateway?.url}/metrics`)).status).toBe(401);
  });

  it('counts requests per role and team (folded beyond the top N), tokens, latencies and route decisions', async () => {
    // Order matters: the first two roles and the first team keep their names.
    answers.push(await chat({ role: 'writer', team: 't1' }));
    answers.push(await chat({ role: 'writer', team: 't1' }, { stream: true }));
    answers.push(await chat({ role: 'Writer', team: 't1' }));
    answers.push(await chat({ role: 'reviewer', team: 't2' }));
    answers.push(await chat({ role: 'reviewer', team: 't2' }, { stream: true }));
    answers.push(await chat({ role: 'planner', team: 't3' }, { stream: true }));
    answers.push(await chat({ role: 'critic' }));
    for (const a of answers) expect(a.status).toBe(200);
    const missing = await chat({ role: 'writer', team: 't1' }, { model: 'no-such-model' });
    expect(missing.status).toBe(404);

    // A stream is counted just after its last byte went out: wait for all seven.
    let e = await scrape();
    await until(
      'seven answered requests in the metrics',
      () => total(e, 'broke_request_duration_seconds_count') >= 7,
      10_000,
      async () => {
        e = await scrape();
      },
    );
    const requests = 'broke_requests_total';
    expect(labelValues(e, requests, 'role')).toEqual(['other', 'reviewer', 'writer']);
    expect(labelValues(e, requests, 'team')).toEqual(['none', 'other', 't1']);
    expect(total(e, requests, { role: 'writer', status_class: '2xx' })).toBe(3);
    expect(total(e, requests, { role: 'reviewer', status_class: '2xx' })).toBe(2);
    expect(total(e, requests, { role: 'other', status_class: '2xx' })).toBe(2);
    expect(total(e, requests, { team: 't1', status_class: '2xx' })).toBe(3);
    expect(total(e, requests, { team: 'other' })).toBe(3);
    expect(total(e, requests, { team: 'none' })).toBe(1);
    // The request for an unknown model: a 4xx never routed to any node.
    expect(
      only(e, requests, { role: 'writer', team: 't1', model: 'none', node: 'none', status_class: '4xx' }),
    ).toBe(1);
    expect(only(e, 'broke_request_errors_total', { class: 'model_not_found' })).toBe(1);
    // Per node and model, as the answers' headers said.
    for (const node of ['a', 'b']) {
      const served = answers.filter((a) => a.node === node).length;
      expect(total(e, requests, { node, status_class: '2xx' })).toBe(served);
    }
    // Tokens: what the clients were told, in and out.
    const sum = (f: (a: Answer) => number) => answers.reduce((s, a) => s + f(a), 0);
    expect(sum((a) => a.completionTokens)).toBeGreaterThan(0);
    expect(total(e, 'broke_tokens_total', { direction: 'out' })).toBe(sum((a) => a.completionTokens));
    expect(total(e, 'broke_tokens_total', { direction: 'in' })).toBe(sum((a) => a.promptTokens));
    // Histograms: one observation per answered request; a decision per routed one.
    expect(total(e, 'broke_ttft_seconds_count')).toBe(7);
    expect(total(e, 'broke_request_duration_seconds_count')).toBe(7);
    expect(total(e, 'broke_ttft_seconds_bucket', { le: '+Inf' })).toBe(7);
    expect(total(e, 'broke_ttft_seconds_sum')).toBeGreaterThan(0);
    expect(total(e, 'broke_ttft_seconds_sum')).toBeLessThanOrEqual(
      total(e, 'broke_request_duration_seconds_sum'),
    );
    expect(only(e, 'broke_route_decision_seconds_count')).toBe(7);
    expect(only(e, 'broke_routes_total', { explored: 'false' })).toBe(7);
    expect(only(e, 'broke_routes_total', { explored: 'true' })).toBe(0);
    expect(only(e, 'broke_routes_explored_ratio')).toBe(0);
    // Both nodes up, nothing failed over.
    expect(only(e, 'broke_node_up', { node: 'a' })).toBe(1);
    expect(only(e, 'broke_node_up', { node: 'b' })).toBe(1);
    expect(select(e, 'broke_failovers_total')).toEqual([]);
    // Nothing judged yet: successes say the models answered, not how well (no learned quality).
    expect(select(e, 'broke_learned_quality')).toEqual([]);
  });

  it('counts feedback and its mean per team, role and model; learned quality moves', async () => {
    const writer = answers.slice(0, 2);
    const before = await scrape();
    const rate = async (routeId: string, score: number) => {
      const res = await fetch(`${gateway?.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ route_id: routeId, score }),
      });
      expect(res.status).toBe(200);
    };
    await rate((writer[0] as Answer).routeId, 0.1);
    await rate((writer[1] as Answer).routeId, 0.5);
    await rate((answers[3] as Answer).routeId, 1);

    const e = await scrape();
    // Expected per (team, role, model) from who served each rated route.
    const expected = new Map<string, number[]>();
    const add = (team: string, role: string, a: Answer, score: number) => {
      const key = `${team}|${role}|${a.model}`;
      expected.set(key, [...(expected.get(key) ?? []), score]);
    };
    add('t1', 'writer', writer[0] as Answer, 0.1);
    add('t1', 'writer', writer[1] as Answer, 0.5);
    add('other', 'reviewer', answers[3] as Answer, 1);
    expect(select(e, 'broke_feedback_score_count')).toHaveLength(expected.size);
    for (const [key, scores] of expected) {
      const [team, role, model] = key.split('|') as [string, string, string];
      const labels = { team, role, model };
      const mean = scores.reduce((s, x) => s + x, 0) / scores.length;
      expect(only(e, 'broke_feedback_score_count', labels)).toBe(scores.length);
      expect(only(e, 'broke_feedback_score_sum', labels)).toBeCloseTo(mean * scores.length, 9);
      expect(only(e, 'broke_feedback_score_mean', labels)).toBeCloseTo(mean, 9);
    }
    // The judged scores are the learned quality: per role and model, `*` for everyone; the
    // writer's two low scores give a low mean on two observations, read as status and the
    // dashboard read it (one source).
    expect(select(before, 'broke_learned_quality')).toEqual([]);
    expect(labelValues(e, 'broke_learned_quality', 'role')).toEqual(
      expect.arrayContaining(['*', 'writer', 'reviewer']),
    );
    const model = (writer[0] as Answer).model;
    const q = (x: Exposition) => only(x, 'broke_learned_quality', { role: 'writer', model });
    const n = (x: Exposition) => only(x, 'broke_learned_evidence', { role: 'writer', model });
    expect(q(e)).toBeLessThan(0.5);
    expect(n(e)).toBeCloseTo((writer[0] as Answer).model === (writer[1] as Answer).model ? 2 : 1, 1);
    const learned = roleModelQuality(router.stats()).find((r) => r.role === 'writer' && r.modelId === model);
    expect(q(e)).toBe(learned?.mean);
    expect(only(e, 'broke_learned_quality_low', { role: 'writer', model })).toBe(learned?.low);
    expect(only(e, 'broke_learned_quality_high', { role: 'writer', model })).toBe(learned?.high);
  });

  it('a node killed under traffic: its failover is counted, then up=0 once the monitor sees it', async () => {
    const first = await chat({ role: 'mover' });
    // The premise: the role rule sends role mover to node a.
    expect(first.node).toBe('a');
    const before = await scrape();
    // The monitor pauses so the router still believes node a is up when the next request
    // arrives: the gateway's failover, not the monitor, has to move it.
    await monitor?.stop();
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

    const moved = await chat({ role: 'mover' });
    expect(moved.status).toBe(200);
    expect(moved.node).toBe('b');
    const e = await scrape();
    expect(only(e, 'broke_failovers_total', { node: 'a' })).toBe(1);
    expect(
      total(e, 'broke_requests_total', { role: 'other', node: 'b', status_class: '2xx' }) -
        total(before, 'broke_requests_total', { role: 'other', node: 'b', status_class: '2xx' }),
    ).toBe(1);

    monitor?.start();
    await until('the monitor to mark node a down', () => cluster.node('a')?.up === false, 30_000);
    const down = await scrape();
    expect(only(down, 'broke_node_up', { node: 'a' })).toBe(0);
    expect(only(down, 'broke_node_up', { node: 'b' })).toBe(1);
  });
});

describe('the request log', () => {
  it('one JSON line per request: levels by outcome, no key and no prompt text', () => {
    const requests = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request');
    // 7 answered, 1 unknown model, 2 in the kill test.
    expect(requests).toHaveLength(10);
    for (const line of logLines) {
      expect(line).not.toContain(KEY);
      expect(line).not.toContain(MARKER);
    }
    const first = requests.find((l) => l.route_id === answers[0]?.routeId);
    expect(first).toMatchObject({
      level: 'info',
      msg: 'request',
      role: 'writer',
      team: 't1',
      node: answers[0]?.node,
      model: answers[0]?.model,
      status: 200,
      outcome: 'ok',
      stream: false,
      tokens: answers[0]?.completionTokens,
      prompt_tokens: answers[0]?.promptTokens,
    });
    expect(first?.ts).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(first?.ttft_ms).toEqual(expect.any(Number));
    expect(first?.client).toEqual(expect.any(String));
    expect(first).not.toHaveProperty('prompt');
    const missing = requests.find((l) => l.status === 404);
    expect(missing).toMatchObject({ level: 'warn', route_id: null, error_class: 'model_not_found' });
    const failedOver = requests.at(-1);
    expect(failedOver).toMatchObject({ node: 'b', failovers: 1, level: 'info' });
  });

  it('prompts are in the line only when asked; keys never', async () => {
    const lines: string[] = [];
    const prompts = { ...config.observability, log: { ...config.observability.log, prompts: true } };
    const logger = createLogger({ prompts: true, destination: { write: (l: string) => void lines.push(l) } });
    // A second app on the same router and nodes, logging prompts.
    const app = createGatewayApp({
      config: { ...config, observability: prompts },
      router,
      cluster,
      requestLogger: logger,
    });
    const res = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth, 'x-broke-role': 'writer' },
      body: JSON.stringify({
        model: 'broke-auto',
        max_tokens: 4,
        messages: [{ role: 'user', content: MARKER }],
      }),
    });
    expect(res.status).toBe(200);
    await res.text();
    // Outcomes and observers are told once the answer is out (serving/after-answer.ts).
    await answersBookkept();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as { prompt?: Array<{ content: string }> };
    expect(line.prompt).toEqual([{ role: 'user', content: MARKER }]);
    expect(lines[0]).not.toContain(KEY);
    // Keys handed to the logger some other way are redacted too.
    logger.info(
      { headers: { authorization: `Bearer ${KEY}` }, config: { gateway: config.gateway } },
      'check',
    );
    expect(lines[1]).not.toContain(KEY);
    expect(lines[1]).toContain('[redacted]');
  });
});
