// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${NAME} text in broke.yaml
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { loadConfig } from '../../src/config/loader.js';
import { cli, cliStream, ensureBuilt } from './helpers.js';

/**
 * broke.yaml as a user keeps it (issue 12 item 5), against the built CLI and a real mlx_lm.server:
 * commands that rewrite it keep the user's comments and `${NAME}` references (and never write a
 * secret's value); relative paths mean "next to the config" wherever the CLI runs from; the config
 * is found by --config, BROKE_CONFIG, ./broke.yaml, then the user config folder; BROKE_PORT sets
 * the gateway's port; export-config's `$schema` names a schema file that exists.
 */
describe('broke.yaml: comments, ${NAME}, relative paths, discovery', () => {
  let node: MlxNode;
  let sshd: Sshd;
  const root = mkdtempSync(join(tmpdir(), 'broke-config-file-'));
  const lab = join(root, 'lab');
  const cfg = join(lab, 'broke.yaml');
  // Every command runs from here, not from the config's folder.
  const elsewhere = join(root, 'elsewhere');
  const xdg = join(root, 'xdg');
  const secret = 'sk-lab-node-0123';
  const env = { XDG_CONFIG_HOME: xdg, LAB_NODE_KEY: secret, BROKE_CONFIG: undefined, BROKE_PORT: undefined };
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}, cwd = elsewhere) =>
    cli(args, { cwd, env: { ...env, ...extra } });
  let written = '';

  beforeAll(async () => {
    ensureBuilt();
    for (const d of [lab, elsewhere, xdg]) mkdirSync(d, { recursive: true });
    [node, sshd] = await Promise.all([startMlxNode({ model: 'tiny' }), startSshd()]);
    written = [
      '# Lab cluster, written by hand. Every note here must survive the CLI.',
      'cluster:',
      '  name: lab # shown in status',
      '',
      '# One real mlx_lm.server; its key comes from the environment.',
      'nodes:',
      '  - id: lab-node',
      `    url: "${node.url}"`,
      '    kind: mlx',
      '    apiKey: ${LAB_NODE_KEY}',
      '    models: [] # scan-models fills this',
      '',
      '# Learned statistics live next to this file, wherever the CLI runs from.',
      'store:',
      '  kind: sqlite',
      '  path: state/stats.db',
      '',
      'gateway:',
      '  apiKeys:',
      '    - ${LAB_GATEWAY_KEY:-lab-dev-key-1234} # a default for local runs',
      '',
    ].join('\n');
    writeFileSync(cfg, written);
  });
  afterAll(async () => {
    await Promise.all([node?.stop(), sshd?.stop()]);
  });

  /** The user's own lines: comments (from the `#`) and `${NAME}` references. */
  const expectUserTextKept = (text: string) => {
    const lines = written.split('\n');
    lines.forEach((line, i) => {
      if (line.includes('#')) expect(text).toContain(line.slice(line.indexOf('#')));
      if (line.includes('${')) expect(text).toContain(line.trim());
      // A comment on a line of its own stays above the line it was written for.
      if (line.startsWith('#')) expect(text).toContain(`${line}\n${lines[i + 1]}\n`);
    });
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/^\s*- lab-dev-key-1234/m);
  };

  it('scan-models from another folder adds the served model and keeps comments and ${NAME} text', async () => {
    const r = await run(['-c', cfg, 'scan-models']);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(cfg, 'utf8');
    expectUserTextKept(text);
    // Untouched lines stay byte for byte.
    expect(text.startsWith(written.slice(0, written.indexOf('    models:')))).toBe(true);
    const config = loadConfig(cfg, { env: { LAB_NODE_KEY: secret } });
    expect(config.nodes[0]?.models.map((m) => m.id)).toEqual([node.modelName]);
    expect(config.nodes[0]?.apiKey).toBe(secret);
    expect(config.gateway.apiKeys).toEqual(['lab-dev-key-1234']);
  });

  it('an unset variable: one line naming it and where it is used, exit 2, file unchanged', async () => {
    const before = readFileSync(cfg, 'utf8');
    const r = await run(['-c', cfg, 'scan-models'], { LAB_NODE_KEY: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${cfg}: nodes[0].apiKey uses \${LAB_NODE_KEY}, which is not set (set LAB_NODE_KEY in the environment, or write \${LAB_NODE_KEY:-default})\n`,
    );
    expect(readFileSync(cfg, 'utf8')).toBe(before);
  });

  it('benchmark-sequential from another folder: baselines next to the config, listed in it, comments kept', async () => {
    const r = await run(['-c', cfg, 'benchmark-sequential', '--prompts', 'short', '--max-tokens', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(lab, 'baselines/local.json'))).toBe(true);
    expect(existsSync(join(elsewhere, 'baselines'))).toBe(false);
    const text = readFileSync(cfg, 'utf8');
    expect(parse(text).baselines).toEqual(['baselines/local.json']);
    expectUserTextKept(text);
  });

  it('serve from another folder: the store next to the config; BROKE_PORT sets the port, --port wins', async () => {
    const port = await freePort();
    const serve = cliStream(['-c', cfg, 'serve'], {
      cwd: elsewhere,
      env: { ...env, BROKE_PORT: String(port) },
    });
    try {
      const { line } = await serve.waitFor((l) => l.startsWith('BROKE gateway on'), 60_000);
      expect(line).toContain(`on http://127.0.0.1:${port} (1 baseline priors)`);
      // The gateway key came from ${LAB_GATEWAY_KEY:-...}'s default.
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer lab-dev-key-1234' },
        body: JSON.stringify({
          model: 'broke-auto',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 4,
        }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
    } finally {
      await serve.stop();
    }
    expect(existsSync(join(lab, 'state/stats.db'))).toBe(true);
    expect(existsSync(join(elsewhere, 'state'))).toBe(false);

    const flagPort = await freePort();
    const flagged = cliStream(['-c', cfg, 'serve', '--port', String(flagPort)], {
      cwd: elsewhere,
      env: { ...env, BROKE_PORT: String(port) },
    });
    try {
      const { line } = await flagged.waitFor((l) => l.startsWith('BROKE gateway on'), 60_000);
      expect(line).toContain(`on http://127.0.0.1:${flagPort} `);
    } finally {
      await flagged.stop();
    }

    const bad = await run(['-c', cfg, 'serve'], { BROKE_PORT: 'eighty' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'error: BROKE_PORT "eighty" is not a port (a whole number from 0 to 65535 (0: any free port), or unset it to use gateway.port)\n',
    );
  });

  it("export-config: $schema is a relative path to the package's schema file, which exists", async () => {
    const shipped = JSON.parse(
      readFileSync(new URL('../../schema/baseline.schema.json', import.meta.url), 'utf8'),
    );
    mkdirSync(join(elsewhere, 'share'));
    const out = join(elsewhere, 'share', 'lab.json');
    const r = await run(['-c', cfg, 'export-config', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const toFile = JSON.parse(readFileSync(out, 'utf8')).$schema as string;
    const printed = await run(['-c', cfg, 'export-config']);
    expect(printed.code, printed.stderr).toBe(0);
    const toStdout = JSON.parse(printed.stdout).$schema as string;
    for (const [ref, from] of [
      [toFile, dirname(out)],
      [toStdout, elsewhere],
    ] as const) {
      expect(ref).toMatch(/^(\.\/|\.\.\/).*schema\/baseline\.schema\.json$/);
      const file = resolve(from, ref);
      expect(existsSync(file), file).toBe(true);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(shipped);
    }
  });

  it('discovery: --config, then BROKE_CONFIG, then ./broke.yaml, then $XDG_CONFIG_HOME/broke/broke.yaml', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const where = async (extra: NodeJS.ProcessEnv = {}, args: string[] = []) => {
      const r = await run([...args, '--json', 'validate', '--config-only'], extra, empty);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).path as string;
    };
    const none = await run(['validate', '--config-only'], {}, empty);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      `error: no config file found: looked at ./broke.yaml and ${join(xdg, 'broke/broke.yaml')} (no --config or BROKE_CONFIG given) (run \`broke-cluster init\` to create one, or pass --config)\n`,
    );
    mkdirSync(join(xdg, 'broke'));
    copyFileSync(cfg, join(xdg, 'broke/broke.yaml'));
    expect(await where()).toBe(join(xdg, 'broke/broke.yaml'));
    copyFileSync(cfg, join(empty, 'broke.yaml'));
    expect(await where()).toBe('broke.yaml');
    expect(await where({ BROKE_CONFIG: cfg })).toBe(cfg);
    expect(await where({ BROKE_CONFIG: join(root, 'missing.yaml') }, ['-c', cfg])).toBe(cfg);
    const named = await run(
      ['validate', '--config-only'],
      { BROKE_CONFIG: join(root, 'missing.yaml') },
      empty,
    );
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/^error: Cannot read config file .*missing\.yaml \(named by BROKE_CONFIG\)/);
  });

  it('init: SSH paths typed relative to the current folder are written relative to the config; ./broke.yaml by default', async () => {
    const work = join(root, 'init-work');
    mkdirSync(join(work, 'sub'), { recursive: true });
    writeFileSync(join(work, 'known_hosts'), `${sshd.knownHostsLine}\n`);
    const key = relative(work, sshd.privateKeyPath);
    const r = await run(
      [
        'init',
        '--host',
        '127.0.0.1',
        '--ports',
        String(node.port),
        '--ssh-user',
        sshd.user,
        '--ssh-port',
        String(sshd.port),
        '--ssh-key',
        key,
        '--known-hosts',
        'known_hosts',
        '-o',
        'sub/broke.yaml',
      ],
      {},
      work,
    );
    expect(r.code, r.stderr).toBe(0);
    const written = join(work, 'sub/broke.yaml');
    expect(parse(readFileSync(written, 'utf8')).nodes[0].ssh).toMatchObject({
      privateKeyPath: relative(join(work, 'sub'), sshd.privateKeyPath),
      knownHostsPath: '../known_hosts',
    });
    // From any other folder, SSH finds the key and known_hosts next to the config.
    const scan = await run(['-c', written, '--json', 'scan-models', '--dry-run']);
    expect(scan.code, scan.stderr).toBe(0);
    expect(JSON.parse(scan.stdout).nodes[0].errors).toEqual([]);

    // A user config exists (the discovery test wrote one); init still writes ./broke.yaml here.
    const userConfig = readFileSync(join(xdg, 'broke/broke.yaml'), 'utf8');
    const plain = await run(['init', '--node', node.url], {}, work);
    expect(plain.code, plain.stderr).toBe(0);
    expect(loadConfig(join(work, 'broke.yaml')).nodes[0]?.url).toBe(node.url);
    expect(readFileSync(join(xdg, 'broke/broke.yaml'), 'utf8')).toBe(userConfig);
  });
});
