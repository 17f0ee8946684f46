import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandKey, helpFor } from '../../src/cli/help-text.js';
import { buildProgram } from '../../src/cli/program.js';
import { cli, ensureBuilt } from './helpers.js';

/** Every command and subcommand, as `server start`. */
function allCommands(): string[] {
  const keys: string[] = [];
  const visit = (c: Command) => {
    keys.push(commandKey(c));
    c.commands.forEach(visit);
  };
  buildProgram().commands.forEach(visit);
  return keys;
}

/** Shell words of an example, without leading VAR=value assignments and `< file` redirections. */
function argvOf(example: string): string[] {
  const words = [...example.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  while (words[0] && /^[A-Z_]+=/.test(words[0])) words.shift();
  const redirect = words.indexOf('<');
  return redirect === -1 ? words : words.slice(0, redirect);
}

class Parsed extends Error {}

/** Parse a command line with the real program, stopping right before the action would run. */
async function parseOnly(argv: string[]): Promise<string> {
  const program = buildProgram();
  let ran = '';
  program.hook('preAction', (_root, action) => {
    ran = commandKey(action);
    throw new Parsed();
  });
  try {
    await program.parseAsync(['node', ...argv]);
  } catch (err) {
    if (!(err instanceof Parsed)) throw err;
  }
  return ran;
}

describe('broke-cluster <command> --help (issue 12 item 7)', () => {
  beforeAll(() => ensureBuilt());
  const commands = allCommands();

  it('knows every command', () => {
    expect(commands).toEqual(expect.arrayContaining(['init', 'serve', 'route', 'server start', 'simulate']));
  });

  it.each(commands)('%s --help: the global options it uses, examples, the environment', async (key) => {
    const r = await cli([...key.split(' '), '--help']);
    expect(r.code, r.stderr).toBe(0);
    const section = (title: string) => r.stdout.split(`\n${title}:\n`)[1]?.split('\n\n')[0] ?? '';
    const globals = section('Global Options');
    expect(globals).toContain('--json');
    expect(globals).not.toContain('--version');
    if (key === 'simulate') expect(globals).not.toContain('--config');
    else expect(globals).toMatch(/-c, --config <path>\s+cluster config file \(default: \$BROKE_CONFIG, else/);
    const examples = section('Examples').split('\n');
    expect(examples.length).toBeGreaterThan(0);
    for (const line of examples)
      expect(line).toMatch(new RegExp(`^  \\$ (\\S+=\\S+ )?broke-cluster .*${key}`));
    const env = section('Environment');
    if (key !== 'simulate') expect(env).toMatch(/BROKE_CONFIG\s+config file when --config is not given/);
    if (key === 'serve') {
      expect(env).toMatch(/BROKE_HOST\s+address to listen on/);
      expect(env).toMatch(/BROKE_PORT\s+port to listen on/);
    }
    if (key.startsWith('server') || key === 'init') expect(env).toContain('BROKE_SSH_PASSPHRASE');
  });

  it('every example is a command line the CLI accepts, for the command it documents', async () => {
    for (const key of commands) {
      const examples = helpFor(key)?.examples ?? [];
      expect(examples.length, key).toBeGreaterThan(0);
      for (const example of examples) {
        const argv = argvOf(example);
        expect(argv[0], example).toBe('broke-cluster');
        // A parent command's examples run its subcommands.
        expect(await parseOnly(argv), example).toMatch(new RegExp(`^${key}`));
      }
    }
  });

  it('the top-level help lists every environment variable', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const name of [
      'BROKE_CONFIG',
      'XDG_CONFIG_HOME',
      'BROKE_HOST',
      'BROKE_PORT',
      'BROKE_SSH_PASSPHRASE',
    ])
      expect(r.stdout).toContain(`  ${name} `);
  });
});
