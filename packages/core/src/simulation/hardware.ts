import { z } from 'zod';

/**
 * What a node of the simulated cluster is: one machine serving one model, described by the few
 * numbers that decide how long a request takes there. A profile file (JSON) has this shape, so the
 * same benchmark can be run for someone else's hardware.
 */

export const SimModelSchema = z.object({
  /** The model id the node answers with (and the router knows it by). */
  id: z.string().min(1),
  /** Parameters in billions. */
  parameters: z.number().positive(),
  tier: z.enum(['small', 'medium', 'large']),
  contextLength: z.number().int().positive(),
});
export type SimModel = z.infer<typeof SimModelSchema>;

export const HardwareProfileSchema = z.object({
  /** Node id, unique in a cluster (letters, digits, dot, dash, underscore: a valid BROKE node id). */
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  /** The machine, for people (e.g. "Mac Studio M2 Ultra"). */
  chip: z.string().min(1),
  model: SimModelSchema,
  /** Prompt processing rate for one request, tokens/s. */
  prefillTokensPerSec: z.number().positive(),
  /** Generation rate for one request alone on the node, tokens/s. */
  decodeTokensPerSec: z.number().positive(),
  /** Requests served at once (llama.cpp `--parallel`, mlx batch size); the rest wait FIFO. */
  slots: z.number().int().positive(),
  /** Fractional decode slow-down each extra concurrent request causes (0.2 → 2 at once run at 1/1.2). */
  batchSlowdown: z.number().nonnegative(),
  /** Unified memory of the machine, GiB. */
  memoryGb: z.number().positive(),
});
export type HardwareProfile = z.infer<typeof HardwareProfileSchema>;

/** A list of profiles, as a cluster file holds them. */
export const ClusterProfileSchema = z.array(HardwareProfileSchema).min(1);

/**
 * How much faster than the real machines the emulation runs. Real rates make one 70B answer take
 * tens of seconds and a 300-request run take hours; ×20 keeps every ratio (prefill vs decode,
 * node vs node) and makes a run take tens of seconds to a few minutes.
 */
export const DEFAULT_SPEEDUP = 20;

/**
 * A heterogeneous Mac cluster at real speed (llama.cpp / MLX, 4-bit weights).
 *
 * Source kind: community llama.cpp Apple Silicon benchmarks — the llama.cpp "Performance of
 * llama.cpp on Apple Silicon M-series" discussion (7B Q4_0 pp512 / tg128 per chip) and the public
 * "GPU benchmarks on LLM inference" tables (70B Q4_K_M on an M2 Ultra ≈ 12 tokens/s generation,
 * ≈ 115 tokens/s prompt). Sizes other than the measured ones are scaled by weight bytes (decode is
 * memory-bandwidth bound, prefill compute bound), then rounded: these are plausible figures, not
 * measurements of specific machines. Batch slow-down: llama.cpp `batched-bench` on Apple GPUs shows
 * aggregate generation growing sub-linearly with parallel sequences (≈ 1.15–1.25× slower per
 * sequence for each extra one at small batch sizes).
 */
export const MAC_PRESETS: readonly HardwareProfile[] = [
  {
    id: 'studio-ultra',
    chip: 'Mac Studio M2 Ultra (76-core GPU)',
    model: { id: 'llama-3.3-70b-q4', parameters: 70, tier: 'large', contextLength: 32768 },
    prefillTokensPerSec: 115,
    decodeTokensPerSec: 12,
    slots: 4,
    batchSlowdown: 0.2,
    memoryGb: 192,
  },
  {
    id: 'studio-max',
    chip: 'Mac Studio M2 Max (38-core GPU)',
    model: { id: 'qwen2.5-7b-q4', parameters: 7, tier: 'small', contextLength: 32768 },
    prefillTokensPerSec: 650,
    decodeTokensPerSec: 62,
    slots: 4,
    batchSlowdown: 0.15,
    memoryGb: 64,
  },
  {
    id: 'mini-m4pro',
    chip: 'Mac mini M4 Pro (20-core GPU)',
    model: { id: 'qwen2.5-14b-q4', parameters: 14, tier: 'medium', contextLength: 32768 },
    prefillTokensPerSec: 210,
    decodeTokensPerSec: 24,
    slots: 2,
    batchSlowdown: 0.2,
    memoryGb: 48,
  },
  {
    id: 'mbp-m3pro',
    chip: 'MacBook Pro M3 Pro (18-core GPU)',
    model: { id: 'llama-3.2-3b-q4', parameters: 3, tier: 'small', contextLength: 16384 },
    prefillTokensPerSec: 750,
    decodeTokensPerSec: 58,
    slots: 2,
    batchSlowdown: 0.15,
    memoryGb: 36,
  },
];

/** The profile with its rates multiplied by `speedup` (everything else unchanged). */
export function scaleProfile(profile: HardwareProfile, speedup: number): HardwareProfile {
  if (!(speedup > 0)) throw new Error(`speedup must be > 0, got ${speedup}`);
  return {
    ...profile,
    model: { ...profile.model },
    prefillTokensPerSec: profile.prefillTokensPerSec * speedup,
    decodeTokensPerSec: profile.decodeTokensPerSec * speedup,
  };
}

/** The four-Mac preset cluster, sped up (default ×20). */
export function macCluster(options: { speedup?: number } = {}): HardwareProfile[] {
  return MAC_PRESETS.map((p) => scaleProfile(p, options.speedup ?? DEFAULT_SPEEDUP));
}

export interface BuildClusterOptions {
  /** The machines to draw from (default: the Mac presets). */
  presets?: readonly HardwareProfile[];
  /**
   * Relative share of each preset, by preset id (default: equal). E.g. many small machines and a
   * few big ones: `{ 'studio-ultra': 1, 'mbp-m3pro': 4 }`; a preset missing from `mix` is left out.
   */
  mix?: Readonly<Record<string, number>>;
  speedup?: number;
}

/**
 * A cluster of `n` nodes for the simulator (10–1000 nodes): the presets repeated in proportion to
 * `mix`, interleaved so any prefix is already a mix, with distinct ids (`studio-ultra-007`). The
 * model id stays the preset's: many nodes serving the same model is what a real fleet looks like.
 */
export function buildCluster(n: number, options: BuildClusterOptions = {}): HardwareProfile[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`a cluster needs a whole number of nodes ≥ 1, got ${n}`);
  const presets = options.presets ?? MAC_PRESETS;
  const weights = presets.map((p) => (options.mix ? (options.mix[p.id] ?? 0) : 1));
  const total = weights.reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new Error('cluster mix gives every preset weight 0');
  // Smooth weighted round robin: deterministic, and each prefix follows the mix as closely as it can.
  const credit = weights.map(() => 0);
  const counts = presets.map(() => 0);
  const out: HardwareProfile[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 0; k < presets.length; k++) {
      credit[k] = (credit[k] as number) + (weights[k] as number);
      if ((credit[k] as number) > (credit[best] as number)) best = k;
    }
    credit[best] = (credit[best] as number) - total;
    counts[best] = (counts[best] as number) + 1;
    const preset = presets[best] as HardwareProfile;
    const scaled = scaleProfile(preset, options.speedup ?? DEFAULT_SPEEDUP);
    out.push({ ...scaled, id: `${preset.id}-${String(counts[best]).padStart(3, '0')}` });
  }
  return out;
}
