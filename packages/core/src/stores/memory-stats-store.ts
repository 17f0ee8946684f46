import { type QualityStat, statKey } from '../learning/quality-stat.js';
import { RingBuffer } from './ring-buffer.js';
import type { OutcomeRecord, StatsStore } from './stats-store.js';

/**
 * In-process store for tests and `store.kind: memory`; nothing survives the process. Statistics
 * are keyed by the full StatKey (team, role, taskType, model, band).
 */
export class MemoryStatsStore implements StatsStore {
  private readonly stats = new Map<string, QualityStat>();
  /** Last outcomes, bounded so a long-running process does not grow without limit. */
  private readonly recent: RingBuffer<OutcomeRecord>;
  /** Escalation spend by `day\u0001team`. */
  private readonly spend = new Map<string, number>();

  constructor(initial: readonly QualityStat[] = [], maxOutcomes = 100_000) {
    this.recent = new RingBuffer(maxOutcomes);
    for (const stat of initial) this.stats.set(statKey(stat), { ...stat });
  }

  /** The kept outcomes, oldest first (a copy: reading is for tests and inspection, not the hot path). */
  get outcomes(): readonly OutcomeRecord[] {
    return this.recent.toArray();
  }

  async loadStats(): Promise<QualityStat[]> {
    return [...this.stats.values()].map((stat) => ({ ...stat }));
  }

  async routeLog(routeId: string): Promise<OutcomeRecord[]> {
    return this.recent
      .toArray()
      .filter((r) => r.routeId === routeId)
      .map((r) => ({ ...r }));
  }

  /** Keeps the record itself (the learner makes one per outcome and never touches it again). */
  async appendOutcome(record: OutcomeRecord): Promise<void> {
    this.recent.push(record);
  }

  async upsertStats(stats: readonly QualityStat[]): Promise<void> {
    for (const stat of stats) this.stats.set(statKey(stat), { ...stat });
  }

  async addSpend(day: string, team: string, amount: number): Promise<number> {
    const key = `${day}\u0001${team}`;
    const total = (this.spend.get(key) ?? 0) + amount;
    this.spend.set(key, total);
    return total;
  }

  async loadSpend(day: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [key, total] of this.spend) {
      const [d, team] = key.split('\u0001') as [string, string];
      if (d === day) out[team] = total;
    }
    return out;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
