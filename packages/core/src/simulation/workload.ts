import { type DifficultyClass, type TaskKind, userPrompt } from './prompts.js';
import { hashString, Rng } from './random.js';

export type { DifficultyClass, TaskKind } from './prompts.js';

/**
 * An agent-team workload: who asks what, how hard it really is, how long the answer is, and in
 * what order. Closed loop: each agent sends its next request only after the previous answer came
 * back and it "thought" for a while, so a slower cluster also gets fewer requests per second —
 * the way agent teams behave, unlike an open-loop load generator.
 *
 * Hidden fields (`difficultyClass`, `difficulty`, `outputTokens`) are for the harness, the
 * emulated nodes and the judge only; a router under test sees the messages and the headers.
 */

export type AgentRole = 'researcher' | 'writer' | 'code_reviewer' | 'architect' | 'support' | 'data_analyst';

export const ROLES: readonly AgentRole[] = [
  'researcher',
  'writer',
  'code_reviewer',
  'architect',
  'support',
  'data_analyst',
];

interface RoleMix {
  tasks: Partial<Record<TaskKind, number>>;
  difficulty: Record<DifficultyClass, number>;
  systems: readonly string[];
}

/**
 * What each role asks for. Averaged over the six roles the difficulty classes come out about a
 * third each; individual roles are skewed the way real teams are (support is mostly easy chat,
 * architects mostly hard design).
 */
const ROLE_MIX: Record<AgentRole, RoleMix> = {
  researcher: {
    tasks: { reasoning: 0.35, summarization: 0.35, extraction: 0.15, chat: 0.15 },
    difficulty: { easy: 0.3, medium: 0.4, hard: 0.3 },
    systems: [
      'You are a research assistant. Read carefully, cite what the text says, and say when the evidence is thin.',
      'You are a researcher on a product team. Be precise and skeptical; separate findings from speculation.',
    ],
  },
  writer: {
    tasks: { creative: 0.45, summarization: 0.25, chat: 0.2, extraction: 0.1 },
    difficulty: { easy: 0.45, medium: 0.4, hard: 0.15 },
    systems: [
      'You are a writer for a software company. Clear, concrete, no buzzwords.',
      'You are a copywriter. Match the requested tone and length exactly.',
    ],
  },
  code_reviewer: {
    tasks: { code: 0.7, reasoning: 0.2, chat: 0.1 },
    difficulty: { easy: 0.15, medium: 0.35, hard: 0.5 },
    systems: [
      'You are a senior code reviewer. Point out bugs first, then risks, then style. Be specific about lines.',
      'You are a code reviewer on the platform team. Prefer small, safe changes and explain why.',
    ],
  },
  architect: {
    tasks: { reasoning: 0.45, code: 0.35, summarization: 0.1, math: 0.1 },
    difficulty: { easy: 0.1, medium: 0.35, hard: 0.55 },
    systems: [
      'You are a software architect. Reason about trade-offs, failure modes and cost; state assumptions.',
      'You are a planner for an engineering team. Break problems down and make the plan checkable.',
    ],
  },
  support: {
    tasks: { chat: 0.6, extraction: 0.2, summarization: 0.1, creative: 0.1 },
    difficulty: { easy: 0.7, medium: 0.25, hard: 0.05 },
    systems: [
      'You are a friendly customer support agent. Be brief, kind and accurate; never invent policy.',
      'You are a support chat assistant for a SaaS product.',
    ],
  },
  data_analyst: {
    tasks: { math: 0.4, extraction: 0.3, reasoning: 0.2, code: 0.1 },
    difficulty: { easy: 0.3, medium: 0.4, hard: 0.3 },
    systems: [
      'You are a data analyst. Show your working and check your numbers.',
      'You are an analytics engineer. Be exact; say which assumptions a result depends on.',
    ],
  },
};

/**
 * Answer length in tokens per task kind and difficulty class, [min, max] (uniform). A property of
 * the request, never of the node that answers it: every node produces the same length for the same
 * request, so only speed and quality differ between nodes.
 */
const OUTPUT_TOKENS: Record<TaskKind, Record<DifficultyClass, readonly [number, number]>> = {
  chat: { easy: [12, 60], medium: [80, 180], hard: [250, 450] },
  code: { easy: [40, 140], medium: [200, 450], hard: [450, 900] },
  reasoning: { easy: [40, 140], medium: [220, 420], hard: [450, 850] },
  summarization: { easy: [20, 50], medium: [100, 220], hard: [250, 450] },
  extraction: { easy: [8, 30], medium: [60, 140], hard: [250, 500] },
  creative: { easy: [10, 60], medium: [180, 320], hard: [600, 1000] },
  math: { easy: [5, 40], medium: [150, 300], hard: [450, 850] },
};

/** Hidden difficulty 0..1 within each class. */
const DIFFICULTY_RANGE: Record<DifficultyClass, readonly [number, number]> = {
  easy: [0.02, 1 / 3],
  medium: [1 / 3, 2 / 3],
  hard: [2 / 3, 0.98],
};

const TEAM_NAMES = ['platform', 'growth', 'research', 'support-ops', 'payments', 'data', 'mobile', 'infra'];

export interface Agent {
  id: string;
  team: string;
  role: AgentRole;
  /** Session id the agent sends (`X-Broke-Session`). */
  session: string;
}

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface WorkloadRequest {
  /** Unique within a workload (`<prefix>r0042`). */
  id: string;
  agentId: string;
  team: string;
  role: AgentRole;
  session: string;
  /** Position in the agent's own sequence, from 0. */
  turn: number;
  messages: ChatMessage[];
  taskType: TaskKind;
  difficultyClass: DifficultyClass;
  /** Hidden difficulty 0..1. */
  difficulty: number;
  /** Prompt size in tokens (the service-time rule's prefill input). */
  promptTokens: number;
  /** Hidden answer length in tokens. */
  outputTokens: number;
  /** The agent's think time after this answer, before its next request (ms). */
  thinkMs: number;
}

export interface WorkloadOptions {
  seed: number;
  teams?: number;
  agentsPerTeam?: number;
  requests?: number;
  /** Mean think time between an answer and the agent's next request, ms (±50% jitter). */
  thinkMs?: number;
  /** Prefix for request ids (two workloads in one run — warm-up and measured — stay distinct). */
  idPrefix?: string;
}

export interface Workload {
  seed: number;
  agents: Agent[];
  /** All requests, ordered by (turn, agent). */
  requests: WorkloadRequest[];
  /** Each agent's requests in the order it sends them. */
  byAgent: Record<string, WorkloadRequest[]>;
}

/** Prompt size in tokens: ≈ 4 characters a token (English and code); one rule for every node. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The text a request is recognised by: its last user message (what any gateway passes on unchanged). */
export function promptKey(messages: ReadonlyArray<{ role: string; content: unknown }>): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user') return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  }
  return '';
}

/** Stable short key of a prompt, for length tables shared between processes. */
export function promptHash(text: string): string {
  return `${hashString(text).toString(36)}-${text.length.toString(36)}`;
}

/**
 * Answer length for a prompt that is not part of any workload (a gateway's health probe, a
 * hand-typed request): short, and still a function of the text alone.
 */
export function fallbackOutputTokens(text: string): number {
  return 8 + (hashString(text) % 41);
}

/** Answer length for a request of `kind` and class `d`, drawn from `rng`. */
export function drawOutputTokens(rng: Rng, kind: TaskKind, d: DifficultyClass): number {
  const [lo, hi] = OUTPUT_TOKENS[kind][d];
  return rng.int(lo, hi);
}

export function generateWorkload(options: WorkloadOptions): Workload {
  const teams = options.teams ?? 4;
  const perTeam = options.agentsPerTeam ?? 5;
  const total = options.requests ?? 300;
  const thinkMs = options.thinkMs ?? 200;
  const prefix = options.idPrefix ?? '';
  if (teams < 1 || perTeam < 1 || total < 0)
    throw new Error('teams and agentsPerTeam must be ≥ 1, requests ≥ 0');

  // Roles rotate across teams, so each team has a different mix and every role appears.
  const agents: Agent[] = [];
  for (let t = 0; t < teams; t++) {
    const team = TEAM_NAMES[t] ?? `team-${t + 1}`;
    for (let a = 0; a < perTeam; a++) {
      const role = ROLES[(t + a) % ROLES.length] as AgentRole;
      const id = `${team}.${role}.${a + 1}`;
      agents.push({ id, team, role, session: `${team}-${a + 1}-s${options.seed}` });
    }
  }

  const byAgent: Record<string, WorkloadRequest[]> = Object.fromEntries(agents.map((a) => [a.id, []]));
  const requests: WorkloadRequest[] = [];
  // Same text → same answer length (the nodes only see the text): short chat turns do repeat.
  const lengthOf = new Map<string, number>();
  for (let i = 0; i < total; i++) {
    const agent = agents[i % agents.length] as Agent;
    const turn = Math.floor(i / agents.length);
    // One stream per request: the n-th request is the same whatever the total count.
    const rng = Rng.derive(options.seed, 'request', i);
    const mix = ROLE_MIX[agent.role];
    const taskType = rng.weighted(mix.tasks as Record<TaskKind, number>);
    const difficultyClass = rng.weighted(mix.difficulty);
    const [dLo, dHi] = DIFFICULTY_RANGE[difficultyClass];
    const difficulty = rng.range(dLo, dHi);
    const system = `${rng.pick(mix.systems)} You work on the ${agent.team} team.`;
    const user = userPrompt(rng, taskType, difficultyClass);
    const messages: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ];
    const key = promptHash(user);
    const outputTokens =
      lengthOf.get(key) ?? drawOutputTokens(Rng.derive(0, 'length', key), taskType, difficultyClass);
    lengthOf.set(key, outputTokens);
    const request: WorkloadRequest = {
      id: `${prefix}r${String(i).padStart(4, '0')}`,
      agentId: agent.id,
      team: agent.team,
      role: agent.role,
      session: agent.session,
      turn,
      messages,
      taskType,
      difficultyClass,
      difficulty,
      promptTokens: estimateTokens(system) + estimateTokens(user),
      outputTokens,
      thinkMs: Math.round(thinkMs * rng.range(0.5, 1.5)),
    };
    requests.push(request);
    (byAgent[agent.id] as WorkloadRequest[]).push(request);
  }
  return { seed: options.seed, agents, requests, byAgent };
}

/**
 * The length table emulated nodes answer from: prompt hash → output tokens. Lengths are drawn from
 * the text itself, so a text that recurs gets the same length; the rare text that two task kinds
 * share ("what is idempotency?" as chat and as a question) keeps the first one's length.
 */
export function outputTable(...workloads: Workload[]): Record<string, number> {
  const table: Record<string, number> = {};
  for (const w of workloads)
    for (const r of w.requests) {
      const key = promptHash(promptKey(r.messages));
      if (!(key in table)) table[key] = r.outputTokens;
    }
  return table;
}
