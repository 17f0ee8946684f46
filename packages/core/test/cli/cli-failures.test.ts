import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort, type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { loadConfig } from '../../src/config/loader.js';
import { type CliResult, cli, ensureBuilt } from './helpers.js';

// Issue 12 item 4: a command that failed exits non-zero with its documented class, says why in one
// line, and leaves every file as it was; warnings that change the outcome (SSH failure, dead node,
// no models, failed runs) are errors unless --allow-partial. Real sshd, real mlx_lm.server.
describe('broke-cluster: failed commands exit non-zero and write nothing', () => {
  let sshd: Sshd;
  let live: MlxNode;
  let deadPort: number;
  const dir = mkdtempSync(join(tmpdir(), 'broke-cli-fail-'));
  /** A config a user wrote by hand (with a comment) that a failed command must not touch. */
  const ORIGINAL = '# my cluster, by hand\nnodes:\n  - id: keep-me\n    url: http://127.0.0.1:9 # not used\n';

  beforeAll(async () => {
    ensureBuilt();
    [sshd, live, deadPort] = await Promise.all([startSshd(), startMlxNode({ model: 'tiny' }), freePort()]);
  });
  afterAll(async () => {
    await Promise.all([sshd?.stop(), live?.stop()]);
  });

  function handWritten(name: string, text = ORIGINAL): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  function expectFailure(r: CliResult, code: number, pattern: RegExp): string {
    expect(r.code, r.stderr).toBe(code);
    const lines = r.stderr.trim().split('\n');
    const errors = lines.filter((l) => l.startsWith('error: '));
    expect(errors, r.stderr).toHaveLength(1);
    // Progress lines may come first; the error is the last line and the only one.
    expect(lines.at(-1)).toBe(errors[0]);
    expect(errors[0]).toMatch(pattern);
    return errors[0] as string;
  }

  const initArgs = (cfg: string, ...extra: string[]) => [
    '-c',
    cfg,
    'init',
    '--force',
    '--host',
    '127.0.0.1',
    '--ports',
    String(live.port),
    '--ssh-user',
    sshd.user,
    '--timeout',
    '3000',
    ...extra,
  ];

  it.each([
    [
      'an unknown host key',
      () => {
        writeFileSync(join(dir, 'empty_known_hosts'), '');
        return [
          '--ssh-port',
          String(sshd.port),
          '--ssh-key',
          sshd.privateKeyPath,
          '--known-hosts',
          join(dir, 'empty_known_hosts'),
        ];
      },
      4,
      /^error: 127\.0\.0\.1: .*unknown \(SHA256:.*\(nothing was written\)$/,
    ],
    [
      'a fingerprint that is not the pinned one',
      () => [
        '--ssh-port',
        String(sshd.port),
        '--ssh-key',
        sshd.privateKeyPath,
        '--ssh-fingerprint',
        'SHA256:wrongwrongwrong',
      ],
      4,
      /^error: 127\.0\.0\.1: .*not the pinned/,
    ],
    [
      'a key file that does not exist',
      () => [
        '--ssh-port',
        String(sshd.port),
        '--ssh-key',
        join(dir, 'no_such_key'),
        '--ssh-fingerprint',
        sshd.hostKeyFingerprint,
      ],
      2,
      /^error: 127\.0\.0\.1: SSH key .*no_such_key not found/,
    ],
    [
      'a key the server refuses',
      // The host's own key: a real key the server does not accept for login.
      () => [
        '--ssh-port',
        String(sshd.port),
        '--ssh-key',
        join(sshd.dir, 'host_ed25519'),
        '--ssh-fingerprint',
        sshd.hostKeyFingerprint,
      ],
      3,
      /^error: 127\.0\.0\.1: SSH authentication failed/,
    ],
    [
      'a refused connection',
      () => [
        '--ssh-port',
        String(deadPort),
        '--ssh-key',
        sshd.privateKeyPath,
        '--ssh-fingerprint',
        sshd.hostKeyFingerprint,
      ],
      3,
      /^error: 127\.0\.0\.1: cannot reach SSH .*ECONNREFUSED/,
    ],
  ])(
    'init with %s fails with its exit code and leaves the config byte for byte',
    async (_what, flags, code, pattern) => {
      const cfg = handWritten('ssh.yaml');
      expectFailure(await cli(initArgs(cfg, ...flags())), code, pattern);
      expect(readFileSync(cfg, 'utf8')).toBe(ORIGINAL);
    },
  );

  it('init --allow-partial writes the reachable server without SSH and warns', async () => {
    const cfg = handWritten('partial.yaml');
    const r = await cli(
      initArgs(cfg, '--ssh-port', String(deadPort), '--ssh-key', sshd.privateKeyPath, '--allow-partial'),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: 127\.0\.0\.1: cannot reach SSH/m);
    const node = loadConfig(cfg).nodes[0];
    expect(node).toMatchObject({ url: live.url, kind: 'mlx' });
    expect(node?.ssh).toBeUndefined();
  });

  it('init --node where nothing listens fails (exit 3); with --allow-partial it is written and validate fails on it', async () => {
    const cfg = handWritten('node.yaml');
    const url = `http://127.0.0.1:${deadPort}`;
    expectFailure(
      await cli(['-c', cfg, 'init', '--force', '--node', url, '--timeout', '500']),
      3,
      new RegExp(
        `^error: ${url.replace(/[.:/]/g, '\\$&')}: no model server answers at ${url.replace(/[.:/]/g, '\\$&')}`,
      ),
    );
    expect(readFileSync(cfg, 'utf8')).toBe(ORIGINAL);

    const partial = await cli([
      '-c',
      cfg,
      'init',
      '--force',
      '--node',
      url,
      '--timeout',
      '500',
      '--allow-partial',
    ]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stderr).toMatch(/^warning: .*no model server answers at/m);
    expect(loadConfig(cfg).nodes[0]?.models).toEqual([]);
    const written = readFileSync(cfg, 'utf8');
    for (const args of [['validate', '--config-only'], ['validate']]) {
      expectFailure(
        await cli(['-c', cfg, ...args]),
        2,
        /^error: node "127\.0\.0\.1" lists no models in .*node\.yaml \(run `broke-cluster scan-models`/,
      );
    }
    expect(readFileSync(cfg, 'utf8')).toBe(written);
  });

  it('scan-models: a dead node fails the command and nothing is written; --allow-partial writes the rest', async () => {
    const text = `# two nodes, one of them gone\n${stringify({
      nodes: [
        { id: 'live', url: live.url, models: [] },
        { id: 'gone', url: `http://127.0.0.1:${deadPort}`, models: [{ id: 'm' }] },
      ],
    })}`;
    const cfg = handWritten('scan.yaml', text);
    const gone = /gone: listing models on node gone failed/;
    const r = await cli(['-c', cfg, 'scan-models']);
    expect(
      expectFailure(r, 3, /^error: 1 of 2 nodes failed: gone: listing models on node gone failed/),
    ).toMatch(/nothing was written; --allow-partial writes what worked/);
    expect(readFileSync(cfg, 'utf8')).toBe(text);
    expectFailure(await cli(['-c', cfg, 'scan-models', '--dry-run']), 3, gone);

    // Every node down: an error even with --allow-partial, and the file is left alone.
    const allDead = handWritten(
      'scan-dead.yaml',
      `# all gone\n${stringify({ nodes: [{ id: 'gone', url: `http://127.0.0.1:${deadPort}`, models: [{ id: 'm' }] }] })}`,
    );
    const before = readFileSync(allDead, 'utf8');
    expectFailure(
      await cli(['-c', allDead, 'scan-models', '--allow-partial']),
      3,
      /^error: gone: listing models/,
    );
    expect(readFileSync(allDead, 'utf8')).toBe(before);

    const partial = await cli(['-c', cfg, 'scan-models', '--allow-partial']);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stderr).toMatch(/^warning: gone: listing models on node gone failed/m);
    expect(
      loadConfig(cfg)
        .nodes.find((n) => n.id === 'live')
        ?.models.map((m) => m.id),
    ).toEqual(['tiny']);
    // Scanning again finds nothing new: the file is not rewritten.
    const now = readFileSync(cfg, 'utf8');
    const again = await cli(['-c', cfg, 'scan-models', '--allow-partial']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already up to date/);
    expect(readFileSync(cfg, 'utf8')).toBe(now);
  });

  it('benchmark-sequential: bad numbers stop it before it runs; failed runs write no baselines unless --allow-partial', async () => {
    const text = `# bench\n${stringify({
      nodes: [
        { id: 'live', url: live.url, models: [{ id: 'tiny', servedName: live.modelPath }] },
        { id: 'gone', url: `http://127.0.0.1:${deadPort}`, models: [{ id: 'm' }] },
      ],
      baselines: [],
    })}`;
    const cfg = handWritten('bench.yaml', text);
    const baselines = join(dir, 'baselines', 'local.json');
    for (const [flag, value] of [
      ['--repeat', 'abc'],
      ['--repeat', '0'],
      ['--max-tokens', '1e3'],
      ['--timeout', '12abc'],
    ]) {
      expectFailure(
        await cli(['-c', cfg, 'benchmark-sequential', flag as string, value as string]),
        2,
        new RegExp(`^error: option '${flag} <\\w+>' argument '${value}' is invalid\\. Expected `),
      );
    }
    expect(existsSync(baselines)).toBe(false);

    const args = ['-c', cfg, 'benchmark-sequential', '--prompts', 'short', '--max-tokens', '4'];
    expectFailure(
      await cli(args),
      1,
      /^error: 1 of 2 node × models failed: gone m: .*nothing was written; --allow-partial/,
    );
    expect(existsSync(baselines)).toBe(false);
    expect(readFileSync(cfg, 'utf8')).toBe(text);

    const partial = await cli([...args, '--allow-partial']);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stderr).toMatch(/^warning: gone m: /m);
    expect(
      JSON.parse(readFileSync(baselines, 'utf8')).results.map((r: { success: boolean }) => r.success),
    ).toEqual([true, false]);
    expect(parse(readFileSync(cfg, 'utf8')).baselines).toEqual(['baselines/local.json']);
  });

  it('numeric flags everywhere: one line naming the flag as typed, exit 2, before any config is read', async () => {
    const missing = join(dir, 'missing.yaml');
    for (const [args, pattern] of [
      [
        ['status', '--interval', 'abc'],
        /'--interval <ms>' argument 'abc' is invalid\. Expected milliseconds/,
      ],
      [['status', '--watch', '--count', '-1'], /'--count <n>' argument '-1' is invalid/],
      [['serve', '--port', '99999'], /'--port <port>' argument '99999' is invalid\. Expected a port, or 0/],
      [['validate', '--timeout', 'soon'], /'--timeout <ms>' argument 'soon' is invalid/],
      [['init', '--host', '127.0.0.1', '--ssh-port', '0'], /'--ssh-port <port>' argument '0' is invalid/],
      [['init', '--host', '127.0.0.1', '--ports', '8080,99999'], /'--ports <list>' argument '8080,99999'/],
      [['server', 'logs', 'n', '-n', 'many'], /'-n, --lines <n>' argument 'many' is invalid/],
      [['server', 'start', 'n', '--ready-timeout', '5s'], /'--ready-timeout <ms>' argument '5s' is invalid/],
      [
        ['route', '--task-type', 'cooking', 'hi'],
        /'--task-type <type>' argument 'cooking' is invalid\. Allowed choices are code/,
      ],
    ] as Array<[string[], RegExp]>) {
      const r = await cli(['-c', missing, ...args]);
      const line = expectFailure(r, 2, pattern);
      // Not the raw zod JSON, not the field name.
      expect(line).not.toMatch(/[[{]|taskType/);
    }
  });
});
