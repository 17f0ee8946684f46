import { ClusterState } from '../cluster/cluster-state.js';
import type { Objective } from '../config/schema.js';
import type { BrokeError } from '../errors.js';
import { Router } from '../routing/router.js';
import { clusterConfig } from './cluster-config.js';
import { EventQueue } from './event-queue.js';
import type { HardwareProfile } from './hardware.js';
import { judge as makeJudge } from './oracle.js';
import type { BaselinePolicy, NodeView } from './policies.js';
import { NodeQueue, type ServiceTime } from './service-time.js';
import type { Workload, WorkloadRequest } from './workload.js';

/** BROKE's router under one of its profiles, or a baseline policy. */
export type SimPolicy =
  | {
      kind: 'broke';
      /** `broke-auto`, `broke-quality`, … or a profile defined in `profiles`. */
      model: string;
      seed?: number;
      /** Objective overrides per profile (routing.profiles), e.g. to trace a frontier. */
      profiles?: Readonly<Record<string, Partial<Objective>>>;
      /** Model sizes left out of the config: the router starts knowing nothing about quality. */
      untagged?: boolean;
      /** Filters and factors turned off (routing.disabled), e.g. to compare with and without one. */
      disabled?: readonly string[];
      /** routing.teamSlack (off by default). */
      teamSlack?: boolean;
    }
  | { kind: 'baseline'; policy: BaselinePolicy };

export interface SwapPlan {
  /** Model id that gets much worse (same name and speed) … */
  modelId: string;
  /** … after this many judged requests of the measured phase. */
  afterJudged: number;
}

export interface SimulationOptions {
  profiles: readonly HardwareProfile[];
  policy: SimPolicy;
  /** Measured workload; `warmup` runs before it (judged, fed back, not measured). */
  workload: Workload;
  warmup?: Workload;
  judgeSeed: number;
  swap?: SwapPlan;
  /** Virtual wait before an agent retries a request answered 429 (s). */
  retrySec?: number;
  /**
   * Teams work in steps, as a crew runs parallel tasks: every agent of a team sends its next
   * request only when all of the team's current ones are answered, and the team's requests share
   * one session (the run). Default: each agent on its own.
   */
  lockstep?: boolean;
}

/** One measured request as it went. */
export interface SimRecord {
  requestId: string;
  role: string;
  difficultyClass: WorkloadRequest['difficultyClass'];
  nodeId: string;
  modelId: string;
  /** Seconds from the agent sending it to the last token (queueing included). */
  latencySec: number;
  quality: number;
  /** Judged requests of the measured phase before this one was judged (its position in time). */
  judgedIndex: number;
  /** Judged requests of the measured phase when this one was routed (what the router knew then). */
  routedAtJudged: number;
  /** The model was the weakened one when it served this. */
  weakened: boolean;
}

export interface SimulationResult {
  policy: string;
  makespanSec: number;
  records: SimRecord[];
  /** 429s (BROKE answered saturated; the agent retried). */
  rejected: number;
  /** Judged requests of the warm-up. */
  warmupJudged: number;
  /** Outcomes and feedback the router could not take (their route was already forgotten). */
  lostFeedback: number;
}

interface Job {
  request: WorkloadRequest;
  /** Position in its agent's own sequence. */
  index: number;
  /** Judged requests of the measured phase when it was routed. */
  routedAtJudged: number;
  node: number;
  routeId: string | undefined;
  sentAt: number;
  measured: boolean;
}

type Event =
  | { kind: 'send'; agentId: string; index: number; measured: boolean }
  | { kind: 'done'; job: Job; time: ServiceTime };

/**
 * The discrete-event simulator: the same workload, node model (service-time.ts) and judge as
 * the wall-clock emulation, in virtual time with no sockets, through the real router code
 * (Router with a virtual clock, ClusterState updated as the gateway would). Agents are closed
 * loops: each sends its next request after its answer and its think time. Requests wait for a
 * slot on the chosen node, as in the gateway's queue.
 */
export function simulate(options: SimulationOptions): SimulationResult {
  const { profiles } = options;
  const queues = profiles.map((p) => new NodeQueue<Job>(p));
  const recent = profiles.map(() => Number.NaN);
  const nodeIndex = new Map(profiles.map((p, i) => [p.id, i]));
  const judge = makeJudge(options.judgeSeed);
  const retrySec = options.retrySec ?? 0.2;
  let now = 0;

  const broke = options.policy.kind === 'broke' ? options.policy : undefined;
  const config = clusterConfig(profiles, {
    seed: broke?.seed ?? 1,
    ...(broke?.profiles ? { profiles: broke.profiles } : {}),
    ...(broke?.untagged ? { untagged: true } : {}),
    ...(broke?.disabled ? { disabled: broke.disabled } : {}),
    ...(broke?.teamSlack !== undefined ? { teamSlack: broke.teamSlack } : {}),
  });
  const cluster = new ClusterState(config.nodes);
  // Every agent may have a route in flight (plus retried ones): remember enough of them.
  const agents = options.workload.agents.length + (options.warmup?.agents.length ?? 0);
  const router =
    options.policy.kind === 'broke'
      ? new Router({
          config,
          cluster,
          now: () => now * 1000,
          explanationCapacity: Math.max(10_000, 4 * agents),
        })
      : undefined;
  const policyName = options.policy.kind === 'broke' ? options.policy.model : options.policy.policy.name;

  const events = new EventQueue<Event>();
  const records: SimRecord[] = [];
  let rejected = 0;
  let judgedMeasured = 0;
  let warmupJudged = 0;
  let measuredStart = 0;
  let lastDone = 0;
  let weakened = false;
  let lostFeedback = 0;
  // A route forgotten before its answer (far more agents than the router remembers routes).
  const lost = () => {
    lostFeedback++;
  };

  const mirror = (n: number) => {
    const q = queues[n] as NodeQueue<Job>;
    cluster.update((profiles[n] as HardwareProfile).id, { inFlight: q.active, waiting: q.queued });
  };
  const views = (): NodeView[] =>
    profiles.map((profile, i) => ({
      profile,
      active: (queues[i] as NodeQueue<Job>).active,
      queued: (queues[i] as NodeQueue<Job>).queued,
      recentLatencySec: recent[i] as number,
    }));

  const start = (n: number, started: ReturnType<NodeQueue<Job>['arrive']>) => {
    for (const s of started) events.push(now + s.time.totalSec, { kind: 'done', job: s.job, time: s.time });
    mirror(n);
  };

  // Lockstep: each team's agents and how many of the team's current requests are unanswered.
  const teamsOf = new Map<string, string[]>();
  const stepLeft = new Map<string, number>();
  const phase = (workload: Workload, measured: boolean) => {
    teamsOf.clear();
    stepLeft.clear();
    for (const agent of workload.agents)
      if ((workload.byAgent[agent.id]?.length ?? 0) > 0) {
        events.push(now, { kind: 'send', agentId: agent.id, index: 0, measured });
        teamsOf.set(agent.team, [...(teamsOf.get(agent.team) ?? []), agent.id]);
        stepLeft.set(agent.team, (stepLeft.get(agent.team) ?? 0) + 1);
      }
    const byAgent = workload.byAgent;
    while (events.size > 0) {
      const next = events.pop() as { at: number; event: Event };
      now = next.at;
      const event = next.event;
      if (event.kind === 'send') {
        const request = (byAgent[event.agentId] as WorkloadRequest[])[event.index] as WorkloadRequest;
        let node: number;
        let routeId: string | undefined;
        if (router) {
          try {
            const decision = router.route(
              { messages: request.messages, model: (options.policy as { model: string }).model },
              {
                role: request.role,
                team: request.team,
                sessionId: options.lockstep ? `${request.team}-run` : request.session,
              },
            );
            node = nodeIndex.get(decision.nodeId) as number;
            routeId = decision.routeId;
          } catch (err) {
            if ((err as BrokeError).status !== 429) throw err;
            rejected++;
            events.push(now + retrySec, event);
            continue;
          }
        } else node = (options.policy as { policy: BaselinePolicy }).policy.pick(request, views());
        const job: Job = {
          request,
          index: event.index,
          node,
          routeId,
          sentAt: now,
          measured: event.measured,
          routedAtJudged: judgedMeasured,
        };
        start(node, (queues[node] as NodeQueue<Job>).arrive(job, request));
        continue;
      }
      // A request finished: free its slot, learn, judge, and let its agent think.
      const { job, time } = event;
      const n = job.node;
      start(n, (queues[n] as NodeQueue<Job>).finish());
      const profile = profiles[n] as HardwareProfile;
      const latencySec = now - job.sentAt;
      recent[n] = Number.isNaN(recent[n] as number)
        ? latencySec
        : 0.8 * (recent[n] as number) + 0.2 * latencySec;
      const isWeak = weakened && profile.model.id === options.swap?.modelId;
      const score = judge({
        requestId: job.request.id,
        difficulty: job.request.difficulty,
        model: { id: profile.model.id, parameters: profile.model.parameters, weakened: isWeak },
      });
      if (router && job.routeId) {
        router
          .recordOutcome(job.routeId, {
            success: true,
            latencyMs: time.totalSec * 1000,
            ttftMs: time.ttftSec * 1000,
            tokens: job.request.outputTokens,
            promptTokens: job.request.promptTokens,
          })
          .catch(lost);
        router.feedback(job.routeId, { score }).catch(lost);
      }
      if (job.measured) {
        records.push({
          requestId: job.request.id,
          role: job.request.role,
          difficultyClass: job.request.difficultyClass,
          nodeId: profile.id,
          modelId: profile.model.id,
          latencySec,
          quality: score,
          judgedIndex: judgedMeasured,
          routedAtJudged: job.routedAtJudged,
          weakened: isWeak,
        });
        judgedMeasured++;
        lastDone = now;
        if (options.swap && !weakened && judgedMeasured >= options.swap.afterJudged) weakened = true;
      } else warmupJudged++;
      const following = job.index + 1;
      if (options.lockstep) {
        // The team's step ends with its last answer; then every agent of the team goes on.
        const team = job.request.team;
        const left = (stepLeft.get(team) ?? 1) - 1;
        stepLeft.set(team, left);
        if (left === 0) {
          const next = (teamsOf.get(team) ?? []).filter(
            (agentId) => following < (byAgent[agentId] as WorkloadRequest[]).length,
          );
          stepLeft.set(team, next.length);
          for (const agentId of next)
            events.push(now + job.request.thinkMs / 1000, {
              kind: 'send',
              agentId,
              index: following,
              measured: job.measured,
            });
        }
      } else if (following < (byAgent[job.request.agentId] as WorkloadRequest[]).length)
        events.push(now + job.request.thinkMs / 1000, {
          kind: 'send',
          agentId: job.request.agentId,
          index: following,
          measured: job.measured,
        });
    }
  };

  if (options.warmup) phase(options.warmup, false);
  measuredStart = now;
  phase(options.workload, true);
  return {
    policy: policyName,
    makespanSec: lastDone - measuredStart,
    records,
    rejected,
    warmupJudged,
    lostFeedback,
  };
}
