import { BoundedLru } from '../bounded-lru.js';
import type { NodeConfig } from '../config/schema.js';
import type { WarmupConfig } from '../config/warmup-schema.js';
import { RoleTransitions } from '../learning/role-transitions.js';
import type { NodeDriver } from '../spec/index.js';
import { HEADROOM } from './memory-headroom.js';
import type { ClusterView, NodeState } from './node-state.js';

/** Kinds that hold one model and load the one a request names, replacing it (mlx_lm.server). */
const SINGLE_MODEL = new Set(['mlx', 'mlx-knife']);
/** Kinds that load a named model beside the others while memory allows (Ollama, transformers serve). */
const MULTI_MODEL = new Set(['ollama', 'transformers']);
/** How often a planned warm-up looks again at a node that is busy. */
const CHECK_MS = 50;
/** Recent choices per team × role the predicted model is taken from. */
const RECENT_CHOICES = 20;
/** Planned warm-ups waiting at once (one per session at most); more are not planned. */
const MAX_PLANS = 1000;
/** Events kept for `recent()`. */
const RECENT_EVENTS = 100;

/** Why a warm-up is or is not sent now. `busy` is retried until the predicted turn; others are final. */
export type WarmUpVerdict =
  | { ok: true }
  | {
      ok: false;
      reason:
        | 'unlikely'
        | 'unsupported'
        | 'down'
        | 'warm'
        | 'unknown-warmth'
        | 'memory'
        | 'busy'
        | 'rate-limited';
      detail: string;
    };

export interface WarmUpInput {
  modelId: string;
  /** Probability of the predicted transition and how many transitions from the role were seen. */
  probability: number;
  seen: number;
  node: Pick<NodeConfig, 'kind' | 'memoryGb'> & { escalation?: unknown };
  state: NodeState | undefined;
  /** The model's memory need (GiB), when known. */
  memoryGb: number | undefined;
  /** Single-model kinds: the model the planner last sent the node (routes and warm-ups), if any. */
  resident: string | undefined;
  /** A warm-up is in flight on this node now. */
  warming: boolean;
  /** When the node's last warm-up was sent (ms; −Infinity: never). */
  lastWarmAt: number;
  now: number;
  config: Pick<WarmupConfig, 'minProbability' | 'minObservations' | 'minIntervalMs'>;
}

/**
 * Whether to warm `modelId` on a node now: the prediction is confident, the node can load it on
 * request, the model is cold, it fits (the memory-headroom filter's rule), loading it evicts
 * nothing in use (a single-model server must be idle), and the node's rate limit allows.
 */
export function warmUpVerdict(input: WarmUpInput): WarmUpVerdict {
  const { config, state, node, modelId } = input;
  if (input.seen < config.minObservations || input.probability < config.minProbability)
    return {
      ok: false,
      reason: 'unlikely',
      detail: `p=${input.probability.toFixed(2)} over ${input.seen} transitions`,
    };
  const single = SINGLE_MODEL.has(node.kind);
  if ((!single && !MULTI_MODEL.has(node.kind)) || node.escalation !== undefined)
    return {
      ok: false,
      reason: 'unsupported',
      detail: `a ${node.kind} node does not load models on request`,
    };
  if (!state?.up) return { ok: false, reason: 'down', detail: 'node down' };
  const loaded = state.loadedModels;
  if (single) {
    // mlx_lm.server lists only the model it started with, not the one it holds now.
    const resident = input.resident ?? (loaded?.length === 1 ? loaded[0] : undefined);
    if (resident === undefined)
      return { ok: false, reason: 'unknown-warmth', detail: 'loaded model unknown' };
    if (resident === modelId) return { ok: false, reason: 'warm', detail: 'already loaded' };
  } else {
    if (loaded === undefined) return { ok: false, reason: 'unknown-warmth', detail: 'loaded models unknown' };
    if (loaded.includes(modelId)) return { ok: false, reason: 'warm', detail: 'already loaded' };
  }
  const need = input.memoryGb;
  if (need !== undefined) {
    const total = state.memory?.totalGb ?? node.memoryGb;
    const free = state.memory?.freeGb;
    if (total !== undefined && need > total)
      return { ok: false, reason: 'memory', detail: `model needs ${need} GiB, node has ${total} GiB` };
    if (free !== undefined && free < need * HEADROOM)
      return { ok: false, reason: 'memory', detail: `model needs ${need} GiB, ${free} GiB free` };
    if (state.memory?.pressure === 'critical')
      return { ok: false, reason: 'memory', detail: 'memory pressure critical' };
  }
  if (input.warming) return { ok: false, reason: 'busy', detail: 'a warm-up is in flight on the node' };
  if (single && state.inFlight + state.waiting > 0)
    return { ok: false, reason: 'busy', detail: 'loading would evict the model in use' };
  if (input.now - input.lastWarmAt < config.minIntervalMs)
    return {
      ok: false,
      reason: 'rate-limited',
      detail: `last warm-up ${input.now - input.lastWarmAt} ms ago`,
    };
  return { ok: true };
}

/** What the planner did: a warm-up sent, finished, failed, or a prediction it did not act on. */
export interface WarmUpEvent {
  event: 'warmup_sent' | 'warmup_done' | 'warmup_failed' | 'warmup_skipped';
  at: number;
  nodeId: string;
  modelId: string;
  team: string;
  from: string;
  to: string;
  probability: number;
  /** Skipped: why; failed: the error. */
  reason?: string;
  /** Done or failed: how long the warm-up took. */
  ms?: number;
}

export interface WarmUpPlannerOptions {
  config: Pick<WarmupConfig, 'minProbability' | 'minObservations' | 'minIntervalMs' | 'timeoutMs'>;
  nodes: readonly NodeConfig[];
  models: readonly { id: string; memoryGb?: number | undefined }[];
  cluster: ClusterView;
  /** The node's driver: warm-ups are one-token generations through it. */
  driver: (nodeId: string) => NodeDriver | undefined;
  onEvent?: (e: WarmUpEvent) => void;
  now?: () => number;
}

interface Plan {
  team: string;
  from: string;
  to: string;
  probability: number;
  seen: number;
  nodeId: string;
  modelId: string;
  deadline: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** What the planner reads of a routing decision (a RouteExplanation has it). */
export interface ObservedRoute {
  chosen: { nodeId: string; modelId: string };
  context: { role?: string | undefined; team?: string | undefined; sessionId?: string | undefined };
}

/**
 * Predictive warm-up: fed every routing decision (the router's onDecision), it learns each team's
 * role transitions and the model each team × role is usually given; after a route it predicts
 * the session's next role and, while the verdict allows, sends that model's node a one-token
 * generation before the turn arrives. Warm-ups go straight to the driver: they are not routes and
 * teach the router nothing.
 */
export class WarmUpPlanner {
  private readonly transitions = new RoleTransitions();
  /** Latest (node, model) choices per team × role, newest last. */
  private readonly choices = new BoundedLru<string, Array<{ nodeId: string; modelId: string }>>(4096);
  /** Single-model nodes: the model last sent to each (by a route or a warm-up). */
  private readonly resident = new Map<string, string>();
  private readonly warming = new Map<string, AbortController>();
  private readonly lastWarmAt = new Map<string, number>();
  private readonly plans = new Map<string, Plan>();
  private readonly nodes: Map<string, NodeConfig>;
  private readonly memory: Map<string, number | undefined>;
  private readonly events: WarmUpEvent[] = [];
  private readonly now: () => number;
  private closed = false;
  readonly counts = { sent: 0, done: 0, failed: 0, skipped: 0 };

  constructor(private readonly options: WarmUpPlannerOptions) {
    this.nodes = new Map(options.nodes.map((n) => [n.id, n]));
    this.memory = new Map(options.models.map((m) => [m.id, m.memoryGb]));
    this.now = options.now ?? Date.now;
  }

  /** One routing decision (the router's onDecision hook). */
  observe(e: ObservedRoute): void {
    if (this.closed) return;
    const now = this.now();
    const { nodeId, modelId } = e.chosen;
    if (SINGLE_MODEL.has(this.nodes.get(nodeId)?.kind ?? '')) this.resident.set(nodeId, modelId);
    const role = e.context.role?.toLowerCase();
    if (role === undefined) return;
    const team = e.context.team?.toLowerCase() ?? '*';
    const session = e.context.sessionId;
    const key = `${team}\u0001${session ?? ''}`;
    // This turn arrived: whatever was planned for it is moot now.
    this.cancel(key);
    const recent = this.choices.get(`${team}\u0001${role}`) ?? [];
    recent.push({ nodeId, modelId });
    if (recent.length > RECENT_CHOICES) recent.shift();
    this.choices.set(`${team}\u0001${role}`, recent);
    this.transitions.observe(team, role, session, now);

    const next = this.transitions.next(team, role)[0];
    if (!next) return;
    const target = mostChosen(this.choices.peek(`${team}\u0001${next.to}`));
    if (!target || this.plans.size >= MAX_PLANS) return;
    const plan: Plan = {
      team,
      from: role,
      to: next.to,
      probability: next.probability,
      seen: this.transitions.seen(team, role),
      ...target,
      // A turn later than twice the usual gap is not coming soon; stop waiting for the node.
      deadline: now + Math.max(2 * next.meanGapMs, 1000),
      timer: undefined,
    };
    // Not at once: the decision's own request has not reached its node yet.
    plan.timer = setTimeout(() => this.check(key, plan), CHECK_MS);
    this.plans.set(key, plan);
  }

  /** The last events (newest last), for tests and status. */
  recent(): readonly WarmUpEvent[] {
    return this.events;
  }

  /** Stops planning and aborts warm-ups in flight. */
  close(): void {
    this.closed = true;
    for (const key of [...this.plans.keys()]) this.cancel(key);
    for (const controller of this.warming.values()) controller.abort();
  }

  private cancel(key: string): void {
    const plan = this.plans.get(key);
    if (!plan) return;
    clearTimeout(plan.timer);
    this.plans.delete(key);
  }

  private check(key: string, plan: Plan): void {
    if (this.plans.get(key) !== plan) return;
    const now = this.now();
    const node = this.nodes.get(plan.nodeId);
    const verdict = node
      ? warmUpVerdict({
          modelId: plan.modelId,
          probability: plan.probability,
          seen: plan.seen,
          node,
          state: this.options.cluster.node(plan.nodeId),
          memoryGb: this.memory.get(plan.modelId),
          resident: this.resident.get(plan.nodeId),
          warming: this.warming.has(plan.nodeId),
          lastWarmAt: this.lastWarmAt.get(plan.nodeId) ?? Number.NEGATIVE_INFINITY,
          now,
          config: this.options.config,
        })
      : ({ ok: false, reason: 'down', detail: 'node not configured' } as const);
    if (!verdict.ok && verdict.reason === 'busy' && now + CHECK_MS < plan.deadline) {
      plan.timer = setTimeout(() => this.check(key, plan), CHECK_MS);
      return;
    }
    this.plans.delete(key);
    if (verdict.ok) {
      this.send(plan);
      return;
    }
    // Confident predictions only: an unlikely or already-warm turn is the common, quiet case.
    if (verdict.reason === 'unlikely' || verdict.reason === 'warm') return;
    this.counts.skipped += 1;
    this.emit(plan, 'warmup_skipped', { reason: `${verdict.reason}: ${verdict.detail}` });
  }

  private send(plan: Plan): void {
    const driver = this.options.driver(plan.nodeId);
    if (!driver) return;
    const controller = new AbortController();
    const started = this.now();
    this.warming.set(plan.nodeId, controller);
    this.lastWarmAt.set(plan.nodeId, started);
    if (SINGLE_MODEL.has(this.nodes.get(plan.nodeId)?.kind ?? ''))
      this.resident.set(plan.nodeId, plan.modelId);
    this.counts.sent += 1;
    this.emit(plan, 'warmup_sent', {});
    driver
      .chat(
        { model: plan.modelId, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 },
        { signal: controller.signal, timeoutMs: this.options.config.timeoutMs },
      )
      .then(
        () => {
          this.counts.done += 1;
          this.emit(plan, 'warmup_done', { ms: this.now() - started });
        },
        (err: unknown) => {
          // What the node holds now is unknown.
          if (this.resident.get(plan.nodeId) === plan.modelId) this.resident.delete(plan.nodeId);
          this.counts.failed += 1;
          this.emit(plan, 'warmup_failed', { ms: this.now() - started, reason: (err as Error).message });
        },
      )
      .finally(() => {
        if (this.warming.get(plan.nodeId) === controller) this.warming.delete(plan.nodeId);
      });
  }

  private emit(plan: Plan, event: WarmUpEvent['event'], extra: { reason?: string; ms?: number }): void {
    const e: WarmUpEvent = {
      event,
      at: this.now(),
      nodeId: plan.nodeId,
      modelId: plan.modelId,
      team: plan.team,
      from: plan.from,
      to: plan.to,
      probability: plan.probability,
      ...extra,
    };
    this.events.push(e);
    if (this.events.length > RECENT_EVENTS) this.events.shift();
    this.options.onEvent?.(e);
  }
}

/** The (node, model) chosen most often among recent choices (the newest wins a tie). */
function mostChosen(
  recent: readonly { nodeId: string; modelId: string }[] | undefined,
): { nodeId: string; modelId: string } | undefined {
  if (!recent?.length) return undefined;
  const counts = new Map<string, number>();
  let best: { nodeId: string; modelId: string } | undefined;
  let bestCount = 0;
  for (const choice of recent) {
    const k = `${choice.nodeId}\u0001${choice.modelId}`;
    const c = (counts.get(k) ?? 0) + 1;
    counts.set(k, c);
    if (c >= bestCount) {
      best = choice;
      bestCount = c;
    }
  }
  return best && { nodeId: best.nodeId, modelId: best.modelId };
}
