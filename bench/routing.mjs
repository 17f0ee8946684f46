// Routing-decision benchmark. Run after `npm run build`:
//   node --expose-gc bench/routing.mjs
// Writes bench/results/routing.md (p50/p99 per decision by cluster size, memory per 1M outcomes).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { analyzePrompt, BrokeConfigSchema, ClusterState, Router } from '@broke/core';

const PROMPTS = [
  'Hi! How are you today?',
  'Write a Python function that parses an ISO date and returns the weekday, with unit tests.',
  'Prove that there are infinitely many primes of the form 4k + 3. Give a rigorous proof.',
  'Summarize the key points of this email thread for my manager: the vendor slips two weeks because of a chip shortage; finance approves air freight for 50 units.',
  'Translate this customer email into German, keeping a polite, formal tone: I ordered a jacket two weeks ago and it has not arrived.',
  'Extract the names, companies and job titles from this paragraph and return JSON.',
];
const ROLES = ['planner', 'coder', 'code_reviewer', 'researcher', 'writer'];
const TIERS = ['small', 'medium', 'large'];

/** Deterministic pseudo-random numbers so runs are comparable. */
function lcg(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function buildCluster(nodeCount, modelCount) {
  const random = lcg(nodeCount * 31 + modelCount);
  const models = Array.from({ length: modelCount }, (_, m) => ({
    id: `model-${m}`,
    tier: TIERS[m % 3],
    contextLength: 32768,
    capabilities: ['streaming', 'json', 'tools'],
    memoryGb: 4 + m * 4,
  }));
  const config = BrokeConfigSchema.parse({
    nodes: Array.from({ length: nodeCount }, (_, n) => ({
      id: `node-${n}`,
      url: `http://10.${(n >> 8) & 255}.${n & 255}.1:8080`,
      models: models.map((model) => ({ id: model.id })),
      maxConcurrency: 8,
      memoryGb: 128,
    })),
    models,
    routing: {
      explorationRate: 0.1,
      roleRules: [{ role: 'code_reviewer', prefer: ['large'], avoid: ['small'] }],
    },
    store: { kind: 'memory' },
  });
  const cluster = new ClusterState(config.nodes);
  for (const node of config.nodes) {
    cluster.update(node.id, {
      inFlight: Math.floor(random() * 8),
      queued: 0,
      loadedModels: models.filter(() => random() < 0.5).map((model) => model.id),
      memory: { totalGb: 128, freeGb: 40 + random() * 80 },
    });
    for (const model of models) {
      cluster.seedPerf(node.id, model.id, {
        ttftMs: 100 + random() * 900,
        decodeTokensPerSec: 10 + random() * 90,
      });
    }
  }
  return { config, cluster };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function benchDecisions(nodeCount, modelCount, decisions) {
  const { config, cluster } = buildCluster(nodeCount, modelCount);
  const router = new Router({ config, cluster, seed: 42 });
  const requests = PROMPTS.map((content) => ({ messages: [{ role: 'user', content }], maxTokens: 512 }));
  const contexts = ROLES.map((role, i) => ({ role, team: 'bench', sessionId: `s-${i}` }));
  const run = (i) => router.route(requests[i % requests.length], contexts[i % contexts.length]);
  for (let i = 0; i < Math.min(5000, decisions); i++) run(i); // warm up the JIT
  const samples = new Float64Array(decisions);
  for (let i = 0; i < decisions; i++) {
    const start = process.hrtime.bigint();
    run(i);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  samples.sort();
  // Same again with a forced GC between batches of 500 (outside the timing): the difference to
  // the plain p99 is what collections cost the tail (needs --expose-gc).
  let p99NoGc = Number.NaN;
  if (globalThis.gc) {
    const quiet = new Float64Array(decisions);
    for (let i = 0; i < decisions; i++) {
      if (i % 500 === 0) globalThis.gc();
      const start = process.hrtime.bigint();
      run(i);
      quiet[i] = Number(process.hrtime.bigint() - start) / 1000;
    }
    quiet.sort();
    p99NoGc = percentile(quiet, 99);
  }
  return {
    label: `${nodeCount} nodes × ${modelCount} models`,
    candidates: nodeCount * modelCount,
    decisions,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    p99NoGc,
    max: samples[samples.length - 1],
  };
}

function heapMb() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

async function benchOutcomeMemory(outcomes) {
  const { config, cluster } = buildCluster(4, 4);
  const router = new Router({ config, cluster, seed: 1 });
  const request = { messages: [{ role: 'user', content: PROMPTS[1] }], maxTokens: 256 };
  // Warm up to the steady state: the explanation LRU (10k routes) full.
  for (let i = 0; i < 20_000; i++) router.route(request, { role: ROLES[i % 5], team: `team-${i % 3}` });
  const before = heapMb();
  const start = process.hrtime.bigint();
  for (let i = 0; i < outcomes; i++) {
    const decision = router.route(request, { role: ROLES[i % 5], team: `team-${i % 3}` });
    router.recordOutcome(decision.routeId, {
      success: i % 7 !== 0,
      latencyMs: 900,
      ttftMs: 150,
      tokens: 120,
    });
    if (i % 50_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const after = heapMb();
  return { outcomes, before, after, delta: after - before, keys: router.stats().length, seconds };
}

/**
 * Heap held per remembered route once the route memory (10 000 routes) is full: the compact
 * record (listing line, learning keys, who served) for all, the full explanation for the newest
 * `detailCapacity`. Measured for the default and for details kept on every route.
 */
async function benchRouteMemory(detailCapacity) {
  const { config, cluster } = buildCluster(4, 4);
  const capacity = 10_000;
  const router = new Router({ config, cluster, seed: 1, explanationCapacity: capacity, detailCapacity });
  const before = heapMb();
  for (let i = 0; i < 2 * capacity; i++) {
    const request = {
      messages: [{ role: 'user', content: PROMPTS[i % PROMPTS.length] }],
      maxTokens: 256,
      owner: 'k',
    };
    const decision = router.route(request, {
      role: ROLES[i % 5],
      team: `team-${i % 3}`,
      sessionId: `s-${i % 1000}`,
    });
    router.recordOutcome(decision.routeId, { success: true, latencyMs: 900, ttftMs: 150, tokens: 120 });
    if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const after = heapMb();
  // Read the router after measuring, or it is dead (and collected) before the measurement.
  const remembered = router.listRoutes({ limit: 1 }).data.length;
  return {
    detailCapacity,
    capacity,
    remembered,
    mib: after - before,
    perRoute: ((after - before) * 1048576) / capacity,
  };
}

/**
 * A CrewAI-shaped agent turn (~4 KB): the agent's role, goal and tool instructions as the system
 * prompt, its task as the user message, as CrewAI writes them; agent teams send prompts like this,
 * not one-liners, and prompt analysis reads all of it.
 */
const AGENT_MESSAGES = (() => {
  const tools = Array.from(
    { length: 3 },
    (_, i) =>
      `Tool Name: Search tool ${i}(**kwargs: Any) -> Any\nTool Description: Search tool ${i}(search_query: 'string') - A tool that can be used to search the internet with a search_query.\nTool Arguments: {'search_query': {'description': 'Mandatory search query you want to use', 'type': 'str'}}`,
  ).join('\n');
  const system = `You are Senior Research Analyst. You work at a leading tech think tank. Your expertise lies in identifying emerging trends. You have a knack for dissecting complex data and presenting actionable insights.\nYour personal goal is: Uncover cutting-edge developments in AI and data science\nYou ONLY have access to the following tools, and should NEVER make up tools that are not listed here:\n\n${tools}\n\nIMPORTANT: Use the following format in your response:\n\n\`\`\`\nThought: you should always think about what to do\nAction: the action to take, only one name of [Search tool 0, Search tool 1, Search tool 2], just the name, exactly as it's written.\nAction Input: the input to the action, just a simple JSON object, enclosed in curly braces, using " to wrap keys and values.\nObservation: the result of the action\n\`\`\`\n\nOnce all necessary information is gathered, return the following format:\n\n\`\`\`\nThought: I now know the final answer\nFinal Answer: the final answer to the original input question\n\`\`\``;
  const task = `\nCurrent Task: Conduct a comprehensive analysis of the latest advancements in AI in 2024. Identify key trends, breakthrough technologies, and potential industry impacts.\n\nThis is the expected criteria for your final answer: Full analysis report in bullet points\nyou MUST return the actual complete content as the final answer, not a summary.\n\nThis is the context you're working with:\n${'The previous research found that multimodal models, agent frameworks and small on-device models moved fastest this year; costs per token fell sharply while context windows grew. '.repeat(8)}\n\nBegin! This is VERY important to you, use the tools available and give your best Final Answer, your job depends on it!\n\nThought:`;
  // Parsed from JSON, as the gateway gets them (flat strings).
  return JSON.parse(
    JSON.stringify([
      { role: 'system', content: system },
      { role: 'user', content: task },
    ]),
  );
})();

/** µs per analyzePrompt call (median of 20 batches of 1 000, after a warm-up). */
function benchAnalysis(messages) {
  for (let i = 0; i < 5_000; i++) analyzePrompt(messages);
  const batches = [];
  for (let b = 0; b < 20; b++) {
    const t0 = performance.now();
    for (let i = 0; i < 1_000; i++) analyzePrompt(messages);
    batches.push(performance.now() - t0);
  }
  batches.sort((a, b) => a - b);
  return batches[10];
}

const quick = process.argv.includes('--quick'); // decisions only, nothing written
const startLoad = os.loadavg();
const results = process.env.ONLY
  ? [benchDecisions(...process.env.ONLY.split(',').map(Number))]
  : [benchDecisions(4, 4, 100_000), benchDecisions(64, 8, 20_000), benchDecisions(1000, 8, 5_000)];
if (quick) {
  for (const r of results)
    console.log(r.label, r.p50.toFixed(1), r.p99.toFixed(1), r.p99NoGc.toFixed(1), r.max.toFixed(1));
  process.exit(0);
}
const agentChars = AGENT_MESSAGES.reduce((n, m) => n + m.content.length, 0);
const analysis = [
  {
    label: 'one-line chat prompt',
    chars: PROMPTS[0].length,
    us: benchAnalysis([{ role: 'user', content: PROMPTS[0] }]),
  },
  {
    label: 'task prompt (the table above)',
    chars: PROMPTS[1].length,
    us: benchAnalysis([{ role: 'user', content: PROMPTS[1] }]),
  },
  { label: 'CrewAI-shaped agent turn', chars: agentChars, us: benchAnalysis(AGENT_MESSAGES) },
];
const memory = await benchOutcomeMemory(1_000_000);
const routeMemory = [await benchRouteMemory(1_000), await benchRouteMemory(10_000)];

const cpus = os.cpus();
const fmt = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${n.toFixed(1)} µs`);
const lines = [
  '# Routing decision benchmark',
  '',
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1073741824).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}`,
  `- Load average at start (1/5/15 min): ${startLoad.map((n) => n.toFixed(2)).join(' / ')} — the reference machine is shared, so numbers include contention`,
  `- Node ${process.version}; command: \`npm run build && node --expose-gc bench/routing.mjs\``,
  '- Each decision: prompt analysis, all filters, all 7 factors, the objective, explanation (lazy parts not rendered); 10% exploring routes.',
  '',
  '| Cluster | Candidates | Decisions | p50 | p99 | p99, GC between batches | max | Target p99 |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...results.map(
    (r) =>
      `| ${r.label} | ${r.candidates} | ${r.decisions} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${Number.isNaN(r.p99NoGc) ? 'n/a' : fmt(r.p99NoGc)} | ${fmt(r.max)} | ${r.candidates <= 16 ? '< 50 µs' : r.candidates >= 8000 ? '< 1 ms' : '–'} |`,
  ),
  '',
  'p50/p99/max: every decision timed after a 5 000-decision warm-up, GC included. "GC between batches": the',
  'same run again with a forced collection between batches of 500 decisions, outside the timing.',
  '',
  '## Prompt analysis per request (part of every decision above)',
  '',
  '| Prompt | Characters | µs per analysis (median of 20 × 1 000) |',
  '| --- | ---: | ---: |',
  ...analysis.map((a) => `| ${a.label} | ${a.chars.toLocaleString('en')} | ${a.us.toFixed(1)} |`),
  '',
  'Token estimate, task type and complexity read the whole prompt, so an agent turn costs what its text',
  'costs; the task cues run on the first 400 and last 300 characters of the task and of the system prompt.',
  '',
  '## Memory per 1M recorded outcomes (in-memory aggregates, no store)',
  '',
  '| Outcomes | Heap before | Heap after | Growth | Stat keys | Time (route + record) |',
  '| ---: | ---: | ---: | ---: | ---: | ---: |',
  `| ${memory.outcomes.toLocaleString('en')} | ${memory.before.toFixed(1)} MiB | ${memory.after.toFixed(1)} MiB | ${memory.delta.toFixed(1)} MiB | ${memory.keys} | ${memory.seconds.toFixed(1)} s |`,
  '',
  'Learned statistics are aggregates per (team, role, task type, model), so memory grows with the number of',
  'distinct keys, not with outcomes; route explanations are an LRU capped at 10 000 (already full before measuring).',
  '',
  '## Memory per remembered route (route memory full: 10 000 routes)',
  '',
  '| Full explanation kept for | Heap for 10 000 routes | Per route |',
  '| ---: | ---: | ---: |',
  ...routeMemory.map(
    (m) =>
      `| newest ${m.detailCapacity.toLocaleString('en')}${m.detailCapacity === 1000 ? ' (default)' : ''} | ${m.mib.toFixed(1)} MiB | ${Math.round(m.perRoute).toLocaleString('en')} B |`,
  ),
  '',
  'Every remembered route keeps its listing line, learning keys and who served it (feedback, outcomes,',
  '`GET /v1/routes`); only the newest `detailCapacity` also keep the decision (ranked candidates, every',
  "factor's term); older ones explain as a skeleton. Heap measured after a forced GC, router empty before.",
  globalThis.gc ? '' : '\n(run with --expose-gc for exact heap numbers)',
];
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/routing.md', import.meta.url), `${lines.join('\n').trimEnd()}\n`);
console.log(lines.join('\n'));
