/**
 * Predictive warm-up benchmark (issue 16 item 3): time to first token of the turns whose model is
 * cold, with warm-up and without, on a real mlx_lm.server node.
 *
 * One node holds one model at a time (mlx_lm.server loads the one a request names, replacing the
 * other) and is configured with two generated models: `tiny` for the writer and the larger `small`
 * for the reviewer. A team's sessions alternate writer → reviewer with think time between turns,
 * so each reviewer turn finds its model evicted by the writer's. Two gateways over the same node:
 * one with `warmup.enabled`, one without (the plain router). Both learn the pattern in unmeasured
 * sessions first; measured sessions then alternate between the arms, the order flipped every
 * pair, so drift on the machine falls on both. Streaming requests; TTFT is the first SSE chunk
 * at the client. Loopback only.
 *
 *   npm run build && npx tsx bench/warmup.ts [--quick] [--sessions N] [--think-ms MS]
 * Writes bench/results/warmup.md (--quick: a smoke run, written to warmup-quick.md).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  type BrokeConfigInput,
  BrokeConfigSchema,
  ClusterState,
  type RunningGateway,
  startGateway,
} from '@broke/core';
import { ensureModel, startMlxNode } from '../testbed/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SESSIONS = flag('--sessions', quick ? 4 : 20);
const THINK_MS = flag('--think-ms', 1500);
const LEARN = 3;
const WRITER_MODEL = 'tiny';
const REVIEWER_MODEL = 'small';

interface TurnSample {
  role: string;
  ttftMs: number;
  ok: boolean;
}

async function turn(base: string, role: string, session: string): Promise<TurnSample> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-broke-team': 'docs',
      'x-broke-role': role,
      'x-broke-session': session,
    },
    body: JSON.stringify({
      model: 'broke-auto',
      stream: true,
      max_tokens: 16,
      messages: [{ role: 'user', content: `As the ${role}, go over the release notes.` }],
    }),
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let ttftMs = Number.NaN;
  for (;;) {
    const { done } = await reader.read();
    if (Number.isNaN(ttftMs)) ttftMs = performance.now() - t0;
    if (done) break;
  }
  return { role, ttftMs, ok: res.ok };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function session(base: string, id: string): Promise<TurnSample[]> {
  const writer = await turn(base, 'writer', id);
  await sleep(THINK_MS);
  const reviewer = await turn(base, 'reviewer', id);
  await sleep(THINK_MS);
  return [writer, reviewer];
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function main(): Promise<void> {
  const started = Date.now();
  const [writerPath, reviewerPath] = await Promise.all([
    ensureModel(WRITER_MODEL),
    ensureModel(REVIEWER_MODEL),
  ]);
  const node = await startMlxNode({ model: WRITER_MODEL });
  const gateways: RunningGateway[] = [];
  try {
    const configFor = (warmup: boolean) =>
      BrokeConfigSchema.parse({
        nodes: [
          {
            id: 'mac',
            url: node.url,
            kind: 'mlx',
            requestTimeoutMs: 120_000,
            models: [
              { id: 'writer-m', servedName: writerPath, path: writerPath },
              { id: 'reviewer-m', servedName: reviewerPath, path: reviewerPath },
            ],
          },
        ],
        models: [
          { id: 'writer-m', tier: 'small', contextLength: 4096, capabilities: ['streaming'] },
          { id: 'reviewer-m', tier: 'medium', contextLength: 4096, capabilities: ['streaming'] },
        ],
        routing: {
          seed: 1,
          explorationRate: 0,
          roleRules: [
            { role: 'writer', pinModels: ['writer-m'] },
            { role: 'reviewer', pinModels: ['reviewer-m'] },
          ],
        },
        store: { kind: 'memory' },
        ...(warmup
          ? { warmup: { enabled: true, minProbability: 0.7, minObservations: LEARN, minIntervalMs: 0 } }
          : {}),
      } satisfies BrokeConfigInput);
    for (const warmup of [true, false]) {
      const config = configFor(warmup);
      gateways.push(
        await startGateway({ config, cluster: new ClusterState(config.nodes), port: 0, bridges: [] }),
      );
    }
    const [warm, plain] = gateways as [RunningGateway, RunningGateway];
    // Both arms learn writer → reviewer before anything is measured.
    for (let i = 0; i < LEARN; i++) {
      await session(warm.url, `learn-${i}`);
      await session(plain.url, `learn-${i}`);
    }
    const samples = { warm: [] as TurnSample[], plain: [] as TurnSample[] };
    for (let i = 0; i < SESSIONS; i++) {
      const order = i % 2 === 0 ? (['warm', 'plain'] as const) : (['plain', 'warm'] as const);
      for (const arm of order) {
        samples[arm].push(...(await session(arm === 'warm' ? warm.url : plain.url, `s${i}`)));
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    const counts = warm.warmUp?.counts ?? { sent: 0, done: 0, failed: 0, skipped: 0 };
    const failures = [...samples.warm, ...samples.plain].filter((s) => !s.ok).length;
    const rows = (['warm', 'plain'] as const).map((arm) => {
      const reviewer = samples[arm].filter((s) => s.role === 'reviewer').map((s) => s.ttftMs);
      const writer = samples[arm].filter((s) => s.role === 'writer').map((s) => s.ttftMs);
      return { arm, reviewer, writer };
    });
    const [w, p] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const fmt = (n: number) => n.toFixed(0);
    const load = os.loadavg().map((l) => l.toFixed(2));
    const cpus = os.cpus();
    const md = `# Predictive warm-up: cold-turn TTFT with and without warm-up

- date: ${new Date().toISOString()} (${((Date.now() - started) / 1000).toFixed(0)} s)
- machine: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length}, load ${load.join(' / ')} (at the end)
- command: \`npx tsx bench/warmup.ts${args.length ? ` ${args.join(' ')}` : ''}\`
- what: one real \`mlx_lm.server\` node (CPU MLX), two generated models (writer \`${WRITER_MODEL}\`, reviewer \`${REVIEWER_MODEL}\`), one model resident at a time; a team's sessions alternate writer → reviewer with ${THINK_MS} ms think time after each turn, so every reviewer turn finds its model evicted by the writer's. ${LEARN} unmeasured sessions per arm to learn the pattern, then ${SESSIONS} measured sessions per arm, interleaved (order flipped every pair). Streaming, 16 tokens; TTFT = first SSE chunk at the client.
- arms: the gateway with \`warmup: { enabled: true, minProbability: 0.7, minObservations: ${LEARN} }\` against the same gateway without warm-up.
- warm-ups: ${counts.sent} sent, ${counts.done} done, ${counts.failed} failed, ${counts.skipped} skipped; failed requests: ${failures}.

| turn | with warm-up: TTFT p50 ms | p90 | mean | without: p50 ms | p90 | mean | saved (p50) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| reviewer (its model cold without warm-up) | ${fmt(quantile(w.reviewer, 0.5))} | ${fmt(quantile(w.reviewer, 0.9))} | ${fmt(mean(w.reviewer))} | ${fmt(quantile(p.reviewer, 0.5))} | ${fmt(quantile(p.reviewer, 0.9))} | ${fmt(mean(p.reviewer))} | ${fmt(quantile(p.reviewer, 0.5) - quantile(w.reviewer, 0.5))} ms |
| writer (its model evicted by the reviewer's in both arms) | ${fmt(quantile(w.writer, 0.5))} | ${fmt(quantile(w.writer, 0.9))} | ${fmt(mean(w.writer))} | ${fmt(quantile(p.writer, 0.5))} | ${fmt(quantile(p.writer, 0.9))} | ${fmt(mean(p.writer))} | ${fmt(quantile(p.writer, 0.5) - quantile(w.writer, 0.5))} ms |

The writer's turn is cold in both arms (the reviewer's turn loaded the other model); warming the
writer's model after the reviewer's turn would need a transition reviewer → writer inside a
session, which this workload does not have. These generated models load in tens of milliseconds
on CPU; with multi-GB models a cold load takes seconds, and that is what a warm-up can hide when
the think time covers it (not measured here).
`;
    const out = join(import.meta.dirname, 'results', quick ? 'warmup-quick.md' : 'warmup.md');
    writeFileSync(out, md);
    process.stdout.write(`${md}\nwrote ${out}\n`);
  } finally {
    await Promise.all(gateways.map((g) => g.close()));
    await node.stop();
  }
}

await main();
