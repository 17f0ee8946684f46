import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import {
  type BaselineFile,
  type BaselineResult,
  type CommunityBaseline,
  CommunityBaselineSchema,
  communityBaselineJsonSchema,
} from '../../cluster/baseline-schema.js';
import { baselineBaseDir, publicModelName, readBaselineFile } from '../../cluster/baselines.js';
import { ValidationError } from '../../errors.js';
import { brokeVersion } from '../../version.js';
import { writeFileAtomic } from '../atomic-write.js';
import { readConfigFile } from '../config-file.js';
import { collect, globals } from '../context.js';
import { SUITE_NAME } from '../prompts.js';

/** The JSON Schema shipped in the package (`schema/` beside `dist/` and `src/`). */
export const BASELINE_SCHEMA_PATH = fileURLToPath(
  new URL('../../../schema/baseline.schema.json', import.meta.url),
);

/**
 * `$schema` for a file written in `dir`: the shipped schema file, relative to that folder, which is
 * how editors resolve it (e.g. `./node_modules/@broke/core/schema/baseline.schema.json` in a
 * project that installed @broke/core). There is no hosted copy to point at.
 */
export function schemaRefFrom(dir: string): string {
  const rel = relative(resolve(dir), BASELINE_SCHEMA_PATH).split(sep).join('/');
  return isAbsolute(rel) || rel.startsWith('../') ? rel : `./${rel}`;
}

export function registerExportConfig(program: Command): void {
  program
    .command('export-config')
    .description(
      'write a shareable community baseline: hardware, model, quantisation, figures; no hosts, users, keys or paths',
    )
    .option('-o, --out <path>', 'output file (default: stdout)')
    .option(
      '--from <file>',
      "baselines file to export (repeatable; default: the config's local baselines)",
      collect,
      [],
    )
    .option('--schema', 'print the JSON Schema of the output instead')
    .action(async (opts: { out?: string; from: string[]; schema?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      if (opts.schema) {
        g.out.raw(`${JSON.stringify(communityBaselineJsonSchema(), null, 2)}\n`);
        return;
      }
      const file = readConfigFile(g.config);
      const base = baselineBaseDir(file.path);
      const sources = (opts.from.length ? opts.from : file.config.baselines).map((f) =>
        isAbsolute(f) ? f : resolve(base, f),
      );
      const locals: BaselineFile[] = [];
      for (const s of sources) {
        const doc = await readBaselineFile(s);
        if (doc.kind === 'broke-baseline') locals.push(doc);
      }
      if (!locals.length)
        throw new ValidationError('no local baselines to export', {
          hint: 'run `broke-cluster benchmark-sequential` first',
        });
      const doc = toCommunity(locals, file.config, {
        schemaFrom: opts.out ? dirname(resolve(opts.out)) : process.cwd(),
      });
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      if (opts.out) {
        writeFileAtomic(opts.out, text);
        g.out.result(
          { path: opts.out, entries: doc.entries.length },
          `wrote ${opts.out} (${doc.entries.length} entries)`,
        );
      } else g.out.raw(text);
    });
}

const median = (xs: number[]) => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/**
 * Aggregate per machine × model × prompt. Node ids become `machine-N` (ids are often host names);
 * model ids that are paths shrink to their public name; the hostname never leaves the hardware probe.
 */
export function toCommunity(
  files: BaselineFile[],
  config: {
    nodes: ReadonlyArray<{
      id: string;
      kind: string;
      models: ReadonlyArray<{ id: string; servedName?: string | undefined; path?: string | undefined }>;
    }>;
    models: ReadonlyArray<{
      id: string;
      family?: string | undefined;
      parameters?: number | undefined;
      quantization?: string | undefined;
      contextLength?: number;
    }>;
  },
  options: { schemaFrom?: string } = {},
): CommunityBaseline {
  const machines = new Map<string, string>();
  const groups = new Map<
    string,
    { nodeId: string; modelId: string; prompt: BaselineResult['prompt']; rows: BaselineResult[] }
  >();
  const nodeInfo = new Map<string, BaselineFile['nodes'][number]>();
  for (const f of files) {
    for (const n of f.nodes) nodeInfo.set(n.id, n);
    for (const r of f.results) {
      if (!machines.has(r.nodeId)) machines.set(r.nodeId, `machine-${machines.size + 1}`);
      const key = `${r.nodeId}\u0000${r.modelId}\u0000${r.prompt}`;
      const g = groups.get(key) ?? { nodeId: r.nodeId, modelId: r.modelId, prompt: r.prompt, rows: [] };
      g.rows.push(r);
      groups.set(key, g);
    }
  }
  const entries: CommunityBaseline['entries'] = [];
  for (const g of groups.values()) {
    const node = config.nodes.find((n) => n.id === g.nodeId);
    const nodeModel = node?.models.find((m) => m.id === g.modelId);
    const catalog = config.models.find((m) => m.id === g.modelId);
    const info = nodeInfo.get(g.nodeId);
    const ok = g.rows.filter((r) => r.success);
    const pick = (k: 'ttftMs' | 'prefillTokensPerSec' | 'decodeTokensPerSec') =>
      median(ok.map((r) => r[k]).filter((x): x is number => x !== undefined));
    const figures = {
      ttftMs: pick('ttftMs'),
      prefillTokensPerSec: pick('prefillTokensPerSec'),
      decodeTokensPerSec: pick('decodeTokensPerSec'),
    };
    const name = publicModelName(
      nodeModel?.servedName && !nodeModel.servedName.startsWith('/') ? nodeModel.servedName : g.modelId,
    );
    entries.push({
      machine: machines.get(g.nodeId) as string,
      ...(info?.hardware ? { hardware: info.hardware } : {}),
      backend: (info?.kind ?? node?.kind ?? 'openai') as CommunityBaseline['entries'][number]['backend'],
      model: {
        id: name,
        ...(catalog?.family ? { family: catalog.family } : {}),
        ...(catalog?.parameters ? { parameters: catalog.parameters } : {}),
        ...(catalog?.quantization ? { quantization: catalog.quantization } : {}),
        ...(catalog?.contextLength ? { contextLength: catalog.contextLength } : {}),
      },
      prompt: g.prompt,
      samples: g.rows.length,
      successRate: g.rows.length ? ok.length / g.rows.length : 0,
      ...Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)),
    });
  }
  return CommunityBaselineSchema.parse({
    $schema: schemaRefFrom(options.schemaFrom ?? process.cwd()),
    kind: 'broke-community-baseline',
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    suite: files[0]?.suite ?? SUITE_NAME,
    versions: { broke: brokeVersion(), node: process.version },
    entries,
  });
}
