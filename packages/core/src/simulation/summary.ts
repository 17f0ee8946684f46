import type { HardwareProfile } from './hardware.js';
import type { SimulationResult } from './simulator.js';

/** The numbers a policy is compared by (the benchmark table's columns). */
export interface PolicySummary {
  policy: string;
  requests: number;
  makespanSec: number;
  p50Sec: number;
  p95Sec: number;
  meanQuality: number;
  /** Share of hard requests served by the largest model. */
  hardToLarge: number;
  rejected: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at] as number;
}

export function summarise(result: SimulationResult, profiles: readonly HardwareProfile[]): PolicySummary {
  const largest = Math.max(...profiles.map((p) => p.model.parameters));
  const large = new Set(profiles.filter((p) => p.model.parameters === largest).map((p) => p.model.id));
  const latencies = result.records.map((r) => r.latencySec).sort((a, b) => a - b);
  const hard = result.records.filter((r) => r.difficultyClass === 'hard');
  const quality = result.records.reduce((sum, r) => sum + r.quality, 0);
  return {
    policy: result.policy,
    requests: result.records.length,
    makespanSec: result.makespanSec,
    p50Sec: percentile(latencies, 50),
    p95Sec: percentile(latencies, 95),
    meanQuality: result.records.length ? quality / result.records.length : Number.NaN,
    hardToLarge: hard.length ? hard.filter((r) => large.has(r.modelId)).length / hard.length : Number.NaN,
    rejected: result.rejected,
  };
}
