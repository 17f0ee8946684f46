import { type Command, InvalidArgumentError } from 'commander';
import { checkFilter, type ExportFilter, parseTimeBound } from '../../capture/export-filter.js';
import { ExportedInteractionSchema, interactionJsonSchema } from '../../capture/interaction-schema.js';
import { InteractionStore } from '../../capture/interaction-store.js';
import { ValidationError } from '../../errors.js';
import { writeFileAtomic } from '../atomic-write.js';
import { readConfigFile } from '../config-file.js';
import { globals } from '../context.js';

/** The flags: the export filter's fields, plus where to read and write. */
interface ExportDataOptions extends ExportFilter {
  out?: string;
  store?: string;
  schema?: boolean;
}

/** `--since` / `--until`: an ISO date or date-time, or an age such as 7d. */
function timeBound(value: string): number {
  const ms = parseTimeBound(value, Date.now());
  if (ms === undefined)
    throw new InvalidArgumentError(
      'Expected an ISO 8601 date or date-time (2026-11-30T12:00:00Z) or an age (30m, 12h, 7d, 2w).',
    );
  return ms;
}

/** `--min-rating` / `--max-rating`: ratings are 0..1 (thumbs up is 1). */
function rating(value: string): number {
  const text = value.trim();
  const n = /^(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('Expected a rating from 0 to 1 (e.g. 0.5).');
  return n;
}

/** A non-empty name (a team or role that is blank matches nothing). */
function name(what: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidArgumentError(`Expected a ${what} name.`);
    return value;
  };
}

export function registerExportData(program: Command): void {
  program
    .command('export-data')
    .description(
      'write captured prompts, answers, routing metadata and ratings as JSONL (OpenAI chat fine-tune format + metadata)',
    )
    .option('-o, --out <path>', 'output file, written whole or not at all (default: stdout)')
    .option('--store <path>', 'interactions store to read (default: capture.store.path in the config)')
    .option(
      '--since <time>',
      'only interactions routed at or after this (ISO date/time, or an age: 7d)',
      timeBound,
    )
    .option(
      '--until <time>',
      'only interactions routed at or before this (ISO date/time, or an age)',
      timeBound,
    )
    .option('--team <team>', 'only this team', name('team'))
    .option('--role <role>', 'only this role (case-insensitive)', name('role'))
    .option('--min-rating <0..1>', 'only rated interactions whose mean rating is at least this', rating)
    .option('--max-rating <0..1>', 'only rated interactions whose mean rating is at most this', rating)
    .option('--rated-only', 'only interactions that were rated')
    .option('--schema', 'print the JSON Schema of one line instead')
    .action(async (opts: ExportDataOptions, cmd: Command) => {
      const g = globals(cmd);
      if (opts.schema) {
        g.out.raw(`${JSON.stringify(interactionJsonSchema(), null, 2)}\n`);
        return;
      }
      const filter = checkFilter({
        ...(opts.since !== undefined ? { since: opts.since } : {}),
        ...(opts.until !== undefined ? { until: opts.until } : {}),
        ...(opts.team !== undefined ? { team: opts.team } : {}),
        ...(opts.role !== undefined ? { role: opts.role } : {}),
        ...(opts.minRating !== undefined ? { minRating: opts.minRating } : {}),
        ...(opts.maxRating !== undefined ? { maxRating: opts.maxRating } : {}),
        ...(opts.ratedOnly ? { ratedOnly: true } : {}),
      } satisfies ExportFilter);
      const store = InteractionStore.openReadOnly(opts.store ?? capturePath(g.config));
      let text = '';
      let count = 0;
      try {
        // Every line is checked against the published schema before anything is written.
        for (const line of store.query(filter)) {
          text += `${JSON.stringify(ExportedInteractionSchema.parse(line))}\n`;
          count += 1;
        }
      } finally {
        store.close();
      }
      if (opts.out) {
        writeFileAtomic(opts.out, text);
        g.out.result({ path: opts.out, interactions: count }, `wrote ${opts.out} (${count} interactions)`);
      } else g.out.raw(text);
    });
}

/** The store the config's capture block names; capture off is said plainly. */
function capturePath(configPath: string): string {
  const { config, path } = readConfigFile(configPath);
  if (!config.capture)
    throw new ValidationError(`capture is off in ${path}: no prompts or answers were stored`, {
      hint: 'add a capture block (capture.teams) and serve requests first, or pass --store',
    });
  return config.capture.store.path;
}
