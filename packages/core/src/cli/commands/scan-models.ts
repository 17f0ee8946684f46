import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import { publicModelName } from '../../cluster/baselines.js';
import { modelNamed } from '../../cluster/loaded-models.js';
import type { BrokeConfigInput } from '../../config/schema.js';
import { createDriver } from '../../drivers/factory.js';
import { BrokeError } from '../../errors.js';
import { addFacts, factsFromServer, factsOnDisk, fillTiers, modelFacts } from '../../model-facts/catalog.js';
import { type ServerModelFacts, serverModelFacts } from '../../model-facts/server-reported.js';
import { listModelsOnDisk, type ModelOnDisk } from '../../ssh/models-on-disk.js';
import { SshPool } from '../../ssh/pool.js';
import { readConfigFile, writeConfigFile } from '../config-file.js';
import { collect, globals } from '../context.js';
import { errorLine } from '../exit-codes.js';
import { table } from '../output.js';
import { PartialFailureError, type TargetFailure } from '../partial-failure.js';

export interface NodeScan {
  nodeId: string;
  served: string[];
  loaded?: string[];
  disk: ModelOnDisk[];
  /** What the server reports about its models (size, context), by served name. */
  reported?: Record<string, ServerModelFacts>;
  errors: string[];
}

export function registerScanModels(program: Command): void {
  program
    .command('scan-models')
    .description('list models per node (served, and on disk via SSH) and write them into the config')
    .option('--model-dir <dir>', 'extra folder on the nodes holding MLX models (repeatable)', collect, [])
    .option('--dry-run', 'print, do not write the config')
    .option('--allow-partial', 'write what the reachable nodes report even when some node fails (warned)')
    .action(async (opts: { modelDir: string[]; dryRun?: boolean; allowPartial?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const file = readConfigFile(g.config);
      const pool = new SshPool();
      const scans: NodeScan[] = [];
      // Kept as thrown, so the exit code says what kind of failure it was (3 unreachable, 4 host key).
      const failures: TargetFailure[] = [];
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
            failures.push({ where: node.id, error: err });
          }
          scan.reported = Object.fromEntries(
            await serverModelFacts(node.url, node.kind, { timeoutMs: 5000, apiKey: node.apiKey }),
          );
          if (node.ssh) {
            // The served models' own folders too, for their sizes (mlx_lm.server serves a path).
            const servedDirs = [
              ...node.models.flatMap((m) => (m.path ? [m.path] : [])),
              ...(scan.loaded ?? scan.served).filter((m) => m.startsWith('/')),
            ];
            try {
              scan.disk = await listModelsOnDisk(await pool.get(node.ssh), [...opts.modelDir, ...servedDirs]);
            } catch (err) {
              scan.errors.push(errorLine(err));
              failures.push({ where: node.id, error: err });
            }
          }
          scans.push(scan);
          bar.tick(node.id);
        }
      } finally {
        bar.stop();
        await pool.closeAll();
      }
      // merge() edits catalog entries in place: compare against the file as it was read.
      const before = structuredClone(file.raw);
      const raw = merge(file.raw, scans);
      for (const n of raw.nodes ?? [])
        if (!n.models?.length && !failures.some((f) => f.where === n.id))
          failures.push({
            where: n.id,
            error: new BrokeError('no_models', 'serves no models and lists none', {
              hint: 'load a model on it, or add models: to the node',
            }),
          });
      // A dead node or one without models changes what the cluster can do: an error unless the
      // user accepts it; when every node failed there is nothing worth writing at all.
      const failedNodes = new Set(failures.map((f) => f.where)).size;
      if (failures.length && (!opts.allowPartial || failedNodes === file.config.nodes.length))
        throw new PartialFailureError(failures, file.config.nodes.length, 'node');
      for (const f of failures) g.out.warn(`${f.where}: ${errorLine(f.error)}`);
      // Unchanged content is not rewritten: the file stays byte for byte as the user left it.
      const changed = !isDeepStrictEqual(raw, before);
      const written = !opts.dryRun && changed;
      if (written) writeConfigFile(file.path, raw);
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
        { path: file.path, written, nodes: scans },
        `${table(['node', 'model', 'where', 'path', 'quant'], rows)}${written ? `\nupdated ${file.path}` : opts.dryRun ? '' : `\n${file.path} already up to date`}`,
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
 * Add served models missing from each node's list (a served name that resolves to a listed model,
 * by id, served name, path or path tail, is that model); fill the catalog from the model files and
 * what the servers report (parameters, quantisation, context length, memory, disk size, stop
 * tokens), then tiers. Fields already in the file, the user's own or an earlier scan's, are kept.
 */
function merge(raw: BrokeConfigInput, scans: NodeScan[]): BrokeConfigInput {
  const models = [...(raw.models ?? [])];
  const nodes = (raw.nodes ?? []).map((n) => {
    const scan = scans.find((s) => s.nodeId === n.id);
    if (!scan) return n;
    const list = [...(n.models ?? [])];
    const catalogFrom: Array<{ id: string; disk?: ModelOnDisk | undefined; served?: string }> = [];
    for (const m of servedOf(scan, n.kind)) {
      const name = m.servedName ?? m.id;
      // A lone entry naming no path or served name is what a one-model server serves (as the monitor reads it).
      const lone = list.length === 1 && !list[0]?.path && !list[0]?.servedName ? list[0] : undefined;
      const listed = modelNamed(list, name) ?? lone;
      if (!listed) list.push(m);
      catalogFrom.push({
        id: listed?.id ?? m.id,
        disk: scan.disk.find((d) => d.path === m.path),
        served: name,
      });
    }
    for (const m of list)
      catalogFrom.push({ id: m.id, disk: scan.disk.find((d) => d.path === (m.path ?? m.servedName)) });
    for (const d of scan.disk) catalogFrom.push({ id: publicModelName(d.path), disk: d });
    for (const { id, disk, served } of catalogFrom) {
      const reported = factsFromServer(served === undefined ? undefined : scan.reported?.[served]);
      addFacts(models, id, modelFacts(reported, factsOnDisk(disk)));
      const entry = models.find((m) => m.id === id);
      if (entry && entry.stopTokens === undefined && disk?.stopTokens?.length)
        entry.stopTokens = disk.stopTokens;
    }
    return { ...n, models: list };
  });
  return fillTiers({ ...raw, nodes, models });
}
