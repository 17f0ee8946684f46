import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort, type MlxNode, startMlxNode, waitFor } from '../../../../testbed/index.js';
import type { StatusReport } from '../../src/cluster/status-report.js';
import { cli, cliStream, ensureBuilt } from './helpers.js';

type StatusJson = StatusReport & { source: 'gateway' | 'probe'; gateway?: string; probed?: string };

// `status` asks the running gateway (its in-flight requests, its queue, last errors, learned
// quality) and polls the nodes itself only when no gateway answers. A real gateway (`serve`) in
// front of a real mlx_lm.server that is frozen (SIGSTOP) so requests stay in flight, and a node
// that nothing answers on.
describe('broke-cluster status: from the running gateway, else by polling', () => {
  let live: MlxNode;
  let serve: ReturnType<typeof cliStream> | undefined;
  let gateway = '';
  const dir = mkdtempSync(join(tmpdir(), 'broke-cli-status-'));
  const cfg = join(dir, 'broke.yaml');
  const auth = { authorization: 'Bearer user-key', 'content-type': 'application/json' };
  const chat = () =>
    fetch(`${gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        model: 'broke-auto',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 4,
      }),
    });

  beforeAll(async () => {
    ensureBuilt();
    const [node, port, deadPort] = await Promise.all([
      startMlxNode({ model: 'tiny' }),
      freePort(),
      freePort(),
    ]);
    live = node;
    gateway = `http://127.0.0.1:${port}`;
    writeFileSync(
      cfg,
      stringify({
        nodes: [
          {
            id: 'live',
            url: live.url,
            models: [{ id: 'tiny', servedName: live.modelPath }],
            maxConcurrency: 2,
          },
          { id: 'gone', url: `http://127.0.0.1:${deadPort}`, models: [{ id: 'tiny' }] },
        ],
        gateway: { host: '127.0.0.1', port, apiKeys: ['user-key'], adminKeys: ['admin-key'] },
        // One poll at start: the frozen node must not be declared down while the test looks.
        monitor: { intervalMs: 600_000, timeoutMs: 2000 },
        store: { kind: 'memory' },
      }),
    );
  });
  afterAll(async () => {
    live?.kill('SIGCONT');
    await serve?.stop();
    await live?.stop();
  });

  it('without a gateway it polls the nodes, and a DOWN node says why', async () => {
    const r = await cli(['-c', cfg, '--json', 'status', '--no-validate']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as StatusJson;
    expect(out.source).toBe('probe');
    expect(out.probed).toMatch(new RegExp(`no gateway answers at ${gateway.replace(/[.:/]/g, '\\$&')}`));
    expect(out.nodes.find((n) => n.id === 'live')).toMatchObject({ up: true, inFlight: 0 });
    expect(out.nodes.find((n) => n.id === 'gone')).toMatchObject({
      up: false,
      lastError: { message: expect.stringMatching(/ECONNREFUSED/) },
    });
    const text = await cli(['-c', cfg, 'status', '--no-validate']);
    expect(text.stdout).toMatch(/^polled the nodes from here \(no gateway answers at/);
    expect(text.stdout).toMatch(/gone\s+DOWN\s+.*ECONNREFUSED/);
  });

  it('with a gateway running it shows the gateway’s in-flight requests, queue, last errors and learned quality', async () => {
    serve = cliStream(['-c', cfg, 'serve']);
    await serve.waitFor((l) => l.startsWith('BROKE gateway on'), 60_000);
    // One answered request, rated: learned quality for tiny.
    const first = await chat();
    expect(first.status, await first.clone().text()).toBe(200);
    const routeId = ((await first.json()) as { id: string }).id;
    const rated = await fetch(`${gateway}/v1/feedback`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ route_id: routeId, score: 0.9 }),
    });
    expect(rated.status).toBe(200);
    // The status endpoint is behind the keys like the rest of the API.
    expect((await fetch(`${gateway}/v1/status`)).status).toBe(401);
    // A gateway for other nodes on the configured port says nothing about this config's nodes.
    const other = join(dir, 'other.yaml');
    writeFileSync(
      other,
      stringify({
        nodes: [{ id: 'elsewhere', url: live.url, models: [{ id: 'tiny', servedName: live.modelPath }] }],
        gateway: { port: Number(new URL(gateway).port), adminKeys: ['admin-key'], apiKeys: ['user-key'] },
      }),
    );
    const elsewhere = await cli(['-c', other, '--json', 'status', '--no-validate']);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(JSON.parse(elsewhere.stdout)).toMatchObject({
      source: 'probe',
      probed: expect.stringMatching(/serves other nodes \(gone, live\)/),
    });

    // Freeze the node: two requests stay in flight (maxConcurrency 2), a third waits in the gateway.
    live.kill('SIGSTOP');
    const pending = [chat(), chat(), chat()];
    try {
      await waitFor(
        async () => {
          const res = await fetch(`${gateway}/v1/status`, { headers: { authorization: 'Bearer admin-key' } });
          const s = (await res.json()) as StatusReport;
          const n = s.nodes.find((x) => x.id === 'live');
          return n?.inFlight === 2 && n.waiting === 1;
        },
        'two requests in flight and one waiting',
        30_000,
        100,
      );
      const r = await cli(['-c', cfg, '--json', 'status']);
      expect(r.code, r.stderr).toBe(1); // `gone` is down
      const out = JSON.parse(r.stdout) as StatusJson;
      expect(out).toMatchObject({ source: 'gateway', gateway });
      expect(out.nodes.find((n) => n.id === 'live')).toMatchObject({
        up: true,
        inFlight: 2,
        waiting: 1,
        capacity: 2,
        validatedModels: ['tiny'],
      });
      expect(out.nodes.find((n) => n.id === 'gone')).toMatchObject({
        up: false,
        lastError: { message: expect.stringMatching(/ECONNREFUSED/) },
      });
      const tiny = out.quality.filter((q) => q.modelId === 'tiny');
      expect(tiny.length).toBeGreaterThan(0);
      for (const q of tiny) expect(q.evidence).toBeGreaterThan(0);

      const text = await cli(['-c', cfg, 'status']);
      expect(text.stdout).toMatch(new RegExp(`^from the gateway at ${gateway.replace(/[.:/]/g, '\\$&')}`));
      expect(text.stdout).toMatch(/live\s+up\s+mlx\s+tiny\s+.*\s2\s+1\s+0\s/);
      expect(text.stdout).toMatch(/gone\s+DOWN\s+.*ECONNREFUSED/);
      expect(text.stdout).toMatch(/learned quality[^\n]*\n[^\n]*\n[^\n]*\ntiny\s+(low|medium|high)\s+\d/);

      // Polling the nodes directly cannot see the gateway's requests.
      const probe = await cli(['-c', cfg, '--json', 'status', '--no-gateway', '--no-validate'], {
        timeoutMs: 60_000,
      });
      const probed = JSON.parse(probe.stdout) as StatusJson;
      expect(probed.source).toBe('probe');
      expect(probed.nodes.find((n) => n.id === 'live')?.inFlight).toBe(0);
    } finally {
      live.kill('SIGCONT');
    }
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('--gateway names one that must answer: exit 3 when it does not; a bad URL is exit 2', async () => {
    const port = await freePort();
    const r = await cli(['-c', cfg, 'status', '--gateway', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^error: no gateway answers at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`),
      ),
    ]);
    const bad = await cli(['-c', cfg, 'status', '--gateway', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --gateway nope is not an http\(s\) URL/);
  });
});
