import type { Command, Option } from 'commander';

/**
 * What `broke-cluster <command> --help` adds to commander's usage: the global options that
 * command uses, examples and the environment variables it reads. Kept in one table so a new
 * command gets its help in one place (the help test fails for a command without examples).
 */

const ENV: Record<string, string> = {
  BROKE_CONFIG: 'config file when --config is not given',
  XDG_CONFIG_HOME: 'with no ./broke.yaml, $XDG_CONFIG_HOME/broke/broke.yaml is read (default ~/.config)',
  BROKE_HOST: 'address to listen on when --host is not given (wins over gateway.host)',
  BROKE_PORT: 'port to listen on when --port is not given (wins over gateway.port)',
  BROKE_SSH_PASSPHRASE: 'passphrase of an encrypted SSH private key',
  SSH_AUTH_SOCK: 'ssh-agent to use when a node has no ssh.privateKeyPath',
};

/** `${NAME}` references in broke.yaml read the environment too (config/interpolate.ts). */
const REFERENCES: [string, string] = [
  `\${NAME}`,
  `any variable broke.yaml refers to, e.g. apiKey: \${STUDIO_KEY}`,
];

const CONFIG_ENV = ['BROKE_CONFIG', 'XDG_CONFIG_HOME'];
const SSH_ENV = ['BROKE_SSH_PASSPHRASE', 'SSH_AUTH_SOCK'];

interface CommandHelp {
  examples: string[];
  env: string[];
  /** Global options (long names) this command uses; default: all. */
  globals?: string[];
  /** It reads broke.yaml, so `${NAME}` references in it are read from the environment too. */
  readsConfig?: boolean;
}

const SERVER = { env: [...CONFIG_ENV, ...SSH_ENV], readsConfig: true };

const HELP: Record<string, CommandHelp> = {
  init: {
    examples: [
      'broke-cluster init --host 192.168.1.20 --host 192.168.1.21 --ssh-user me --ssh-key ~/.ssh/id_ed25519',
      'broke-cluster init --node http://10.0.0.5:11434 -o lab.yaml',
    ],
    env: ['BROKE_CONFIG', ...SSH_ENV],
  },
  'scan-models': {
    examples: [
      'broke-cluster scan-models --dry-run',
      'broke-cluster scan-models --model-dir /Volumes/models',
    ],
    env: [...CONFIG_ENV, ...SSH_ENV],
    readsConfig: true,
  },
  'benchmark-sequential': {
    examples: [
      'broke-cluster benchmark-sequential',
      'broke-cluster benchmark-sequential --prompts short,chat --repeat 3 --max-tokens 64',
    ],
    env: [...CONFIG_ENV, ...SSH_ENV],
    readsConfig: true,
  },
  'export-config': {
    examples: ['broke-cluster export-config -o my-macs.json', 'broke-cluster export-config --schema'],
    env: CONFIG_ENV,
    readsConfig: true,
  },
  'export-data': {
    examples: [
      'broke-cluster export-data --team research --since 7d -o research.jsonl',
      'broke-cluster export-data --role reviewer --rated-only --min-rating 0.8 -o good.jsonl',
      'broke-cluster export-data --schema',
    ],
    env: CONFIG_ENV,
    readsConfig: true,
  },
  'import-baselines': {
    examples: ['broke-cluster import-baselines shared/m2-ultra.json'],
    env: CONFIG_ENV,
    readsConfig: true,
  },
  status: {
    examples: ['broke-cluster status', 'broke-cluster --json status --watch --interval 1000 --count 5'],
    env: [...CONFIG_ENV, ...SSH_ENV],
    readsConfig: true,
  },
  validate: {
    examples: ['broke-cluster validate', 'broke-cluster -c lab.yaml validate --config-only'],
    env: CONFIG_ENV,
    readsConfig: true,
  },
  serve: {
    examples: ['broke-cluster serve', 'BROKE_PORT=9000 broke-cluster serve --no-request-log'],
    env: [...CONFIG_ENV, 'BROKE_HOST', 'BROKE_PORT', ...SSH_ENV],
    readsConfig: true,
  },
  route: {
    examples: [
      'broke-cluster route --explain --role code_reviewer "Review this diff for bugs"',
      'broke-cluster --json route --offline --task-type code - < prompt.txt',
    ],
    env: CONFIG_ENV,
    readsConfig: true,
  },
  server: {
    examples: ['broke-cluster server start studio', 'broke-cluster server logs studio -n 100'],
    ...SERVER,
  },
  'server start': {
    examples: [
      'broke-cluster server start studio',
      "broke-cluster server start studio --command '/opt/venv/bin/mlx_lm.server --model {model} --host {host} --port {port}'",
    ],
    ...SERVER,
  },
  'server restart': { examples: ['broke-cluster server restart studio --model /models/qwen-7b'], ...SERVER },
  'server stop': { examples: ['broke-cluster server stop studio'], ...SERVER },
  'server status': { examples: ['broke-cluster --json server status studio'], ...SERVER },
  'server logs': { examples: ['broke-cluster server logs studio -n 100'], ...SERVER },
  simulate: {
    examples: [
      'broke-cluster simulate',
      'broke-cluster simulate --nodes 100 --agents 500 --policies broke-balanced,least-busy -o sim.md',
    ],
    env: [],
    globals: ['json'],
  },
};

/** `server start` for a subcommand, `status` for a command. */
export function commandKey(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function helpFor(key: string): CommandHelp | undefined {
  return HELP[key];
}

function section(title: string, rows: Array<[string, string]>): string {
  if (!rows.length) return '';
  const width = Math.max(...rows.map(([k]) => k.length));
  return `\n${title}:\n${rows.map(([k, v]) => (v ? `  ${k.padEnd(width)}  ${v}` : `  ${k}`)).join('\n')}\n`;
}

function helpText(help: CommandHelp): string {
  const env = help.env.map((name): [string, string] => [name, ENV[name] ?? '']);
  if (help.readsConfig) env.push(REFERENCES);
  return (
    section(
      'Examples',
      help.examples.map((e): [string, string] => [`$ ${e}`, '']),
    ) + section('Environment', env)
  );
}

/** Adds the global options, examples and environment to every command's --help. */
export function addCommandHelp(program: Command): void {
  const visit = (cmd: Command) => {
    const help = helpFor(commandKey(cmd));
    cmd.configureHelp({
      showGlobalOptions: true,
      visibleGlobalOptions: (c: Command): Option[] => {
        const own = helpFor(commandKey(c))?.globals;
        const options: Option[] = [];
        for (let p = c.parent; p; p = p.parent)
          for (const o of p.options)
            if (!o.hidden && o.long !== '--version' && (!own || own.includes(o.attributeName())))
              options.push(o);
        return options;
      },
    });
    if (help) cmd.addHelpText('after', helpText(help));
    for (const sub of cmd.commands) visit(sub);
  };
  for (const cmd of program.commands) visit(cmd);
  program.addHelpText(
    'after',
    `${section(
      'Environment',
      Object.entries(ENV).concat([REFERENCES]),
    )}\n\`broke-cluster <command> --help\` shows examples per command; docs/cli.md has the details.\n`,
  );
}
