import type { Command } from 'commander';
import { publicModelName } from '../../cluster/baselines.js';
import type { BrokeConfigInput } from '../../config/schema.js';
import { createDriver } from '../../drivers/factory.js';
import { listModelsOnDisk, type ModelOnDisk } from '../../ssh/models-on-disk.js';
import { SshPool } from '../../ssh/pool.js';
import { readConfigFile, writeConfigFile } from '../config-file.js';
import { collect, globals } from '../context.js';
import { errorLine } from '../exit-codes.js';
import { table } from '../output.js';

export interface NodeScan {
  nodeId: string;
  served: string[];
  loaded?: string[];
  disk: ModelOnDisk[];
  errors: string[];
}

export function registerScanModels(program: Command): void {
  program
    .command('scan-models')
    .description('list models per node (served, and on disk via SSH) and write them into the config')
    .option('--model-dir <dir>', 'extra folder on the nodes holding MLX models (repeatable)', collect, [])
    .option('--dry-run', 'print, do not write the config')
    .action(async (opts: { modelDir: string[]; dryRun?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const file = readConfigFile(g.config);
      const pool = new SshPool();
      const scans: NodeScan[] = [];
      const bar = g.out.progress(file.config.nodes.length, 'scanning nodes');
      try {
        for (const node of file.config.nodes) {
          const scan: NodeScan = { nodeId: node.id, served: [], disk: [], errors: [] };
          const driver = createDriver(node);
          try {
            scan.served = await driver.listModels({ timeoutMs: 5000 });
            if (driver.observes.loadedModels)
              scan.loaded = (await driver.metrics({ timeoutMs: 5000 })).loadedModels;
          } catch (err) {
            scan.errors.push(errorLine(err));
          }
          if (node.ssh) {
            try {
              scan.disk = await listModelsOnDisk(await pool.get(node.ssh), opts.modelDir);
            } catch (err) {
              scan.errors.push(errorLine(err));
            }
          }
          scans.push(scan);
          bar.tick(node.id);
        }
      } finally {
        bar.stop();
        await pool.closeAll();
      }
      const raw = merge(file.raw, scans);
      if (!opts.dryRun) writeConfigFile(file.path, raw);
      const rows = scans.flatMap((s) => [
        ...servedOf(s, file.config.nodes.find((n) => n.id === s.nodeId)?.kind).map((m) => [
          s.nodeId,
          m.id,
          'served',
          m.path ?? '',
          quantOf(s, m.path),
        ]),
        ...s.disk.map((d) => [s.nodeId, d.name, 'disk', d.path, d.quantization ?? '']),
        ...s.errors.map((e) => [s.nodeId, '', 'error', e, '']),
      ]);
      g.out.result(
        { path: file.path, written: !opts.dryRun, nodes: scans },
        `${table(['node', 'model', 'where', 'path', 'quant'], rows)}${opts.dryRun ? '' : `\nupdated ${file.path}`}`,
      );
    });
}

function quantOf(s: NodeScan, path: string | undefined): string {
  return s.disk.find((d) => d.path === path)?.quantization ?? '';
}

/** Served models in config form; mlx_lm.server serves its --model path (HF entries are only on disk). */
function servedOf(
  s: NodeScan,
  kind: string | undefined,
): Array<{ id: string; servedName?: string; path?: string }> {
  if (kind === 'mlx' || kind === undefined)
    return (s.loaded ?? s.served.filter((m) => m.startsWith('/'))).map((p) => ({
      id: publicModelName(p),
      servedName: p,
      path: p,
    }));
  return s.served.map((id) => ({ id }));
}

/**
 * Add served models missing from each node's list; fill the catalog (quantisation, context
 * length) from what is on disk. Existing entries and user edits are kept.
 */
function merge(raw: BrokeConfigInput, scans: NodeScan[]): BrokeConfigInput {
  const models = [...(raw.models ?? [])];
  const nodes = (raw.nodes ?? []).map((n) => {
    const scan = scans.find((s) => s.nodeId === n.id);
    if (!scan) return n;
    const list = [...(n.models ?? [])];
    for (const m of servedOf(scan, n.kind)) {
      if (!list.some((x) => x.id === m.id || (m.servedName && x.servedName === m.servedName))) list.push(m);
    }
    const catalogFrom = [
      ...list.map((m) => ({ id: m.id, disk: scan.disk.find((d) => d.path === (m.path ?? m.servedName)) })),
      ...scan.disk.map((d) => ({ id: publicModelName(d.path), disk: d as ModelOnDisk | undefined })),
    ];
    for (const { id, disk } of catalogFrom) {
      const existing = models.find((m) => m.id === id);
      const meta = {
        ...(disk?.quantization ? { quantization: disk.quantization } : {}),
        ...(disk?.contextLength ? { contextLength: disk.contextLength } : {}),
        ...(disk?.stopTokens?.length ? { stopTokens: disk.stopTokens } : {}),
      };
      if (existing) Object.assign(existing, { ...meta, ...existing });
      else models.push({ id, ...meta });
    }
    return { ...n, models: list };
  });
  return { ...raw, nodes, models };
}
