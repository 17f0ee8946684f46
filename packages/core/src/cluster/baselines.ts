import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { NodeConfig } from '../config/schema.js';
import { ValidationError } from '../errors.js';
import {
  type BaselineFile,
  BaselineFileSchema,
  type BaselineResult,
  type CommunityBaseline,
  CommunityBaselineSchema,
} from './baseline-schema.js';
import type { ClusterState } from './cluster-state.js';

export interface SeededPerf {
  nodeId: string;
  modelId: string;
  source: 'local' | 'community';
  file: string;
  ttftMs: number;
  decodeTokensPerSec: number;
  prefillTokensPerSec?: number;
  samples: number;
}

/** Read and validate one baselines file (local or community). */
export async function readBaselineFile(path: string): Promise<BaselineFile | CommunityBaseline> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`baselines file ${path} cannot be read`, {
      cause: err,
      hint: 'run `broke-cluster benchmark-sequential` or fix the `baselines` list in broke.yaml',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ValidationError(`baselines file ${path} is not valid JSON`, { cause: err });
  }
  const kind = (json as { kind?: unknown } | null)?.kind;
  const schema = kind === 'broke-community-baseline' ? CommunityBaselineSchema : BaselineFileSchema;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(
      `baselines file ${path} is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      {
        hint: 'regenerate it with benchmark-sequential or export-config',
      },
    );
  }
  return parsed.data;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

interface Figures {
  ttftMs?: number;
  decodeTokensPerSec?: number;
  prefillTokensPerSec?: number;
}

function aggregate(
  rows: readonly Figures[],
): Omit<SeededPerf, 'nodeId' | 'modelId' | 'source' | 'file' | 'samples'> | undefined {
  const ttft = rows.map((r) => r.ttftMs).filter((x): x is number => x !== undefined);
  const decode = rows.map((r) => r.decodeTokensPerSec).filter((x): x is number => x !== undefined && x > 0);
  const prefill = rows.map((r) => r.prefillTokensPerSec).filter((x): x is number => x !== undefined && x > 0);
  if (!ttft.length && !decode.length) return undefined;
  return {
    ttftMs: ttft.length ? median(ttft) : 1000,
    decodeTokensPerSec: decode.length ? median(decode) : 10,
    ...(prefill.length ? { prefillTokensPerSec: median(prefill) } : {}),
  };
}

/**
 * Seed ClusterState.perf from the config's `baselines` files at startup. Local files (exact
 * node ids) win; community files are weak priors (one sample) for node × model pairs that have
 * no local figure, matched by model name and backend.
 */
export async function loadBaselines(
  files: readonly string[],
  state: ClusterState,
  options: { baseDir?: string; nodes?: readonly NodeConfig[] } = {},
): Promise<SeededPerf[]> {
  const seeded: SeededPerf[] = [];
  const docs = await Promise.all(
    files.map(async (f) => {
      const path = isAbsolute(f) || !options.baseDir ? f : resolve(options.baseDir, f);
      return { path, doc: await readBaselineFile(path) };
    }),
  );
  for (const { path, doc } of docs) {
    if (doc.kind !== 'broke-baseline') continue;
    const groups = new Map<string, BaselineResult[]>();
    for (const r of doc.results) {
      if (!r.success) continue;
      const key = `${r.nodeId}\u0000${r.modelId}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const rows of groups.values()) {
      const first = rows[0] as BaselineResult;
      const agg = aggregate(rows);
      if (!agg) continue;
      state.seedPerf(first.nodeId, first.modelId, agg, rows.length);
      seeded.push({
        nodeId: first.nodeId,
        modelId: first.modelId,
        source: 'local',
        file: path,
        samples: rows.length,
        ...agg,
      });
    }
  }
  for (const { path, doc } of docs) {
    if (doc.kind !== 'broke-community-baseline') continue;
    for (const node of options.nodes ?? []) {
      for (const m of node.models) {
        if (state.perf(node.id, m.id)) continue;
        const names = new Set(
          [m.id, m.servedName, m.path].filter(Boolean).map((n) => publicModelName(n as string)),
        );
        const rows = doc.entries.filter(
          (e) => e.successRate > 0 && names.has(e.model.id) && e.backend === node.kind,
        );
        const agg = aggregate(rows);
        if (!agg) continue;
        state.seedPerf(node.id, m.id, agg, 1);
        seeded.push({ nodeId: node.id, modelId: m.id, source: 'community', file: path, samples: 1, ...agg });
      }
    }
  }
  return seeded;
}

/** A model name safe to publish: paths shrink to their last folder (HF snapshots to `org/name`). */
export function publicModelName(name: string): string {
  const hf = /models--([^/]+?)--([^/]+)\/snapshots\//.exec(name);
  if (hf) return `${hf[1]}/${hf[2]}`;
  if (name.startsWith('/') || name.startsWith('~') || name.includes('\\'))
    return basename(name.replace(/[\\/]+$/, ''));
  return name;
}

/** Where relative `baselines` entries are resolved from: the config file's folder. */
export function baselineBaseDir(configPath: string): string {
  return dirname(resolve(configPath));
}
