import type { NodeState } from '../cluster/node-state.js';
import type { CandidateTable } from './candidate-table.js';

/** Warmth codes in LiveTable.warm. */
export const COLD = 0;
export const WARM = 1;
export const WARMTH_UNKNOWN = 2;

/**
 * Live node data for one route in flat arrays by node index (read once per route, not once per
 * candidate), plus per node × model warmth, rebuilt for a node only when its loadedModels array
 * changed (the monitor replaces the array on change).
 */
export class LiveTable {
  readonly up: Uint8Array;
  readonly inFlight: Float64Array;
  readonly capacity: Float64Array;
  /** Waiting in the gateway for a slot (NodeState.waiting) plus the node's own queue. */
  readonly waiting: Float64Array;
  readonly queueLimit: Float64Array;
  readonly cooldownUntil: Float64Array;
  /** 1 when the cluster knows the node. */
  readonly known: Uint8Array;
  /** Memory by node (GiB; NaN unknown): total (observed, else config), free; critical pressure 0/1. */
  readonly memTotal: Float64Array;
  readonly memFree: Float64Array;
  readonly critical: Uint8Array;
  /** Some node restricts traffic to validated models (the health filter then checks per model). */
  anyValidated = false;
  /** Node × model warmth (COLD, WARM, WARMTH_UNKNOWN) at [node * models + model]. */
  readonly warm: Uint8Array;
  private readonly loadedSeen: Array<readonly string[] | undefined | null>;
  private readonly loadedLength: Int32Array;
  private readonly models: number;

  constructor(private readonly table: CandidateTable) {
    const nodes = table.nodes.length;
    this.models = table.models.length;
    this.up = new Uint8Array(nodes);
    this.inFlight = new Float64Array(nodes);
    this.capacity = new Float64Array(nodes);
    this.waiting = new Float64Array(nodes);
    this.queueLimit = new Float64Array(nodes);
    this.cooldownUntil = new Float64Array(nodes);
    this.known = new Uint8Array(nodes);
    this.memTotal = new Float64Array(nodes);
    this.memFree = new Float64Array(nodes);
    this.critical = new Uint8Array(nodes);
    this.loadedLength = new Int32Array(nodes);
    this.warm = new Uint8Array(nodes * this.models).fill(WARMTH_UNKNOWN);
    this.loadedSeen = new Array(nodes).fill(null);
  }

  /** Whether candidate `i` (table index) has its model loaded: COLD, WARM or WARMTH_UNKNOWN. */
  warmth(i: number): number {
    return this.warm[
      (this.table.nodeOf[i] as number) * this.models + (this.table.modelOf[i] as number)
    ] as number;
  }

  refresh(states: ReadonlyArray<NodeState | undefined>): void {
    const models = this.models;
    let anyValidated = false;
    for (let n = 0; n < states.length; n++) {
      const state = states[n];
      if (!state) {
        this.known[n] = 0;
        this.memTotal[n] = this.table.nodeMemory[n] as number;
        this.memFree[n] = Number.NaN;
        this.critical[n] = 0;
        this.up[n] = 0;
        this.inFlight[n] = 0;
        this.capacity[n] = 0;
        this.waiting[n] = 0;
        this.queueLimit[n] = 0;
        this.cooldownUntil[n] = 0;
        continue;
      }
      this.known[n] = 1;
      if (state.validatedModels !== undefined) anyValidated = true;
      const memory = state.memory;
      this.memTotal[n] = memory?.totalGb ?? (this.table.nodeMemory[n] as number);
      this.memFree[n] = memory?.freeGb ?? Number.NaN;
      this.critical[n] = memory?.pressure === 'critical' ? 1 : 0;
      this.up[n] = state.up ? 1 : 0;
      this.inFlight[n] = state.inFlight;
      this.capacity[n] = state.capacity;
      this.waiting[n] = (state.waiting ?? 0) + state.queued;
      this.queueLimit[n] = state.queueLimit ?? 4 * state.capacity;
      this.cooldownUntil[n] = state.cooldownUntil;
      const loaded = state.loadedModels;
      // The monitor replaces the array on change; the length check also catches in-place pushes.
      if (loaded !== this.loadedSeen[n] || (loaded !== undefined && loaded.length !== this.loadedLength[n])) {
        this.loadedSeen[n] = loaded;
        this.loadedLength[n] = loaded?.length ?? 0;
        const base = n * models;
        if (loaded === undefined) this.warm.fill(WARMTH_UNKNOWN, base, base + models);
        else {
          this.warm.fill(COLD, base, base + models);
          for (const id of loaded) {
            const m = this.table.modelIndexOf(id);
            if (m !== undefined) this.warm[base + m] = WARM;
          }
        }
      }
    }
    this.anyValidated = anyValidated;
  }
}
