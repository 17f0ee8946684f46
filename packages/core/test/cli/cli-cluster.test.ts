import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureVenv, freePort, type MlxNode, offlineEnv, startMlxNode } from '../../../../testbed/index.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { CommunityBaselineSchema } from '../../src/cluster/baseline-schema.js';
import { loadBaselines } from '../../src/cluster/baselines.js';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { loadConfig } from '../../src/config/loader.js';
import { Router } from '../../src/routing/router.js';
import { cli, cliStream, ensureBuilt } from './helpers.js';

// Integration: the built CLI against two real mlx_lm.server nodes (127.0.0.1 and 127.0.0.2) and a
// real sshd listening on both addresses. Steps run in order and share the config file.
describe('broke-cluster on a loopback cluster', () => {
  let sshd: Sshd;
  let a: MlxNode;
  let b: MlxNode;
  const dir = mkdtempSync(join(tmpdir(), 'broke-cli-'));
  const cfg = join(dir, 'broke.yaml');

  beforeAll(async () => {
    ensureBuilt();
    [sshd, a, b] = await Promise.all([
      startSshd({ addresses: ['127.0.0.2'] }),
      startMlxNode({ model: 'tiny', host: '127.0.0.1' }),
      startMlxNode({ model: 'small', host: '127.0.0.2' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), sshd?.stop()]);
  });

  const nodeIdOf = (url: string) => loadConfig(cfg).nodes.find((n) => n.url === url)?.id as string;

  it('init: checks SSH, probes hardware, finds both servers, writes a valid broke.yaml', async () => {
    const r = await cli([
      '-c',
      cfg,
      '--json',
      'init',
      '--host',
      '127.0.0.1',
      '--host',
      '127.0.0.2',
      '--ports',
      `${a.port},${b.port}`,
      '--ssh-user',
      sshd.user,
      '--ssh-port',
      String(sshd.port),
      '--ssh-key',
      sshd.privateKeyPath,
      '--ssh-fingerprint',
      sshd.hostKeyFingerprint,
      '--model-dir',
      dirname(a.modelPath),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const config = loadConfig(cfg);
    expect(config.nodes).toHaveLength(2);
    const na = config.nodes.find((n) => n.url === a.url);
    const nb = config.nodes.find((n) => n.url === b.url);
    expect(na).toMatchObject({
      kind: 'mlx',
      models: [{ id: 'tiny', servedName: a.modelPath, path: a.modelPath }],
    });
    expect(nb).toMatchObject({ kind: 'mlx', models: [{ id: 'small', servedName: b.modelPath }] });
    expect(na?.memoryGb).toBeGreaterThan(0);
    expect(na?.ssh).toMatchObject({
      host: '127.0.0.1',
      port: sshd.port,
      hostKeyFingerprint: sshd.hostKeyFingerprint,
    });
    expect(nb?.ssh?.host).toBe('127.0.0.2');
    expect(config.models.map((m) => m.id).sort()).toEqual(['small', 'tiny']);
    expect(config.models.find((m) => m.id === 'tiny')?.contextLength).toBeGreaterThan(0);
    // Refuses to overwrite without --force.
    const again = await cli(['-c', cfg, 'init', '--node', a.url]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists \(pass --force/);
  });

  it('scan-models: lists the generated models served and on disk', async () => {
    const r = await cli(['-c', cfg, '--json', 'scan-models', '--model-dir', dirname(a.modelPath)]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      nodes: Array<{ nodeId: string; served: string[]; disk: Array<{ name: string; path: string }> }>;
    };
    const sa = out.nodes.find((n) => n.nodeId === nodeIdOf(a.url));
    expect(sa?.served).toContain(a.modelPath);
    expect(sa?.disk.map((d) => d.name)).toEqual(expect.arrayContaining(['tiny', 'small', 'leaky']));
    const text = await cli(['-c', cfg, 'scan-models', '--dry-run']);
    expect(text.stdout).toMatch(/tiny\s+served/);
    // Disk-only models land in the catalog, not in a node's served list.
    const config = loadConfig(cfg);
    expect(config.models.map((m) => m.id)).toContain('leaky');
    expect(config.nodes.find((n) => n.url === a.url)?.models.map((m) => m.id)).toEqual(['tiny']);
  });

  it('validate: probe generation per model', async () => {
    const r = await cli(['-c', cfg, '--json', 'validate']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, results: [{ ok: true }, { ok: true }] });
  });

  it('benchmark-sequential: numbers for both nodes, stored as baselines the router uses', async () => {
    const r = await cli([
      '-c',
      cfg,
      '--json',
      'benchmark-sequential',
      '--prompts',
      'short,chat',
      '--max-tokens',
      '16',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { path, baselines } = JSON.parse(r.stdout);
    expect(path).toBe(join(dir, 'baselines/local.json'));
    expect(baselines.results).toHaveLength(4);
    for (const res of baselines.results) {
      expect(res.success).toBe(true);
      expect(res.ttftMs).toBeGreaterThan(0);
      expect(res.decodeTokensPerSec).toBeGreaterThan(0);
      expect(res.prefillTokensPerSec).toBeGreaterThan(0);
    }
    expect(baselines.nodes[0].hardware.memoryGb).toBeGreaterThan(0);
    const config = loadConfig(cfg);
    // Listed relative to the config in the file; loaded, it resolves next to the config.
    expect(parse(readFileSync(cfg, 'utf8')).baselines).toEqual(['baselines/local.json']);
    expect(config.baselines).toEqual([join(dir, 'baselines/local.json')]);

    // Startup path: seed ClusterState.perf, then the router's latency scorer reads measured figures.
    const cluster = new ClusterState(config.nodes);
    const seeded = await loadBaselines(config.baselines, cluster, { baseDir: dir, nodes: config.nodes });
    expect(seeded).toHaveLength(2);
    for (const n of config.nodes) expect(cluster.perf(n.id, n.models[0]?.id as string)?.samples).toBe(2);
    const router = await Router.create({ config, cluster });
    try {
      const decision = router.route({ model: 'broke-latency', messages: [{ role: 'user', content: 'hi' }] });
      const notes = decision.explanation.ranked.map((c) => c.terms['run-time']?.note ?? '');
      expect(notes.length).toBe(2);
      for (const note of notes) expect(note).toMatch(/measured/);
    } finally {
      await router.close();
    }
  });

  it('export-config: validates against its schema and leaks no host, user, key or path', async () => {
    const out = join(dir, 'community.json');
    const r = await cli(['-c', cfg, 'export-config', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    const doc = CommunityBaselineSchema.parse(JSON.parse(text));
    expect(doc.entries.map((e) => e.model.id).sort()).toEqual(['small', 'small', 'tiny', 'tiny']);
    expect(doc.entries[0]?.hardware?.memoryGb).toBeGreaterThan(0);
    expect(new Set(doc.entries.map((e) => e.machine))).toEqual(new Set(['machine-1', 'machine-2']));
    for (const secret of [
      '127.0.0.',
      hostname(),
      `"${sshd.user}"`,
      `/${sshd.user}/`,
      sshd.privateKeyPath,
      sshd.hostKeyFingerprint,
      dirname(a.modelPath),
      dir,
      'ssh',
      nodeIdOf(a.url),
      nodeIdOf(b.url),
    ]) {
      expect(text, secret).not.toContain(secret);
    }
    // The published JSON Schema is what --schema prints.
    const schema = await cli(['export-config', '--schema']);
    expect(JSON.parse(schema.stdout)).toEqual(
      JSON.parse(readFileSync(new URL('../../schema/baseline.schema.json', import.meta.url), 'utf8')),
    );
  });

  it("import-baselines: others' figures become priors for a fresh config", async () => {
    const fresh = join(dir, 'fresh', 'broke.yaml');
    const raw = parse(readFileSync(cfg, 'utf8'));
    raw.baselines = [];
    await import('node:fs').then((fs) => fs.mkdirSync(dirname(fresh), { recursive: true }));
    writeFileSync(fresh, stringify(raw));
    const r = await cli(['-c', fresh, '--json', 'import-baselines', join(dir, 'community.json')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.baselines).toEqual(['baselines/imported-community.json']);
    expect(out.seeded.map((s: { source: string }) => s.source)).toEqual(['community', 'community']);
    expect(loadConfig(fresh).baselines).toEqual([join(dirname(fresh), 'baselines/imported-community.json')]);
  });

  it('status --watch: a killed node shows down within the configured interval and up after restart', async () => {
    const raw = parse(readFileSync(cfg, 'utf8'));
    raw.monitor = { intervalMs: 300, timeoutMs: 400, downAfter: 2, upAfter: 1 };
    writeFileSync(cfg, stringify(raw));
    const idA = nodeIdOf(a.url);
    const watch = cliStream(['-c', cfg, '--json', 'status', '--watch']);
    type Line = { nodes: Array<{ id: string; up: boolean; validatedModels: string[] }> };
    const nodeUp = (line: string, id: string) =>
      (JSON.parse(line) as Line).nodes.find((n) => n.id === id)?.up;
    try {
      const first = await watch.waitFor(
        (l) => (JSON.parse(l) as Line).nodes.every((n) => n.up && n.validatedModels.length === 1),
        30_000,
      );
      a.kill('SIGKILL');
      const killedAt = Date.now();
      const down = await watch.waitFor((l) => nodeUp(l, idA) === false, 10_000, first.index + 1);
      // downAfter polls of (interval + timeout), plus scheduling slack.
      expect(Date.now() - killedAt).toBeLessThan(2 * (300 + 400) + 1500);
      expect((JSON.parse(down.line) as Line).nodes.find((n) => n.id !== idA)?.up).toBe(true);
      await a.restart();
      await watch.waitFor((l) => nodeUp(l, idA) === true, 30_000, down.index + 1);
    } finally {
      await watch.stop();
    }
  });

  it('server start/stop: manages a real mlx_lm.server over SSH with a configured command', async () => {
    const venv = await ensureVenv();
    const port = await freePort();
    const managed = join(dir, 'managed.yaml');
    const nodeA = loadConfig(cfg).nodes.find((n) => n.url === a.url);
    writeFileSync(
      managed,
      stringify({
        nodes: [
          {
            id: 'managed',
            url: `http://127.0.0.1:${port}`,
            models: [{ id: 'tiny', path: a.modelPath }],
            ssh: nodeA?.ssh,
          },
        ],
      }),
    );
    const start = await cli([
      '-c',
      managed,
      'server',
      'start',
      'managed',
      '--command',
      JSON.stringify([
        `${venv}/bin/mlx_lm.server`,
        '--model',
        '{model}',
        '--host',
        '{host}',
        '--port',
        '{port}',
      ]),
      '--env',
      'HF_HUB_OFFLINE=1',
      '--env',
      `HF_HOME=${offlineEnv().HF_HOME}`,
    ]);
    try {
      expect(start.code, start.stderr).toBe(0);
      expect(start.stdout).toMatch(/started managed \(pid \d+, serving its port\)/);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).ok).toBe(true);
      const status = await cli(['-c', managed, 'server', 'status', 'managed']);
      expect(status.stdout).toMatch(/managed running/);
      const logs = await cli(['-c', managed, 'server', 'logs', 'managed', '-n', '5']);
      expect(logs.code).toBe(0);
    } finally {
      const stop = await cli(['-c', managed, 'server', 'stop', 'managed']);
      expect(stop.code, stop.stderr).toBe(0);
    }
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    rmSync(join(homedir(), '.broke/logs/managed.log'), { force: true });
  });

  it('serve: starts the gateway with monitor and baselines, and routes a chat', async () => {
    const serve = cliStream(['-c', cfg, 'serve', '--port', '0']);
    try {
      const { line } = await serve.waitFor((l) => l.startsWith('BROKE gateway on'), 60_000);
      const url = /on (http:\/\/\S+)/.exec(line)?.[1] as string;
      expect(line).toMatch(/\(2 baseline priors\)/);
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'broke-auto',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 8,
        }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    } finally {
      await serve.stop();
    }
  });
});
