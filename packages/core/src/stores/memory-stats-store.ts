import type { QualityStat } from '../learning/quality-stat.js';
import type { OutcomeRecord, StatsStore } from './stats-store.js';

/** In-process store for tests and `store.kind: memory`; nothing survives the process. */
export class MemoryStatsStore implements StatsStore {
  private readonly stats = new Map<string, QualityStat>();
  /** Last outcomes, bounded so a long-running process does not grow without limit. */
  readonly outcomes: OutcomeRecord[] = [];

  constructor(
    initial: readonly QualityStat[] = [],
    private readonly maxOutcomes = 100_000,
  ) {
    for (const stat of initial) this.stats.set(statKey(stat), { ...stat });
  }

  async loadStats(): Promise<QualityStat[]> {
    return [...this.stats.values()].map((stat) => ({ ...stat }));
  }

  async appendOutcome(record: OutcomeRecord): Promise<void> {
    if (this.outcomes.length >= this.maxOutcomes)
      this.outcomes.splice(0, this.outcomes.length - this.maxOutcomes + 1);
    this.outcomes.push({ ...record });
  }

  async upsertStats(stats: readonly QualityStat[]): Promise<void> {
    for (const stat of stats) this.stats.set(statKey(stat), { ...stat });
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

export function statKey(stat: Pick<QualityStat, 'team' | 'role' | 'taskType' | 'modelId'>): string {
  return `${stat.team}\u0001${stat.role}\u0001${stat.taskType}\u0001${stat.modelId}`;
}
