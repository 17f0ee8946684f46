/**
 * The main job (`bash scripts/quickstart.sh`): a small local cluster of real mlx_lm.server nodes
 * on loopback, the BROKE gateway in front of it, and a scripted multi-agent workload sent through
 * the gateway with the official `openai` client. Prints where each request went and why, posts
 * feedback, and shows the routes that changed.
 *
 * The models are tiny random-weight models, so their text is gibberish; what matters here is the
 * routing. The "judge" that scores answers is scripted (it prefers the larger model for review
 * work) so the effect of feedback is visible in one short run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokeConfigSchema, type RouteExplanation, startGateway } from '@broke/core';
import OpenAI from 'openai';
import { type MlxNode, startMlxNode } from '../testbed/index.js';

interface Job {
  role: string;
  prompt: string;
  stream?: boolean;
}

const team = 'newsroom';
const workload: Job[] = [
  { role: 'researcher', prompt: 'List three facts about the Moon with their sources.' },
  {
    role: 'researcher',
    prompt: 'Extract every date and person named in: "On 4 May 1994 Ada met Bob in Paris."',
  },
  { role: 'writer', prompt: 'Write a short upbeat paragraph announcing our new cluster.', stream: true },
  { role: 'writer', prompt: 'Summarise this in one sentence: BROKE routes agent requests across Macs.' },
  {
    role: 'code_reviewer',
    prompt:
      'Review this function for bugs and security problems, step by step:\n```ts\nfunction q(u){return db.query("SELECT * FROM users WHERE id="+u)}\n```',
  },
  {
    role: 'code_reviewer',
    prompt: 'Is `for (let i = 0; i <= arr.length; i++) sum += arr[i]` correct? Explain why.',
  },
  { role: 'chat', prompt: 'hi!', stream: true },
  { role: 'chat', prompt: 'Thanks, that helps.' },
];

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

async function runRound(client: OpenAI, gatewayUrl: string, label: string) {
  console.log(`\n${label}`);
  console.log(
    `${pad('role', 14)} ${pad('task', 14)} ${pad('node', 7)} ${pad('model', 12)} ${pad('ms', 6)} why`,
  );
  const routes: Array<{ job: Job; explanation: RouteExplanation }> = [];
  for (const job of workload) {
    const started = performance.now();
    const headers = {
      'X-Broke-Role': job.role,
      'X-Broke-Team': team,
      'X-Broke-Session': `${team}-${job.role}`,
    };
    let routeId: string | null;
    if (job.stream) {
      const { data: stream, response } = await client.chat.completions
        .create(
          {
            model: 'broke-auto',
            messages: [{ role: 'user', content: job.prompt }],
            max_tokens: 12,
            stream: true,
          },
          { headers },
        )
        .withResponse();
      routeId = response.headers.get('x-broke-route-id');
      for await (const _chunk of stream) {
        // drain: the gateway streams tokens as the node produces them
      }
    } else {
      const { response } = await client.chat.completions
        .create(
          { model: 'broke-auto', messages: [{ role: 'user', content: job.prompt }], max_tokens: 12 },
          { headers },
        )
        .withResponse();
      routeId = response.headers.get('x-broke-route-id');
    }
    const ms = Math.round(performance.now() - started);
    const explanation = (await (
      await fetch(`${gatewayUrl}/v1/routes/${routeId}`)
    ).json()) as RouteExplanation;
    routes.push({ job, explanation });
    console.log(
      `${pad(job.role, 14)} ${pad(explanation.analysis.taskType, 14)} ${pad(explanation.chosen.nodeId, 7)} ${pad(
        explanation.chosen.modelId,
        12,
      )} ${pad(String(ms), 6)} ${explanation.summary}`,
    );
  }
  return routes;
}

async function main() {
  const workdir = mkdtempSync(join(tmpdir(), 'broke-demo-'));
  const nodes: MlxNode[] = [];
  let closeGateway: (() => Promise<void>) | undefined;
  try {
    console.log('starting two real mlx_lm.server nodes on loopback…');
    const [studio, mini] = await Promise.all([
      startMlxNode({ model: 'small', host: '127.0.0.1' }),
      startMlxNode({ model: 'tiny', host: '127.0.0.2' }),
    ]);
    nodes.push(studio, mini);
    console.log(`  studio ${studio.url}  serves broke-small (8 layers, slower, "large" tier)`);
    console.log(`  mini   ${mini.url}  serves broke-tiny  (2 layers, fast, "small" tier)`);

    const config = BrokeConfigSchema.parse({
      cluster: { name: 'demo' },
      nodes: [
        {
          id: 'studio',
          url: studio.url,
          kind: 'mlx',
          maxConcurrency: 2,
          models: [{ id: 'broke-small', servedName: studio.modelPath }],
        },
        {
          id: 'mini',
          url: mini.url,
          kind: 'mlx',
          maxConcurrency: 2,
          models: [{ id: 'broke-tiny', servedName: mini.modelPath }],
        },
      ],
      models: [
        { id: 'broke-small', family: 'llama', parameters: 0.03, contextLength: 4096, tier: 'large' },
        { id: 'broke-tiny', family: 'llama', parameters: 0.0003, contextLength: 4096, tier: 'small' },
      ],
      routing: { seed: 7, explorationRate: 0.05 },
      gateway: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: join(workdir, 'stats.db') },
    });

    const gateway = await startGateway({ config });
    closeGateway = gateway.close;
    console.log(
      `BROKE gateway on ${gateway.url} (OpenAI-compatible: point any client's base URL at ${gateway.url}/v1)`,
    );
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'local' });

    const first = await runRound(
      client,
      gateway.url,
      'Round 1: cold start (complexity tiers, measured speed, load)',
    );

    // A scripted judge: review work is better on the large model; everything else is fine anywhere.
    const judge = (role: string, modelId: string) =>
      role === 'code_reviewer'
        ? modelId === 'broke-small'
          ? 0.95
          : 0.1
        : modelId === 'broke-small'
          ? 0.7
          : 0.8;
    const sendFeedback = (routeId: string, score: number) =>
      fetch(`${gateway.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ routeId, score }),
      });
    for (const { job, explanation } of first)
      await sendFeedback(explanation.routeId, judge(job.role, explanation.chosen.modelId));

    // A short working session for the reviewer, every answer scored by the judge.
    const reviews = workload.filter((j) => j.role === 'code_reviewer');
    const used: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const job = reviews[i % reviews.length] as Job;
      const { response } = await client.chat.completions
        .create(
          { model: 'broke-auto', messages: [{ role: 'user', content: job.prompt }], max_tokens: 4 },
          { headers: { 'X-Broke-Role': job.role, 'X-Broke-Team': team } },
        )
        .withResponse();
      const model = response.headers.get('x-broke-model') ?? '?';
      used[model] = (used[model] ?? 0) + 1;
      await sendFeedback(response.headers.get('x-broke-route-id') ?? '', judge(job.role, model));
    }
    console.log(
      `\n30 more code_reviewer requests, each scored by a scripted judge that prefers broke-small for review work;`,
    );
    console.log(`models used while learning: ${JSON.stringify(used)}`);
    const second = await runRound(client, gateway.url, 'Round 2: after feedback');

    const changed = second.filter(
      (r, i) => r.explanation.chosen.modelId !== first[i]?.explanation.chosen.modelId,
    );
    console.log(`\n${changed.length} of ${second.length} routes changed after feedback.`);
    const last = second.filter((r) => r.job.role === 'code_reviewer').at(-1)?.explanation;
    if (last) {
      console.log(
        `\nWhy the last code_reviewer request went to ${last.chosen.modelId}@${last.chosen.nodeId} (route ${last.routeId}):`,
      );
      console.log(`  objective: ${last.objective.description}`);
      for (const candidate of last.ranked) {
        const terms = Object.entries(candidate.terms).filter(([, t]) => t.value !== 0);
        const quality = terms
          .filter(([, t]) => t.adds === 'quality')
          .map(([name, t]) => `${name} ${t.value >= 0 ? '+' : ''}${t.value.toFixed(2)}`);
        const time = terms
          .filter(([, t]) => t.adds === 'time')
          .map(([name, t]) => `${name} ${Math.round(t.value)} ms`);
        console.log(
          `  ${candidate.modelId}@${candidate.nodeId} → ${candidate.total.toFixed(2)}: quality ${candidate.quality.toFixed(2)} (${quality.join(', ')}), ~${Math.round(candidate.timeMs)} ms (${time.join(', ')})`,
        );
      }
      console.log(`  full explanation: GET ${gateway.url}/v1/routes/${last.routeId}`);
    }
  } finally {
    await closeGateway?.();
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(workdir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
