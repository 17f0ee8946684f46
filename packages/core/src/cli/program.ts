import { Command, CommanderError } from 'commander';
import { brokeVersion } from '../version.js';
import { registerBenchmark } from './commands/benchmark.js';
import { registerExportConfig } from './commands/export-config.js';
import { registerExportData } from './commands/export-data.js';
import { registerImportBaselines } from './commands/import-baselines.js';
import { registerInit } from './commands/init.js';
import { registerRoute } from './commands/route.js';
import { registerScanModels } from './commands/scan-models.js';
import { registerServe } from './commands/serve.js';
import { registerServer } from './commands/server.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStatus } from './commands/status.js';
import { registerValidate } from './commands/validate.js';
import { DEFAULT_CONFIG_PATH } from './config-file.js';
import { EXIT, errorLine, exitCodeFor } from './exit-codes.js';
import { addCommandHelp } from './help-text.js';

export function buildProgram(): Command {
  const program = new Command('broke-cluster')
    .description('manage a BROKE cluster of self-hosted model servers')
    .version(brokeVersion())
    .option(
      '-c, --config <path>',
      `cluster config file (default: $BROKE_CONFIG, else ./${DEFAULT_CONFIG_PATH}, else ~/.config/broke/${DEFAULT_CONFIG_PATH})`,
    )
    .option('--json', 'machine-readable output')
    // Commander's own errors (unknown command, bad flag value) as one line, like every other failure.
    .configureOutput({
      outputError: (str, write) => write(`${str.trim().split('\n').join(' ')} (run with --help for usage)\n`),
    })
    .exitOverride();
  registerInit(program);
  registerScanModels(program);
  registerBenchmark(program);
  registerExportConfig(program);
  registerExportData(program);
  registerImportBaselines(program);
  registerStatus(program);
  registerValidate(program);
  registerServe(program);
  registerRoute(program);
  registerServer(program);
  registerSimulate(program);
  addCommandHelp(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI; returns the exit code. Failures print one line: `error: <message> (<hint>)`. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the problem (or the help/version text).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`error: ${errorLine(err)}\n`);
    return exitCodeFor(err);
  }
}
