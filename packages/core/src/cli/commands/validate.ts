import type { Command } from 'commander';
import { probeModel } from '../../cluster/validation.js';
import { createDriver } from '../../drivers/factory.js';
import { ValidationError } from '../../errors.js';
import { readConfigFile } from '../config-file.js';
import { globals } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { milliseconds } from '../flags.js';
import { table } from '../output.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check the config, then run a probe generation on every node × model')
    .option('--config-only', 'only check the config file')
    .option('--timeout <ms>', 'per-probe timeout', milliseconds, 60_000)
    .action(async (opts: { configOnly?: boolean; timeout: number }, cmd: Command) => {
      const g = globals(cmd);
      const { config, path } = readConfigFile(g.config);
      // A node without models can never be routed to: the config does not describe a usable cluster.
      const empty = config.nodes.filter((n) => n.models.length === 0).map((n) => `"${n.id}"`);
      if (empty.length)
        throw new ValidationError(
          `${empty.length === 1 ? `node ${empty[0]} lists` : `nodes ${empty.join(', ')} list`} no models in ${path}`,
          { hint: 'run `broke-cluster scan-models` with the server up, or add models: to the node' },
        );
      if (opts.configOnly) {
        g.out.result(
          { ok: true, path, nodes: config.nodes.length },
          `${path} is valid (${config.nodes.length} nodes)`,
        );
        return;
      }
      const pairs = config.nodes.flatMap((n) => n.models.map((m) => ({ node: n, model: m.id })));
      const bar = g.out.progress(pairs.length, 'probing models');
      const results = [];
      for (const { node, model } of pairs) {
        const driver = createDriver(node);
        const r = await probeModel(driver, model, { timeoutMs: opts.timeout });
        results.push({ nodeId: node.id, modelId: model, ok: r.ok, ttftMs: r.ttftMs, error: r.error });
        bar.tick(`${node.id} ${model}`);
      }
      bar.stop();
      const ok = results.every((r) => r.ok);
      const rows = results.map((r) => [
        r.nodeId,
        r.modelId,
        r.ok ? 'ok' : 'FAIL',
        r.ttftMs !== undefined ? `${Math.round(r.ttftMs)} ms` : '',
        r.error ?? '',
      ]);
      g.out.result({ ok, path, results }, table(['node', 'model', 'probe', 'ttft', 'error'], rows));
      if (!ok) process.exitCode = EXIT.failed;
    });
}
