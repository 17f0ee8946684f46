import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  type BaselineFile,
  type BaselineResult,
  type BenchPrompt,
  BenchPromptSchema,
} from '../../cluster/baseline-schema.js';
import { measureGeneration } from '../../cluster/measure.js';
import { createDriver } from '../../drivers/factory.js';
import { ValidationError } from '../../errors.js';
import { probeHardware } from '../../ssh/hardware.js';
import { SshPool } from '../../ssh/pool.js';
import { writeFileAtomic } from '../atomic-write.js';
import { readConfigFile, writeConfigFile } from '../config-file.js';
import { globals } from '../context.js';
import { errorLine } from '../exit-codes.js';
import { milliseconds, positiveCount } from '../flags.js';
import { table } from '../output.js';
import { PartialFailureError, type TargetFailure } from '../partial-failure.js';
import { STANDARD_SUITE, SUITE_NAME } from '../prompts.js';

interface BenchOptions {
  out: string;
  prompts?: string;
  repeat: number;
  maxTokens?: number;
  timeout: number;
  updateConfig: boolean;
  allowPartial?: boolean;
}

export function registerBenchmark(program: Command): void {
  program
    .command('benchmark-sequential')
    .description('run the standard prompt suite on every node × model, one at a time; store baselines')
    .option('-o, --out <path>', 'baselines file (relative to the config file)', 'baselines/local.json')
    .option('--prompts <list>', 'subset of short,long,code,chat')
    .option('--repeat <n>', 'runs per prompt', positiveCount, 1)
    .option('--max-tokens <n>', "override each prompt's max tokens", positiveCount)
    .option('--timeout <ms>', 'per-request timeout', milliseconds, 120_000)
    .option('--no-update-config', 'do not add the file to `baselines` in the config')
    .option('--allow-partial', 'write the baselines even when some runs fail (their failures are recorded)')
    .action(async (opts: BenchOptions, cmd: Command) => {
      const g = globals(cmd);
      const file = readConfigFile(g.config);
      const prompts = parsePrompts(opts.prompts);
      const repeat = opts.repeat;
      const pairs = file.config.nodes.flatMap((n) => n.models.map((m) => ({ node: n, model: m })));
      if (!pairs.length)
        throw new ValidationError('no node lists any model', {
          hint: 'run `broke-cluster scan-models` first',
        });
      const results: BaselineResult[] = [];
      const nodesInfo: BaselineFile['nodes'] = [];
      const pool = new SshPool();
      const bar = g.out.progress(pairs.length * prompts.length * repeat, 'benchmarking');
      try {
        for (const node of file.config.nodes) {
          const info: BaselineFile['nodes'][number] = { id: node.id, kind: node.kind };
          if (node.ssh) {
            const hw = await pool
              .get(node.ssh)
              .then((c) => probeHardware(c))
              .catch(() => undefined);
            if (hw)
              info.hardware = {
                os: hw.os,
                ...(hw.arch ? { arch: hw.arch } : {}),
                ...(hw.cpu ? { cpu: hw.cpu } : {}),
                ...(hw.cores ? { cores: hw.cores } : {}),
                ...(hw.memoryGb ? { memoryGb: hw.memoryGb } : {}),
              };
          }
          nodesInfo.push(info);
          const driver = createDriver(node);
          for (const model of node.models) {
            for (const prompt of prompts) {
              for (let i = 0; i < repeat; i++) {
                const p = STANDARD_SUITE[prompt];
                const m = await measureGeneration(driver, model.id, p.messages, {
                  maxTokens: opts.maxTokens ?? p.maxTokens,
                  timeoutMs: opts.timeout,
                });
                const r: BaselineResult = {
                  nodeId: node.id,
                  modelId: model.id,
                  prompt,
                  success: m.ok,
                  totalMs: round(m.totalMs),
                  completionTokens: m.completionTokens,
                };
                if (m.ttftMs !== undefined) r.ttftMs = round(m.ttftMs);
                if (m.prefillTokensPerSec !== undefined) r.prefillTokensPerSec = round(m.prefillTokensPerSec);
                if (m.decodeTokensPerSec !== undefined) r.decodeTokensPerSec = round(m.decodeTokensPerSec);
                if (m.promptTokens !== undefined) r.promptTokens = m.promptTokens;
                if (m.error) r.error = m.error;
                results.push(r);
                bar.tick(`${node.id} ${model.id} ${prompt}`);
              }
            }
            const mem = await memoryAfter(pool, node.ssh);
            if (mem !== undefined)
              for (const r of results)
                if (r.nodeId === node.id && r.modelId === model.id) r.freeMemoryGb = mem;
          }
        }
      } finally {
        bar.stop();
        await pool.closeAll();
      }
      const doc: BaselineFile = {
        kind: 'broke-baseline',
        schemaVersion: 1,
        createdAt: new Date().toISOString(),
        suite: SUITE_NAME,
        nodes: nodesInfo,
        models: file.config.models.map((m) => ({
          id: m.id,
          ...(m.quantization ? { quantization: m.quantization } : {}),
          ...(m.parameters ? { parameters: m.parameters } : {}),
        })),
        results,
      };
      // A failed run would become a baseline that says "this model fails here": only on request.
      const failed: TargetFailure[] = [];
      for (const r of results)
        if (!r.success && !failed.some((f) => f.where === `${r.nodeId} ${r.modelId}`))
          failed.push({
            where: `${r.nodeId} ${r.modelId}`,
            error: new Error(r.error ?? `${r.prompt} failed`),
          });
      if (failed.length && (!opts.allowPartial || failed.length === pairs.length))
        throw new PartialFailureError(failed, pairs.length, 'node × model');
      for (const f of failed) g.out.warn(`${f.where}: ${errorLine(f.error)}`);
      const configDir = dirname(resolve(file.path));
      const outPath = isAbsolute(opts.out) ? opts.out : resolve(configDir, opts.out);
      mkdirSync(dirname(outPath), { recursive: true });
      writeFileAtomic(outPath, `${JSON.stringify(doc, null, 2)}\n`);
      const listed = isAbsolute(opts.out) ? outPath : relative(configDir, outPath);
      if (opts.updateConfig && !(file.raw.baselines ?? []).includes(listed))
        writeConfigFile(file.path, { ...file.raw, baselines: [...(file.raw.baselines ?? []), listed] });
      const rows = results.map((r) => [
        r.nodeId,
        r.modelId,
        r.prompt,
        r.success ? 'ok' : `FAIL ${r.error ?? ''}`.slice(0, 40),
        fmt(r.ttftMs, 'ms'),
        fmt(r.prefillTokensPerSec, 't/s'),
        fmt(r.decodeTokensPerSec, 't/s'),
        fmt(r.freeMemoryGb, 'GiB'),
      ]);
      g.out.result(
        { path: outPath, baselines: doc },
        `${table(['node', 'model', 'prompt', 'result', 'ttft', 'prefill', 'decode', 'free mem'], rows)}\nwrote ${outPath}`,
      );
    });
}

function parsePrompts(list: string | undefined): BenchPrompt[] {
  if (!list) return BenchPromptSchema.options;
  const out = list.split(',').map((p) => p.trim());
  for (const p of out)
    if (!BenchPromptSchema.safeParse(p).success)
      throw new ValidationError(`unknown prompt "${p}"`, {
        hint: `choose from ${BenchPromptSchema.options.join(',')}`,
      });
  return out as BenchPrompt[];
}

async function memoryAfter(
  pool: SshPool,
  ssh: Parameters<SshPool['get']>[0] | undefined,
): Promise<number | undefined> {
  if (!ssh) return undefined;
  try {
    return (await probeHardware(await pool.get(ssh))).freeMemoryGb;
  } catch (err) {
    void errorLine(err);
    return undefined;
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
const fmt = (n: number | undefined, unit: string) => (n === undefined ? '' : `${round(n)} ${unit}`);
