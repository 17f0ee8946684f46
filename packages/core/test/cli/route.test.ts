import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort, type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import type { RouteExplanation } from '../../src/routing/types.js';
import { cli, ensureBuilt } from './helpers.js';

// `broke-cluster route --explain` against a live cluster: one real mlx_lm.server node and one
// configured node that nothing answers on (so the live poll marks it down).
describe('broke-cluster route', () => {
  let live: MlxNode;
  const dir = mkdtempSync(join(tmpdir(), 'broke-route-'));
  const cfg = join(dir, 'broke.yaml');
  const review =
    'Review this function for SQL injection and explain every problem: function q(u){return db.query("SELECT * FROM t WHERE id="+u)}';

  beforeAll(async () => {
    ensureBuilt();
    live = await startMlxNode({ model: 'tiny' });
    const deadPort = await freePort();
    writeFileSync(
      cfg,
      stringify({
        nodes: [
          { id: 'live', url: live.url, models: [{ id: 'broke-tiny', servedName: live.modelPath }] },
          { id: 'dead', url: `http://127.0.0.1:${deadPort}`, models: [{ id: 'broke-large' }] },
        ],
        models: [
          { id: 'broke-tiny', tier: 'small' },
          { id: 'broke-large', tier: 'large', capabilities: ['streaming', 'tools'] },
        ],
        monitor: { timeoutMs: 2000 },
        store: { kind: 'memory' },
      }),
    );
  });
  afterAll(async () => {
    await live?.stop();
  });

  it('routes to the live node and says why the other was removed', async () => {
    const r = await cli(['-c', cfg, 'route', '--explain', '--role', 'code_reviewer', review]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/chose broke-tiny@live/);
    expect(r.stdout).toMatch(/filtered by health: broke-large@dead/);
    expect(r.stdout).toMatch(/objective: quality − 0\.04 × extra time \/ \d+ ms \(a typical request\)/);
    expect(r.stdout).toMatch(/candidate\s+objective\s+quality\s+time ms\s+quality-prior\s+learned-quality/);
  });

  it('--json prints the whole explanation', async () => {
    const r = await cli([
      '-c',
      cfg,
      '--json',
      'route',
      '--explain',
      '--role',
      'code_reviewer',
      '--team',
      'platform',
      review,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as RouteExplanation;
    expect(e.chosen).toMatchObject({ nodeId: 'live', modelId: 'broke-tiny' });
    expect(e.context).toMatchObject({ role: 'code_reviewer', team: 'platform' });
    expect(e.analysis.taskType).toBe('code');
    expect(e.filters.flatMap((f) => f.removed.map((x) => x.nodeId))).toEqual(['dead']);
  });

  it('--offline trusts the config: the unreachable node is a candidate, and a tools request needs it', async () => {
    const r = await cli([
      '-c',
      cfg,
      '--json',
      'route',
      '--offline',
      '--tools',
      'What is the weather in Paris?',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ nodeId: 'dead', modelId: 'broke-large' });
  });

  it('no route: the filter breakdown in text and --json, the error on one line, exit 1', async () => {
    // The tools-capable model's node is down; the live node's model has no tools.
    const text = await cli(['-c', cfg, 'route', '--tools', 'What is the weather in Paris?']);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: No candidate left after the capabilities filter/),
    ]);
    expect(text.stdout).toMatch(/^no route: No candidate left after the capabilities filter/);
    expect(text.stdout).toMatch(/2 candidates \(node × model\), 2 removed:/);
    expect(text.stdout).toMatch(/filtered by health: broke-large@dead \(.+\)/);
    expect(text.stdout).toMatch(/filtered by capabilities: broke-tiny@live \(.*tools.*\)/);

    const json = await cli(['-c', cfg, '--json', 'route', '--tools', 'What is the weather in Paris?']);
    expect(json.code, json.stderr).toBe(1);
    const out = JSON.parse(json.stdout) as {
      ok: boolean;
      error: { code: string };
      candidates: number;
      filters: Array<{ filter: string; removed: Array<{ nodeId: string; modelId: string; reason: string }> }>;
    };
    expect(out).toMatchObject({ ok: false, error: { code: 'no_route' }, candidates: 2 });
    expect(out.filters.map((f) => [f.filter, f.removed.map((r) => `${r.modelId}@${r.nodeId}`)])).toEqual([
      ['health', ['broke-large@dead']],
      ['capabilities', ['broke-tiny@live']],
    ]);
    for (const f of out.filters) for (const r of f.removed) expect(r.reason).not.toBe('');
  });

  it('bad input: one line and a non-zero exit', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['route'], 2, /no prompt given/],
      // The flag as typed (never the field name --taskType), with what it accepts.
      [
        ['route', '--task-type', 'poetry', 'hi'],
        2,
        /'--task-type <type>' argument 'poetry' is invalid\. Allowed choices are code, math/,
      ],
      [['route', '--framework', 'django', 'hi'], 2, /'--framework <name>' argument 'django' is invalid/],
      [
        ['route', '--max-tokens', 'lots', 'hi'],
        2,
        /'--max-tokens <n>' argument 'lots' is invalid\. Expected a count/,
      ],
      [['route', '--max-tokens', '0', 'hi'], 2, /'--max-tokens <n>' argument '0' is invalid/],
      [['route', '--model', 'gpt-9', 'hi'], 2, /gpt-9/],
      [['route', '--tools', 'hi'], 1, /tools/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await cli(['-c', cfg, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(pattern);
    }
    const missing = await cli(['-c', join(dir, 'nope.yaml'), 'route', 'hi']);
    expect(missing.code).toBe(2);
  });
});
