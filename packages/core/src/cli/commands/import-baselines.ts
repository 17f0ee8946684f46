import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { baselineBaseDir, loadBaselines, readBaselineFile } from '../../cluster/baselines.js';
import { ClusterState } from '../../cluster/cluster-state.js';
import { writeFileAtomic } from '../atomic-write.js';
import { readConfigFile, writeConfigFile } from '../config-file.js';
import { globals } from '../context.js';
import { table } from '../output.js';

export function registerImportBaselines(program: Command): void {
  program
    .command('import-baselines')
    .description("use others' baseline files (community or local) as routing priors")
    .argument('<files...>', 'baseline JSON files')
    .option('--dir <dir>', 'where to copy them, relative to the config', 'baselines')
    .action(async (files: string[], opts: { dir: string }, cmd: Command) => {
      const g = globals(cmd);
      const file = readConfigFile(g.config);
      for (const f of files) await readBaselineFile(f); // validate all before touching anything
      const base = baselineBaseDir(file.path);
      mkdirSync(resolve(base, opts.dir), { recursive: true });
      const listed = [...(file.raw.baselines ?? [])];
      for (const f of files) {
        const dest = resolve(base, opts.dir, `imported-${basename(f)}`);
        if (resolve(f) !== dest) writeFileAtomic(dest, readFileSync(f, 'utf8'));
        const rel = relative(base, dest) || join(opts.dir, basename(dest));
        if (!listed.includes(rel)) listed.push(rel);
      }
      const config = writeConfigFile(file.path, { ...file.raw, baselines: listed });
      // Preview: which node × model pairs these priors reach.
      const seeded = await loadBaselines(config.baselines, new ClusterState(config.nodes), {
        baseDir: base,
        nodes: config.nodes,
      });
      const rows = seeded.map((s) => [
        s.nodeId,
        s.modelId,
        s.source,
        `${Math.round(s.ttftMs)} ms`,
        `${Math.round(s.decodeTokensPerSec)} t/s`,
      ]);
      g.out.result(
        { baselines: listed, seeded },
        `${table(['node', 'model', 'source', 'ttft', 'decode'], rows)}\nbaselines: ${listed.join(', ')}`,
      );
    });
}
