/**
 * Makes the dashboard screenshot in the README (docs/img/dashboard.png): three real
 * mlx_lm.server nodes on loopback, the gateway with its monitor, a team of agents whose answers a
 * scripted judge rates (the reviewer's work is good on the large model only), one node killed two
 * thirds of the way through, and Debian's chromium (playwright-core) watching /ui.
 *
 *   npm run -s build && npx tsx scripts/dashboard-screenshot.ts [out.png] [--seconds 40]
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import {
  BrokeConfigSchema,
  ClusterMonitor,
  ClusterState,
  Router,
  startGateway,
} from '../packages/core/src/index.js';
import { type MlxNode, startMlxNode } from '../testbed/index.js';

const args = process.argv.slice(2);
const out = resolve(args.find((a) => a.endsWith('.png')) ?? 'docs/img/dashboard.png');
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 40) || 40;

const NODES = [
  { id: 'studio', model: 'mini', tier: 'large' },
  { id: 'mini', model: 'tiny', tier: 'small' },
  { id: 'air', model: 'tiny', tier: 'small' },
] as const;

const AGENTS = [
  {
    role: 'researcher',
    team: 'newsroom',
    prompt: 'Find three sources on distributed consensus and compare them.',
  },
  { role: 'writer', team: 'newsroom', prompt: 'Summarize the findings in two sentences.' },
  {
    role: 'code_reviewer',
    team: 'platform',
    prompt: 'Review this diff for bugs: def add(a, b): return a - b',
  },
  { role: 'chat', team: 'platform', prompt: 'hello, how are you?' },
];

/** The scripted judge: review work is good on the large model only; the rest is fine anywhere. */
function judge(role: string, node: string): number {
  const noise = (Math.random() - 0.5) * 0.2;
  if (role === 'code_reviewer') return Math.min(1, Math.max(0, (node === 'studio' ? 0.9 : 0.15) + noise));
  return Math.min(1, Math.max(0, 0.75 + noise));
}

const nodes: MlxNode[] = await Promise.all(NODES.map((n) => startMlxNode({ model: n.model })));
const config = BrokeConfigSchema.parse({
  nodes: NODES.map((n, i) => ({
    id: n.id,
    url: nodes[i]?.url,
    kind: 'mlx',
    models: [{ id: `${n.model}-${n.id}` }],
    maxConcurrency: 4,
  })),
  models: NODES.map((n) => ({ id: `${n.model}-${n.id}`, tier: n.tier, contextLength: 4096 })),
  routing: { explorationRate: 0.15, seed: 5 },
  monitor: { intervalMs: 500, timeoutMs: 1000, downAfter: 2, upAfter: 1 },
  store: { kind: 'memory' },
});
const cluster = new ClusterState(config.nodes);
const router = new Router({ config, cluster });
const gateway = await startGateway({
  config,
  router,
  cluster,
  port: 0,
  bridges: [],
  dashboard: { learningEveryMs: 1000 },
});
const monitor = new ClusterMonitor({ nodes: config.nodes, monitor: config.monitor, state: cluster });
await monitor.pollOnce();
monitor.start();
const browser = await chromium.launch({ executablePath: process.env.BROKE_CHROMIUM ?? '/usr/bin/chromium' });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${gateway.url}/ui`);
  await page.locator('#conn[data-state="live"]').waitFor();
  const end = Date.now() + seconds * 1000;
  let killed = false;
  for (let round = 0; Date.now() < end; round++) {
    if (!killed && Date.now() > end - (seconds * 1000) / 3) {
      nodes[2]?.kill('SIGKILL');
      killed = true;
    }
    await Promise.all(
      AGENTS.map(async (a) => {
        const res = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-broke-role': a.role,
            'x-broke-team': a.team,
            'x-broke-session': `${a.team}-${Math.floor(round / 5)}`,
          },
          body: JSON.stringify({
            model: 'broke-auto',
            max_tokens: 24,
            messages: [{ role: 'user', content: a.prompt }],
          }),
        });
        await res.text();
        const node = res.headers.get('x-broke-node');
        const route = res.headers.get('x-broke-route-id');
        if (res.ok && node && route && round % 2 === 0)
          await fetch(`${gateway.url}/v1/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ route_id: route, score: judge(a.role, node) }),
          });
      }),
    );
  }
  await page.locator('.node[data-node="air"][data-state="down"]').waitFor({ timeout: 20_000 });
  await page.locator('#quality-role').selectOption('code_reviewer');
  await new Promise((r) => setTimeout(r, 1500));
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await monitor.stop();
  await gateway.close();
  await Promise.all(nodes.map((n) => n.stop()));
}
