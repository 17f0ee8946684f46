import type { ClusterState } from '../cluster/cluster-state.js';
import type { NodeConfig } from '../config/schema.js';
import { BrokeError, NodeError, NoRouteError } from '../errors.js';
import type { Candidate, RouteAttempt, RouteDecision } from '../routing/types.js';
import type { NodeDriver } from '../spec/index.js';
import { AbortLink } from './abort-link.js';
import type { ClientLink } from './client-link.js';
import { acquireSlot, COOLDOWN_MS, coolDown, type NodeSlot, tryAcquireSlot } from './node-slot.js';
import type { RouterLike } from './router-like.js';
import { classifyUpstreamError, type UpstreamFailure } from './upstream-error.js';

export interface DispatchDeps {
  cluster: ClusterState;
  router: RouterLike;
  driverFor(nodeId: string): NodeDriver | undefined;
  nodeConfig(nodeId: string): NodeConfig | undefined;
  maxAttempts: number;
  /** Slots and cooldowns shared with other gateway replicas (cluster/replica-state.ts). */
  shared?: SharedSlots;
}

/** What replicas sharing Redis agree on per node; without it, slots are this process's own. */
export interface SharedSlots {
  acquire(nodeId: string, maxWaitMs: number, signal?: AbortSignal): Promise<NodeSlot | undefined>;
  coolDown(nodeId: string, ms: number, reason?: string): void;
}

/** A request that reached a node and produced its first result; the caller finishes it. */
export interface DispatchStarted<T> {
  candidate: Candidate;
  value: T;
  /** Aborts the upstream call (client gone, or the caller gives up). */
  controller: AbortLink;
  /** Releases the node slot and the timeout; idempotent. */
  finish(): void;
  /** Time spent waiting for node slots (not the node's speed: left out of TTFT learning). */
  waitedMs: number;
}

/** Thrown when the client went away before a node answered: nobody is left to answer. */
export class ClientGoneError extends BrokeError {
  constructor() {
    super('client_closed', 'client closed the request', { status: 499 });
  }
}

/** Hears about each call to a node (tracing: observability/request-trace.ts). */
export interface AttemptWatcher {
  /** A call to this candidate starts; what it returns travels with the call. */
  attempt(candidate: Candidate): WatchedAttempt;
}

export interface WatchedAttempt {
  /** Headers sent to the node with this call (the attempt's W3C trace context). */
  readonly headers: Readonly<Record<string, string>>;
  /** The node produced its first result: the request goes on with this attempt. */
  answered(): void;
  failed(error: BrokeError): void;
}

const TIMEOUT = Symbol('node-timeout');
/** Abort reason when the monitor declared the node down while it held the request. */
const NODE_DOWN = Symbol('node-down');

/**
 * Tries the chosen candidate, then the fallbacks, until one produces a first result. A node that
 * fails before that is recorded (noteAttempt) and skipped; `start` must resolve only once the
 * node has really answered (for streams: the first chunk), so failover never duplicates output.
 */
export async function dispatchWithFailover<T>(
  deps: DispatchDeps,
  decision: RouteDecision,
  client: ClientLink,
  start: (
    driver: NodeDriver,
    candidate: Candidate,
    abort: AbortLink,
    headers: Readonly<Record<string, string>> | undefined,
  ) => Promise<T>,
  watcher?: AttemptWatcher,
): Promise<DispatchStarted<T>> {
  const attempts = Math.min(deps.maxAttempts, 1 + decision.fallbacks.length);
  let lastError: BrokeError | undefined;
  let saturated = 0;
  let waitedMs = 0;
  /** Attempts that ended without an answer, and the nodes among them that failed yet stay up. */
  let failed = 0;
  const upAfterFailure: string[] = [];
  /** Nodes that took the request and then stopped answering at all (crashed on it, it seems). */
  const downAfterSend: string[] = [];
  for (let a = 0; a < attempts; a++) {
    const candidate: Candidate = a === 0 ? decision : (decision.fallbacks[a - 1] as Candidate);
    if (client.gone) throw new ClientGoneError();
    const driver = deps.driverFor(candidate.nodeId);
    if (!driver) {
      failed += 1;
      lastError = new NoRouteError(`no driver for node ${candidate.nodeId}`);
      deps.router.noteAttempt(decision.routeId, attemptOf(candidate, false, 'no driver'));
      continue;
    }
    const timeoutMs = deps.nodeConfig(candidate.nodeId)?.requestTimeoutMs ?? 120_000;
    const waitStart = performance.now();
    let slot: NodeSlot | undefined = deps.shared ? undefined : tryAcquireSlot(deps.cluster, candidate.nodeId);
    if (!slot) {
      // The router chose this node knowing its queue (the wait is in its prediction): wait here
      // for a slot, until the node's request timeout, unless the queue is full or the client leaves.
      const leave = new AbortController();
      const unhookWait = client.onGone(() => leave.abort());
      const unhookDown = deps.cluster.onDown(candidate.nodeId, () => leave.abort());
      slot = await (deps.shared
        ? deps.shared.acquire(candidate.nodeId, timeoutMs, leave.signal)
        : acquireSlot(deps.cluster, candidate.nodeId, timeoutMs, leave.signal));
      unhookWait();
      unhookDown();
      if (client.gone) {
        slot?.release();
        throw new ClientGoneError();
      }
    }
    waitedMs += performance.now() - waitStart;
    if (!slot && deps.cluster.node(candidate.nodeId)?.up === false) {
      failed += 1;
      lastError = nodeDownError(candidate.nodeId);
      deps.router.noteAttempt(decision.routeId, attemptOf(candidate, false, lastError.message));
      continue;
    }
    if (!slot) {
      saturated += 1;
      deps.router.noteAttempt(decision.routeId, attemptOf(candidate, false, 'saturated'));
      continue;
    }
    const controller = new AbortLink();
    const held = slot;
    const unhook = client.onGone(() => controller.abort('client closed the request'));
    const unhookDown = deps.cluster.onDown(candidate.nodeId, () => controller.abort(NODE_DOWN));
    const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
    timer.unref?.();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unhook();
      unhookDown();
      held.release();
    };
    const watched = watcher?.attempt(candidate);
    try {
      const value = await start(driver, candidate, controller, watched?.headers);
      deps.router.noteAttempt(decision.routeId, attemptOf(candidate, true));
      watched?.answered();
      return { candidate, value, controller, finish, waitedMs };
    } catch (err) {
      finish();
      if (client.gone) {
        watched?.failed(new ClientGoneError());
        throw new ClientGoneError();
      }
      const failure = failureOf(candidate.nodeId, err, controller);
      watched?.failed(failure.error);
      deps.router.noteAttempt(decision.routeId, attemptOf(candidate, false, failure.error.message));
      failed += 1;
      if (failure.cooldown) {
        // A node that took the request, failed on it, and still answers its health check was
        // broken by this request (a value its server cannot handle), not down: no cooldown,
        // or one client could take every node out of rotation.
        if (failure.afterSend && (await stillUp(driver, timeoutMs))) upAfterFailure.push(candidate.nodeId);
        else {
          coolDown(deps.cluster, candidate.nodeId, COOLDOWN_MS, failure.error.message);
          deps.shared?.coolDown(candidate.nodeId, COOLDOWN_MS, failure.error.message);
          if (failure.afterSend) downAfterSend.push(candidate.nodeId);
        }
        if (client.gone) throw new ClientGoneError();
        // A second node gone right after taking the same request: the request is what kills them
        // (a value the server crashes on). Stop here, and answer 4xx so SDKs do not retry it.
        if (downAfterSend.length >= MAX_NODES_LOST_TO_ONE_REQUEST)
          throw requestKillsNodes(downAfterSend, failure.error);
      }
      if (!failure.retry) throw failure.error;
      lastError = failure.error;
    }
  }
  if (lastError && upAfterFailure.length > 0 && upAfterFailure.length === failed && saturated === 0) {
    // Every node that tried it failed on this request and stayed up: the request is the cause.
    throw new BrokeError(
      'invalid_request',
      `the request failed on ${plural(upAfterFailure)} ${upAfterFailure.join(', ')}, which still ${upAfterFailure.length > 1 ? 'answer their' : 'answers its'} health check: a value in the request is the likely cause (${lastError.message})`,
      { status: 400, hint: 'check unusual parameter values (seed, top_k, logit_bias, stop, ...)' },
    );
  }
  if (lastError) throw lastError;
  if (saturated > 0) {
    throw new NoRouteError('every candidate node is at its concurrency limit', {
      status: 429,
      code: 'saturated',
      hint: 'retry shortly, or raise maxConcurrency',
    });
  }
  throw new NoRouteError('no candidate to try');
}

/** Nodes one request may take down before it is refused rather than tried on another. */
const MAX_NODES_LOST_TO_ONE_REQUEST = 2;

function requestKillsNodes(nodes: readonly string[], cause: BrokeError): BrokeError {
  return new BrokeError(
    'request_crashes_nodes',
    `nodes ${nodes.join(', ')} stopped answering right after taking this request, so it was not tried on another: a value in it likely crashes the model server (${cause.message})`,
    {
      status: 400,
      hint: 'check unusual parameter values (top_k, logit_bias, seed, ...); the nodes come back when their servers restart',
    },
  );
}

/** How long a failed node gets to prove it is up before it is cooled down. */
const HEALTH_PROBE_MS = 1000;

async function stillUp(driver: NodeDriver, timeoutMs: number): Promise<boolean> {
  try {
    return (await driver.health({ timeoutMs: Math.min(HEALTH_PROBE_MS, timeoutMs) })).ok;
  } catch {
    return false;
  }
}

const plural = (ids: readonly string[]) => (ids.length > 1 ? 'nodes' : 'node');

/** One attempt as the route's explanation lists it. */
function attemptOf(c: Candidate, ok: boolean, error?: string): RouteAttempt {
  return error === undefined
    ? { nodeId: c.nodeId, modelId: c.modelId, ok }
    : { nodeId: c.nodeId, modelId: c.modelId, ok, error };
}

/** What a node's failure means for this request, given why its call was aborted (if it was). */
export function failureOf(
  nodeId: string,
  err: unknown,
  abort: { readonly reason: unknown },
): UpstreamFailure {
  if (abort.reason === NODE_DOWN) return { error: nodeDownError(nodeId), retry: true, cooldown: false };
  return classifyUpstreamError(nodeId, err, abort.reason === TIMEOUT);
}

function nodeDownError(nodeId: string): NodeError {
  return new NodeError(
    nodeId,
    `node ${nodeId} stopped answering its health checks while it held this request`,
    {
      status: 502,
      code: 'node_unreachable',
    },
  );
}
