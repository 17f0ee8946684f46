import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../../../testbed/index.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { cli, ensureBuilt } from './helpers.js';

// Every command's bad input: a one-line reason on stderr and a documented exit code.
const dir = mkdtempSync(join(tmpdir(), 'broke-cli-err-'));
const COMMANDS = [
  'init',
  'scan-models',
  'benchmark-sequential',
  'export-config',
  'import-baselines',
  'status',
  'validate',
  'serve',
  'route',
  'server',
  'server start',
  'server stop',
  'server status',
  'server logs',
];

function expectOneLineError(r: { code: number; stderr: string }, code: number, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

describe('broke-cluster: help and bad input', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    ensureBuilt();
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it.each(COMMANDS)('%s --help exits 0', async (command) => {
    const r = await cli([...command.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: broke-cluster');
  });

  it('missing config file', async () => {
    for (const command of [
      'status',
      'scan-models',
      'benchmark-sequential',
      'export-config',
      'validate',
      'serve',
    ]) {
      const r = await cli(['-c', join(dir, 'nope.yaml'), command]);
      expectOneLineError(r, 2, /Cannot read config file .*nope\.yaml \(run `broke-cluster init`/);
    }
    expectOneLineError(
      await cli(['-c', join(dir, 'nope.yaml'), 'import-baselines', join(dir, 'x.json')]),
      2,
      /Cannot read/,
    );
  });

  it('invalid YAML and invalid config', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'nodes: [\n  - id: a\n');
    expectOneLineError(await cli(['-c', join(dir, 'bad.yaml'), 'status']), 2, /not valid YAML \(line \d+/);
    writeFileSync(join(dir, 'invalid.yaml'), stringify({ nodes: [{ id: 'a', url: 'not a url' }] }));
    expectOneLineError(await cli(['-c', join(dir, 'invalid.yaml'), 'validate']), 2, /nodes\[0\]\.url/);
  });

  it('bad flags', async () => {
    // --no-discover: plain `init` would browse mDNS, which tests do only in their own namespace.
    expectOneLineError(await cli(['init', '--no-discover']), 2, /needs at least one --host or --node/);
    expectOneLineError(
      await cli(['init', '--host', '127.0.0.1', '--ports', 'x']),
      2,
      /'--ports <list>' argument 'x' is invalid\. Expected a comma-separated list of ports/,
    );
    expectOneLineError(await cli(['init', '--node', 'nope']), 2, /is not a URL/);
    const r = await cli(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });

  it('unreachable host: init finds nothing, status reports the node down', async () => {
    const port = await freePort();
    // --json: no progress lines on stderr, only the error.
    const r = await cli([
      '-c',
      join(dir, 'unreach.yaml'),
      '--json',
      'init',
      '--host',
      '127.0.0.1',
      '--ports',
      String(port),
      '--timeout',
      '300',
    ]);
    expectOneLineError(
      r,
      3,
      new RegExp(`^error: 127\\.0\\.0\\.1: no model server answers on ports ${port} `),
    );
    expect(existsSync(join(dir, 'unreach.yaml'))).toBe(false);
    writeFileSync(
      join(dir, 'down.yaml'),
      stringify({ nodes: [{ id: 'gone', url: `http://127.0.0.1:${port}` }] }),
    );
    const s = await cli(['-c', join(dir, 'down.yaml'), 'status']);
    expect(s.code).toBe(1);
    expect(s.stdout).toMatch(/gone\s+DOWN/);
    const v = await cli(['-c', join(dir, 'down.yaml'), '--json', 'status']);
    expect(JSON.parse(v.stdout).nodes[0]).toMatchObject({ id: 'gone', up: false });
  });

  it('SSH: unreachable port, wrong client key, unknown and changed host keys', async () => {
    const node = (ssh: Record<string, unknown>) =>
      stringify({
        nodes: [{ id: 'n', url: 'http://127.0.0.1:9', ssh: { host: '127.0.0.1', user: sshd.user, ...ssh } }],
      });
    const port = await freePort();
    writeFileSync(join(dir, 'ssh-down.yaml'), node({ port, privateKeyPath: sshd.privateKeyPath }));
    expectOneLineError(
      await cli(['-c', join(dir, 'ssh-down.yaml'), 'server', 'status', 'n']),
      3,
      /cannot reach SSH.*ECONNREFUSED/,
    );

    const kh = join(dir, 'known_hosts');
    writeFileSync(kh, `${sshd.knownHostsLine}\n`);
    const otherKey = join(sshd.dir, 'host_ed25519'); // a key the server does not accept for login
    writeFileSync(
      join(dir, 'ssh-key.yaml'),
      node({ port: sshd.port, privateKeyPath: otherKey, knownHostsPath: kh }),
    );
    expectOneLineError(
      await cli(['-c', join(dir, 'ssh-key.yaml'), 'server', 'status', 'n']),
      3,
      /authentication failed/,
    );

    writeFileSync(join(dir, 'empty_kh'), '');
    writeFileSync(
      join(dir, 'ssh-unknown.yaml'),
      node({ port: sshd.port, privateKeyPath: sshd.privateKeyPath, knownHostsPath: join(dir, 'empty_kh') }),
    );
    expectOneLineError(
      await cli(['-c', join(dir, 'ssh-unknown.yaml'), 'server', 'status', 'n']),
      4,
      new RegExp(`unknown \\(${sshd.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}\\).*pin it`),
    );
    writeFileSync(
      join(dir, 'ssh-pinned.yaml'),
      node({
        port: sshd.port,
        privateKeyPath: sshd.privateKeyPath,
        hostKeyFingerprint: 'SHA256:wrongwrongwrong',
      }),
    );
    expectOneLineError(
      await cli(['-c', join(dir, 'ssh-pinned.yaml'), 'server', 'status', 'n']),
      4,
      /not the pinned/,
    );

    writeFileSync(
      join(dir, 'ssh-ok.yaml'),
      node({
        port: sshd.port,
        privateKeyPath: sshd.privateKeyPath,
        hostKeyFingerprint: sshd.hostKeyFingerprint,
      }),
    );
    const ok = await cli(['-c', join(dir, 'ssh-ok.yaml'), 'server', 'status', 'n']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/n not running/);
    expectOneLineError(
      await cli(['-c', join(dir, 'ssh-ok.yaml'), 'server', 'logs', 'other']),
      2,
      /no node "other"/,
    );
  });

  it('bad baselines files', async () => {
    writeFileSync(
      join(dir, 'ok.yaml'),
      stringify({ nodes: [{ id: 'a', url: 'http://127.0.0.1:9' }], baselines: ['missing.json'] }),
    );
    expectOneLineError(
      await cli(['-c', join(dir, 'ok.yaml'), 'export-config']),
      2,
      /baselines file .*missing\.json cannot be read/,
    );
    writeFileSync(join(dir, 'garbage.json'), '{"kind": "broke-community-baseline"');
    expectOneLineError(
      await cli(['-c', join(dir, 'ok.yaml'), 'import-baselines', join(dir, 'garbage.json')]),
      2,
      /not valid JSON/,
    );
    writeFileSync(join(dir, 'wrong.json'), '{"kind": "broke-community-baseline", "schemaVersion": 1}');
    expectOneLineError(
      await cli(['-c', join(dir, 'ok.yaml'), 'import-baselines', join(dir, 'wrong.json')]),
      2,
      /invalid at/,
    );
    expectOneLineError(
      await cli(['-c', join(dir, 'ok.yaml'), 'benchmark-sequential', '--prompts', 'poem']),
      2,
      /unknown prompt "poem"/,
    );
  });
});
