import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import {
  BrokeConfigSchema,
  ClusterState,
  type RouteExplanation,
  Router,
  type RunningGateway,
  startGateway,
} from '../../src/index.js';
import { explainOverHttp } from './support/mlx-cluster.js';

/**
 * Escalation end to end: a real mlx_lm.server node as the local model, a loopback stand-in for a
 * paid OpenAI-compatible endpoint (recording what it received, answering with usage the way a
 * provider bills it), the real gateway and the real `openai` SDK.
 */
const PROMPT_TOKENS_BILLED = 1000;
const PRICE = { costPerMillionInput: 10, costPerMillionOutput: 20 };
const BUDGET = 0.025;

interface StandIn {
  url: string;
  received: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function startStandIn(): Promise<StandIn> {
  const received: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET') {
        res.end(
          JSON.stringify({
            object: 'list',
            data: [{ id: 'paid-large', object: 'model', owned_by: 'stand-in' }],
          }),
        );
        return;
      }
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      received.push(body);
      const completion = Number(body.max_tokens ?? 16);
      res.end(
        JSON.stringify({
          id: 'paid-1',
          object: 'chat.completion',
          created: 1,
          model: String(body.model),
          choices: [
            {
              index: 0,
              finish_reason: 'stop',
              message: { role: 'assistant', content: 'from the paid model' },
            },
          ],
          usage: {
            prompt_tokens: PROMPT_TOKENS_BILLED,
            completion_tokens: completion,
            total_tokens: PROMPT_TOKENS_BILLED + completion,
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let node: MlxNode;
let paid: StandIn;
let gateway: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  [node, paid] = await Promise.all([startMlxNode({ model: 'tiny' }), startStandIn()]);
  const config = BrokeConfigSchema.parse({
    nodes: [
      { id: 'mac', url: node.url, kind: 'mlx', models: [{ id: 'tiny-local' }], requestTimeoutMs: 60_000 },
      {
        id: 'cloud',
        url: paid.url,
        kind: 'openai',
        apiKey: 'stand-in-key',
        models: [{ id: 'paid-large' }],
        escalation: PRICE,
      },
    ],
    models: [
      { id: 'tiny-local', tier: 'small', contextLength: 4096 },
      { id: 'paid-large', tier: 'large', contextLength: 4096 },
    ],
    routing: { explorationRate: 0, seed: 7 },
    escalation: { budgetPerDay: { default: 0, teams: { research: BUDGET, docs: BUDGET } } },
    store: { kind: 'memory' },
  });
  const cluster = new ClusterState(config.nodes);
  const router = new Router({ config, cluster });
  gateway = await startGateway({ config, router, cluster, port: 0, bridges: [] });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'local', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([node?.stop(), paid?.close()]);
});

interface Answer {
  routeId: string;
  node: string | null;
  content: string;
  why: RouteExplanation;
}

async function ask(team: string, role: string): Promise<Answer> {
  const { data, response } = await client.chat.completions
    .create(
      {
        model: 'broke-auto',
        messages: [{ role: 'user', content: 'Write a short greeting.' }],
        max_tokens: 8,
      },
      { headers: { 'x-broke-team': team, 'x-broke-role': role } },
    )
    .withResponse();
  return {
    routeId: data.id,
    node: response.headers.get('x-broke-node'),
    content: data.choices[0]?.message.content ?? '',
    why: await explainOverHttp(gateway.url, data.id),
  };
}

async function rate(routeId: string, score: number): Promise<void> {
  await client.post('/feedback', { body: { route_id: routeId, score } });
}

interface Status {
  escalation?: {
    day: string;
    teams: Array<{ team: string; spent: number; budget: number; reserved: number }>;
  };
}

async function spentBy(team: string): Promise<{ spent: number; reserved: number }> {
  const status = (await (await fetch(`${gateway.url}/v1/status`)).json()) as Status;
  const row = status.escalation?.teams.find((t) => t.team === team);
  return { spent: row?.spent ?? 0, reserved: row?.reserved ?? 0 };
}

/** The charge is made off the response path: wait (by polls, not a clock) until it is in. */
async function settled(team: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const { spent, reserved } = await spentBy(team);
    if (reserved === 0) return spent;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('escalation charge never settled');
}

const escalationReasons = (why: RouteExplanation) =>
  (why.filters.find((f) => f.filter === 'escalation')?.removed ?? []).map((r) => `${r.nodeId}: ${r.reason}`);

describe('escalation to a paid endpoint', () => {
  it('stays local while the local model is not predicted red, and says why', async () => {
    const answer = await ask('docs', 'writer');
    expect(answer.node).toBe('mac');
    expect(escalationReasons(answer.why)).toEqual([
      expect.stringMatching(/^cloud: not escalated: local tiny-local@mac is predicted \w+ .*not red$/),
    ]);
    expect(paid.received).toEqual([]);
  });

  it('escalates when feedback makes the local model red, charges the usage, and stops at the budget', async () => {
    // Rate the local model's answers for this team and role low until the router escalates.
    let answer = await ask('research', 'analyst');
    for (let i = 0; i < 40 && answer.node === 'mac'; i++) {
      await rate(answer.routeId, 0);
      answer = await ask('research', 'analyst');
    }
    expect(answer.node).toBe('cloud');
    expect(answer.content).toBe('from the paid model');
    expect(escalationReasons(answer.why)).toEqual([
      expect.stringMatching(
        /^mac: escalated: every local candidate is predicted red .*team research has 0\.025 of 0\.025 left today$/,
      ),
    ]);
    expect(paid.received).toHaveLength(1);
    expect(paid.received[0]).toMatchObject({ model: 'paid-large', max_tokens: 8 });

    // Each escalated answer is billed 1000 prompt tokens + 8 completion tokens at 10 / 20 per million.
    const perAnswer = (PROMPT_TOKENS_BILLED * 10 + 8 * 20) / 1e6;
    let escalated = 1;
    let spent = await settled('research');
    expect(spent).toBeCloseTo(perAnswer, 9);
    for (let i = 0; i < 10 && answer.node === 'cloud'; i++) {
      answer = await ask('research', 'analyst');
      if (answer.node === 'cloud') escalated++;
      spent = await settled('research');
    }
    // Stopped: the answer comes from the local node and the explanation says over budget.
    expect(answer.node).toBe('mac');
    expect(escalationReasons(answer.why)).toEqual([
      expect.stringMatching(
        /^cloud: not escalated: over budget \(team research has 0 of 0\.025 left today; this request ~0\.\d+\)$/,
      ),
    ]);
    expect(paid.received).toHaveLength(escalated);
    expect(spent).toBeCloseTo(escalated * perAnswer, 9);
    // It escalated while the budget left covered a request's estimate, and no further.
    expect(spent).toBeGreaterThanOrEqual(BUDGET);
    expect(spent - perAnswer).toBeLessThan(BUDGET);
    // The team whose local model is not red spent nothing.
    expect(await spentBy('docs')).toEqual({ spent: 0, reserved: 0 });
    // Prometheus sees the same spend and budgets.
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const sample = (name: string, team: string) =>
      Number(metrics.match(new RegExp(`^${name}\\{team="${team}"\\} (\\S+)$`, 'm'))?.[1]);
    expect(sample('broke_escalation_spend', 'research')).toBeCloseTo(spent, 9);
    expect(sample('broke_escalation_budget', 'research')).toBe(BUDGET);
    expect(sample('broke_escalation_reserved', 'research')).toBe(0);
  });
});
