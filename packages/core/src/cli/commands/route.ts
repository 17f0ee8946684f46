import { existsSync, readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { clusterFromConfig } from '../../cluster/cluster-from-config.js';
import type { Capability } from '../../config/schema.js';
import {
  type AgentContext,
  AgentContextSchema,
  FrameworkSchema,
  TaskTypeSchema,
} from '../../context/agent-context.js';
import { type NoRouteBreakdown, NoRouteError, ValidationError } from '../../errors.js';
import { Router } from '../../routing/router.js';
import type { RouteExplanation } from '../../routing/types.js';
import { MemoryStatsStore } from '../../stores/memory-stats-store.js';
import { openStatsStore } from '../../stores/open-stats-store.js';
import type { StatsStore } from '../../stores/stats-store.js';
import { readConfigFile } from '../config-file.js';
import { globals } from '../context.js';
import { positiveCount } from '../flags.js';
import { table } from '../output.js';

interface RouteOptions {
  explain?: boolean;
  role?: string;
  team?: string;
  taskType?: string;
  session?: string;
  framework?: string;
  model?: string;
  maxTokens?: number;
  tools?: boolean;
  jsonMode?: boolean;
  system?: string;
  offline?: boolean;
}

/** The learned statistics the gateway wrote, if any; never creates a database just to read it. */
function storeFor(config: ReturnType<typeof readConfigFile>['config']): StatsStore {
  if (config.store.kind === 'sqlite' && !existsSync(config.store.path)) return new MemoryStatsStore();
  return openStatsStore(config.store);
}

/** The flag a context field comes from, for messages that name what the user typed. */
const FLAG_OF: Record<string, string> = { taskType: 'task-type', sessionId: 'session' };

function contextFrom(opts: RouteOptions): AgentContext {
  const parsed = AgentContextSchema.safeParse({
    role: opts.role,
    team: opts.team,
    taskType: opts.taskType,
    sessionId: opts.session,
    framework: opts.framework,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'context');
    throw new ValidationError(`--${FLAG_OF[field] ?? field}: ${issue?.message ?? 'invalid'}`, {
      hint: 'see broke-cluster route --help',
    });
  }
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as AgentContext;
}

/** One line per removed candidate: which filter, which node × model, why. */
function removalLines(filters: RouteExplanation['filters']): string[] {
  return filters.flatMap((verdict) =>
    verdict.removed.map((r) => `filtered by ${verdict.filter}: ${r.modelId}@${r.nodeId} (${r.reason})`),
  );
}

/** Why nothing is left: the error, then every filter's removals in the order they ran. */
function noRouteText(err: NoRouteError, b: NoRouteBreakdown): string {
  const removed = b.filters.reduce((n, f) => n + f.removed.length, 0);
  return [
    `no route: ${err.message}`,
    `${b.candidates} candidate${b.candidates === 1 ? '' : 's'} (node × model), ${removed} removed:`,
    ...removalLines(b.filters),
  ].join('\n');
}

function explanationText(e: RouteExplanation): string {
  const lines = [e.summary, ''];
  lines.push(...removalLines(e.filters));
  if (e.filters.length > 0) lines.push('');
  lines.push(`objective: ${e.objective.description} (reply ~${e.objective.expectedOutputTokens} tokens)`, '');
  // One column per factor: quality terms in points, time terms in ms.
  const factors = Object.keys(e.ranked[0]?.terms ?? {});
  const rows = e.ranked.map((c) => [
    `${c.modelId}@${c.nodeId}`,
    c.total.toFixed(3),
    c.quality.toFixed(2),
    `${Math.round(c.timeMs)}`,
    ...factors.map((f) => {
      const term = c.terms[f];
      if (!term) return '';
      return term.adds === 'quality' ? term.value.toFixed(2) : `${Math.round(term.value)}ms`;
    }),
  ]);
  lines.push(table(['candidate', 'objective', 'quality', 'time ms', ...factors], rows));
  return lines.join('\n');
}

export function registerRoute(program: Command): void {
  program
    .command('route')
    .description('show where a prompt would be routed, and why (nothing is sent to a model)')
    .argument('[prompt...]', 'the user message ("-" reads it from stdin)')
    .option(
      '--explain',
      "print every filter removal, each candidate's predicted quality and time, and every factor's term",
    )
    .option('--role <role>', 'agent role, e.g. code_reviewer')
    .option('--team <team>', 'agent team')
    .addOption(new Option('--task-type <type>', 'force the task type').choices(TaskTypeSchema.options))
    .option('--session <id>', 'conversation/session id')
    .addOption(new Option('--framework <name>', 'the agent framework').choices(FrameworkSchema.options))
    .option('--model <model>', 'broke-auto, broke-<profile> or a model id to pin', 'broke-auto')
    .option('--max-tokens <n>', 'max_tokens of the request', positiveCount)
    .option('--system <text>', 'a system message before the prompt')
    .option('--tools', 'the request carries tools (needs a tools-capable model)')
    .option('--json-mode', 'the request asks for JSON output')
    .option('--offline', 'do not poll the nodes; assume every node is up')
    .action(async (words: string[], opts: RouteOptions, cmd: Command) => {
      const g = globals(cmd);
      const prompt = words.length === 1 && words[0] === '-' ? readFileSync(0, 'utf8') : words.join(' ');
      if (!prompt.trim())
        throw new ValidationError('no prompt given', { hint: 'broke-cluster route "your prompt"' });
      const maxTokens = opts.maxTokens;
      const ctx = contextFrom(opts);

      const file = readConfigFile(g.config);
      const { config } = file;
      // Unless --offline, one look at the live cluster without hysteresis: a node that does not
      // answer now is down. The monitor is not needed after that look.
      const { cluster, monitor } = await clusterFromConfig(config, {
        configPath: file.path,
        monitor: { downAfter: 1, upAfter: 1 },
        poll: !opts.offline,
      });
      await monitor.stop();
      const router = await Router.create({ config, cluster, store: storeFor(config) });
      try {
        const requires: Capability[] = [];
        if (opts.tools) requires.push('tools');
        if (opts.jsonMode) requires.push('json');
        const messages = [
          ...(opts.system ? [{ role: 'system' as const, content: opts.system }] : []),
          { role: 'user' as const, content: prompt },
        ];
        let decision: ReturnType<Router['route']>;
        try {
          decision = router.route(
            {
              messages,
              model: opts.model,
              ...(maxTokens ? { maxTokens } : {}),
              ...(requires.length ? { requires } : {}),
            },
            ctx,
          );
        } catch (err) {
          // No candidate left: show which filter removed which candidate (stdout), then fail
          // with the one-line error (stderr, exit 1).
          if (err instanceof NoRouteError && err.breakdown)
            g.out.result(
              {
                ok: false,
                error: { code: err.code, message: err.message, hint: err.hint },
                candidates: err.breakdown.candidates,
                filters: err.breakdown.filters,
              },
              noRouteText(err, err.breakdown),
            );
          throw err;
        }
        const explanation = decision.explanation;
        const text = opts.explain
          ? explanationText(explanation)
          : `${decision.modelId}@${decision.nodeId}  ${explanation.summary}`;
        g.out.result(
          opts.explain
            ? explanation
            : {
                routeId: decision.routeId,
                nodeId: decision.nodeId,
                modelId: decision.modelId,
                summary: explanation.summary,
              },
          text,
        );
      } finally {
        await router.close();
      }
    });
}
