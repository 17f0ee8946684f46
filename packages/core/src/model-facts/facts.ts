import type { Capability } from '../config/schema.js';

/**
 * A model's facts in config units, as `scan-models` and `init` write them into a `models:` entry:
 * parameters in billions, memory and disk in GiB. The first source that knows a field wins, and a
 * field already in the entry (the user's, or an earlier scan's) is never replaced.
 */
export interface ModelFacts {
  /** Billions. */
  parameters?: number;
  quantization?: string;
  contextLength?: number;
  /** GiB of weights: what loading the model takes (KV cache not included). */
  memoryGb?: number;
  /** GiB of the model's files on disk. */
  diskGb?: number;
  /** What it can take beyond text (`tools` when its template renders tool definitions). */
  capabilities?: Capability[];
}

const FIELDS = ['parameters', 'quantization', 'contextLength', 'memoryGb', 'diskGb', 'capabilities'] as const;

/** A parameter count in billions, to three significant digits (8030261248 → 8.03). */
export function billions(count: number): number {
  return Number((count / 1e9).toPrecision(3));
}

/** Bytes as GiB, rounded up to 0.01 so a small model never reads as needing nothing. */
export function gibibytes(bytes: number): number {
  return Math.ceil((bytes / 1024 ** 3) * 100) / 100;
}

/** Per field, the first source that has it. */
export function firstKnown(...sources: Array<ModelFacts | undefined>): ModelFacts {
  const out: ModelFacts = {};
  for (const field of FIELDS) {
    const value = sources.find((s) => s?.[field] !== undefined)?.[field];
    if (value !== undefined) (out as Record<string, unknown>)[field] = value;
  }
  return out;
}

/** `entry` with the facts it does not have yet; its own fields always win. */
export function withFacts<T extends { id: string }>(entry: T, facts: ModelFacts): T {
  const out: Record<string, unknown> = { ...entry };
  for (const field of FIELDS)
    if (out[field] === undefined && facts[field] !== undefined) out[field] = facts[field];
  return out as T;
}
