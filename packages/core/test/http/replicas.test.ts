import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type CountingProxy,
  type HaproxyServer,
  type MlxNode,
  type RedisServer,
  startCountingProxy,
  startHaproxy,
  startMlxNode,
  startRedis,
} from '../../../../testbed/index.js';
import { cliStream, ensureBuilt } from '../cli/helpers.js';

// Two `broke-cluster serve` replicas sharing a real redis-server, the HAProxy config from
// docs/scaling.md in front, and two real mlx_lm.server nodes with maxConcurrency 2, each behind
// a proxy that counts the chat requests the node serves at once (read from the node's side).

const doc = readFileSync(new URL('../../../../docs/scaling.md', import.meta.url), 'utf8');
const haproxyConfig = /```haproxy\n([\s\S]*?)```/.exec(doc)?.[1] as string;

type Serve = ReturnType<typeof cliStream>;

let redis: RedisServer;
let nodes: MlxNode[] = [];
let proxies: CountingProxy[] = [];
let lb: HaproxyServer;
const replicas: Array<{ serve: Serve; url: string } | undefined> = [];
const dir = mkdtempSync(join(tmpdir(), 'broke-replicas-'));
const cfg = join(dir, 'broke.yaml');

async function startReplica(): Promise<{ serve: Serve; url: string }> {
  const serve = cliStream(['-c', cfg, 'serve', '--port', '0', '--no-request-log']);
  const { line } = await serve.waitFor((l) => l.startsWith('BROKE gateway on'), 60_000);
  return { serve, url: /on (http:\/\/\S+)/.exec(line)?.[1] as string };
}

beforeAll(async () => {
  ensureBuilt();
  [redis, ...nodes] = await Promise.all([
    startRedis(),
    startMlxNode({ model: 'tiny' }),
    startMlxNode({ model: 'tiny' }),
  ]);
  proxies = await Promise.all(nodes.map((n) => startCountingProxy(n.url)));
  const ids = ['a', 'b'];
  writeFileSync(
    cfg,
    stringify({
      nodes: nodes.map((n, i) => ({
        id: ids[i],
        url: proxies[i]?.url,
        kind: 'mlx',
        models: [{ id: `tiny-${ids[i]}`, servedName: n.modelPath, path: n.modelPath }],
        maxConcurrency: 2,
        queueLimit: 64,
        requestTimeoutMs: 120_000,
      })),
      models: [
        { id: 'tiny-a', tier: 'small', contextLength: 4096, capabilities: ['streaming'] },
        { id: 'tiny-b', tier: 'small', contextLength: 4096, capabilities: ['streaming'] },
      ],
      // Sessions pinned: a session's turns stay on its node whichever replica routes them.
      routing: { explorationRate: 0, seed: 7, maxAttempts: 3, sessions: 'pin' },
      store: { kind: 'redis', url: redis.url, prefix: 'replicas-test:', replicas: { leaseTtlMs: 3000 } },
    }),
  );
  const [a, b] = await Promise.all([startReplica(), startReplica()]);
  replicas.push(a, b);
  lb = await startHaproxy(haproxyConfig, {
    BROKE_GW1: a.url.replace('http://', ''),
    BROKE_GW2: b.url.replace('http://', ''),
  });
}, 180_000);

afterAll(async () => {
  await lb?.stop();
  await Promise.all(replicas.map((r) => r?.serve.stop()));
  await Promise.all(proxies.map((p) => p.stop()));
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  replica: string | null;
  node: string | null;
  routeId: string | null;
  done: boolean;
  text: string;
}

async function chat(
  base: string,
  options: { stream?: boolean; session?: string; model?: string; role?: string; maxTokens?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.session) headers['x-broke-session'] = options.session;
  if (options.role) headers['x-broke-role'] = options.role;
  const answer: Answer = {
    status: 0,
    replica: null,
    node: null,
    routeId: null,
    done: false,
    text: '',
  };
  try {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: options.model ?? 'broke-auto',
        stream: options.stream ?? false,
        max_tokens: options.maxTokens ?? 12,
        messages: [{ role: 'user', content: 'Review this function for bugs: function f(a){return a[0]}' }],
      }),
    });
    answer.status = res.status;
    answer.replica = res.headers.get('x-broke-replica');
    answer.node = res.headers.get('x-broke-node');
    answer.routeId = res.headers.get('x-broke-route-id');
    answer.text = await res.text();
    answer.done = res.ok && (options.stream ? answer.text.includes('data: [DONE]') : true);
  } catch (err) {
    answer.text = String(err);
  }
  return answer;
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('two gateway replicas behind HAProxy route as one (store.kind: redis)', () => {
  it('32 concurrent streams through the balancer: no node ever serves more than its maxConcurrency (2)', async () => {
    for (const p of proxies) p.resetMax();
    const answers = await Promise.all(Array.from({ length: 32 }, () => chat(lb.url, { stream: true })));
    const failed = answers.filter((a) => !a.done);
    expect(failed.map((a) => `${a.status} ${a.text.slice(0, 200)}`)).toEqual([]);
    // Both replicas served, and the nodes were really contended (full), yet never beyond 2.
    expect(new Set(answers.map((a) => a.replica))).toEqual(new Set(['gw1', 'gw2']));
    for (const p of proxies) expect(p.max).toBeLessThanOrEqual(2);
    expect(Math.max(...proxies.map((p) => p.max))).toBe(2);
  }, 180_000);

  it("sessions keep their node across replicas: each turn's replica knows the node of the last turn", async () => {
    // First turns at once, through the balancer (the router spreads them, or queues them).
    const sessions = Array.from({ length: 12 }, (_, i) => `conv-${i}`);
    const first = await Promise.all(sessions.map((session) => chat(lb.url, { session, stream: true })));
    expect(first.every((t) => t.done)).toBe(true);
    const last = new Map(sessions.map((s, i) => [s, first[i]?.node as string]));
    const urlOf = (replica: string | null) => (replicas[replica === 'gw1' ? 0 : 1] as { url: string }).url;
    // Then turn after turn, one at a time: round robin alternates the replicas.
    const replicasSeen = new Set<string | null>();
    let kept = 0;
    let turns = 0;
    for (let round = 0; round < 3; round++)
      for (const session of sessions) {
        const next = await chat(lb.url, { session, maxTokens: 2 });
        expect(next.status).toBe(200);
        replicasSeen.add(next.replica);
        // The replica that served this turn routed it knowing where the last one ran, whichever
        // replica that was: the session's node got the warm-cache term in its explanation.
        const explanation = (await (
          await fetch(`${urlOf(next.replica)}/v1/routes/${next.routeId}`)
        ).json()) as {
          ranked: Array<{ nodeId: string; terms: Record<string, { value: number }> }>;
        };
        const previous = explanation.ranked.find((c) => c.nodeId === last.get(session));
        expect(previous?.terms['session-cache']?.value, `${session} turn ${round + 2}`).toBeLessThan(0);
        turns += 1;
        if (next.node === last.get(session)) kept += 1;
        last.set(session, next.node as string);
      }
    expect(replicasSeen).toEqual(new Set(['gw1', 'gw2']));
    // routing.sessions is pin: every turn stayed on the session's node, whichever replica routed it.
    expect(kept).toBe(turns);
  }, 120_000);

  it('feedback posted to replica B finds a route made on A, and changes routing on A', async () => {
    const [a, b] = replicas as Array<{ url: string }> as [{ url: string }, { url: string }];
    const before = await chat(a.url, { role: 'code_reviewer', maxTokens: 2 });
    expect(before.status).toBe(200);
    const chosen = before.node as string;
    const other = chosen === 'a' ? 'b' : 'a';
    // B explains A's route (a skeleton from the shared outcome log) once A has logged its end.
    const explained = await eventually(async () => {
      const res = await fetch(`${b.url}/v1/routes/${before.routeId}`);
      return res.ok ? ((await res.json()) as { chosen?: { nodeId?: string } }) : undefined;
    }, "B explains A's route");
    expect(explained.chosen?.nodeId).toBe(chosen);
    // Judged on B: A's choice reviews badly, the other model well. Routes made on A each time.
    for (let i = 0; i < 15; i++) {
      for (const [model, score] of [
        [`tiny-${chosen}`, 0],
        [`tiny-${other}`, 1],
      ] as const) {
        const made = await chat(a.url, { role: 'code_reviewer', model, maxTokens: 1 });
        expect(made.status).toBe(200);
        await eventually(async () => {
          const res = await fetch(`${b.url}/v1/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ route_id: made.routeId, score }),
          });
          return res.ok ? true : undefined;
        }, `feedback on ${made.routeId} accepted by B`);
      }
    }
    const after = await eventually(async () => {
      const next = await chat(a.url, { role: 'code_reviewer', maxTokens: 1 });
      return next.node === other ? next : undefined;
    }, 'A routes to the other node after feedback posted to B');
    expect(after.status).toBe(200);
  }, 120_000);

  it('killing replica A loses no request that had not started: the balancer sends it to B', async () => {
    const a = replicas[0] as { serve: Serve };
    // More than the nodes run at once: most of these wait in the replicas' queues when A dies.
    const inFlight = Array.from({ length: 24 }, () => chat(lb.url, { stream: true, maxTokens: 48 }));
    // Killed while a node is full: most of the 24 wait in a replica's queue, not started.
    await eventually(async () => (proxies.some((p) => p.current === 2) ? true : undefined), 'a node busy');
    a.serve.child.kill('SIGKILL');
    const after = Array.from({ length: 8 }, () => chat(lb.url, { stream: true, maxTokens: 4 }));
    const before = await Promise.all(inFlight);
    const answers = [...before, ...(await Promise.all(after))];
    replicas[0] = undefined;
    // Answered by A: started there before it died (those may be cut). Everything else succeeded,
    // including what A had taken but not started (the balancer sent it again, to B).
    const notStartedOnA = answers.filter((x) => x.replica !== 'gw1');
    expect(notStartedOnA.filter((x) => !x.done).map((x) => `${x.status} ${x.text.slice(0, 200)}`)).toEqual(
      [],
    );
    expect(notStartedOnA.every((x) => x.replica === 'gw2')).toBe(true);
    // Round robin gave A half of the first 24; those it had not started were retried on B.
    expect(before.filter((x) => x.replica === 'gw2').length).toBeGreaterThan(12);
    for (const p of proxies) expect(p.max).toBeLessThanOrEqual(2);
  }, 180_000);

  it('Redis lost: B serves from local state and says so; shared again when Redis returns', async () => {
    const b = replicas[1] as { url: string };
    const health = async () => (await (await fetch(`${b.url}/health`)).json()) as { shared_state?: string };
    expect((await health()).shared_state).toBe('shared');
    await redis.kill();
    try {
      await eventually(
        async () => ((await health()).shared_state === 'degraded' ? true : undefined),
        'degraded',
      );
      const metrics = await (await fetch(`${b.url}/metrics`)).text();
      expect(metrics).toMatch(/^broke_shared_state_degraded 1$/m);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => chat(lb.url, { stream: true, maxTokens: 4 })),
      );
      expect(answers.filter((x) => !x.done).map((x) => x.text.slice(0, 200))).toEqual([]);
    } finally {
      redis = await startRedis({ port: redis.port });
    }
    await eventually(
      async () => ((await health()).shared_state === 'shared' ? true : undefined),
      'shared again',
    );
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => chat(lb.url, { stream: true, maxTokens: 4 })),
    );
    expect(answers.filter((x) => !x.done)).toEqual([]);
    // No count left behind: every node idle again in B's view.
    const idle = await eventually(async () => {
      const h = (await (await fetch(`${b.url}/health`)).json()) as { nodes: Array<{ inFlight: number }> };
      return h.nodes.every((n) => n.inFlight === 0) ? h : undefined;
    }, 'in-flight back to 0');
    expect(idle.nodes).toHaveLength(2);
  }, 120_000);
});
