import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { cli, cliStream, ensureBuilt } from './helpers.js';

/**
 * Issue 12's acceptance: docs/cli.md followed literally from an empty folder, against real
 * mlx_lm.server nodes of different sizes and the real sshd, with no file edited by hand:
 * init → scan-models → validate → benchmark-sequential → serve. Then routing must use what
 * commissioning found: a hard code review goes to the large-tier model, a greeting to the small
 * one, and the loaded models score warm.
 */
describe('commissioning a cluster by the book (docs/cli.md)', () => {
  let sshd: Sshd;
  let small: MlxNode;
  let large: MlxNode;
  let gateway: ReturnType<typeof cliStream> | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'broke-commission-'));
  // Every command runs in the folder, with no -c: the config is ./broke.yaml, as in the docs.
  const run = (args: string[]) => cli(args, { cwd: dir });
  const file = () => parse(readFileSync(join(dir, 'broke.yaml'), 'utf8'));

  beforeAll(async () => {
    ensureBuilt();
    [sshd, small, large] = await Promise.all([
      startSshd({ addresses: ['127.0.0.2'] }),
      startMlxNode({ model: 'tiny', host: '127.0.0.1' }),
      startMlxNode({ model: 'medium', host: '127.0.0.2' }),
    ]);
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([small?.stop(), large?.stop(), sshd?.stop()]);
  });

  const modelOf = (node: MlxNode) => node.modelName;

  it('init: finds both servers over SSH and writes sizes and tiers from the model files', async () => {
    const r = await run([
      'init',
      '--host',
      '127.0.0.1',
      '--host',
      '127.0.0.2',
      '--ports',
      `${small.port},${large.port}`,
      '--ssh-user',
      sshd.user,
      '--ssh-port',
      String(sshd.port),
      '--ssh-key',
      sshd.privateKeyPath,
      '--ssh-fingerprint',
      sshd.hostKeyFingerprint,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const models = file().models as Array<Record<string, unknown>>;
    const tiny = models.find((m) => m.id === modelOf(small));
    const medium = models.find((m) => m.id === modelOf(large));
    // From the safetensors headers: exact element counts (the generator's shapes), in billions.
    expect(tiny).toMatchObject({ parameters: 0.000136, quantization: 'float32', contextLength: 4096 });
    expect(medium).toMatchObject({ parameters: 0.0032, quantization: 'float32', contextLength: 4096 });
    expect(tiny?.memoryGb).toBeGreaterThan(0);
    expect(tiny?.diskGb).toBeGreaterThan(0);
    // The generated models' chat template renders `tools`: both take tool calls.
    expect(tiny?.capabilities).toEqual(['streaming', 'tools']);
    expect(medium?.capabilities).toEqual(['streaming', 'tools']);
    // Both are far below the size prior's floor, so they are ranked within the cluster.
    expect(tiny?.tier).toBe('small');
    expect(medium?.tier).toBe('large');
  });

  it('scan-models: keeps what init wrote and adds nothing by hand', async () => {
    const before = file();
    const r = await run(['scan-models']);
    expect(r.code, r.stderr).toBe(0);
    const after = file();
    for (const m of before.models as Array<{ id: string }>)
      expect((after.models as Array<{ id: string }>).find((x) => x.id === m.id)).toMatchObject(m);
    expect(after.nodes.map((n: { models: unknown[] }) => n.models)).toEqual(
      before.nodes.map((n: { models: unknown[] }) => n.models),
    );
  });

  it('validate: a probe generation per model', async () => {
    const r = await run(['validate']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('benchmark-sequential: measured speeds become routing priors', async () => {
    const r = await run(['benchmark-sequential']);
    expect(r.code, r.stderr).toBe(0);
    expect(file().baselines).toEqual(['baselines/local.json']);
  });

  interface Explanation {
    explored: boolean;
    summary: string;
    chosen: { modelId: string };
    ranked: Array<{ modelId: string; terms: Record<string, { adds: string; value: number; note?: string }> }>;
  }
  /** How much better the size prior expects the large-tier model to answer than the small one. */
  const priorLead = (e: Explanation) => {
    const prior = (id: string) =>
      e.ranked.find((c) => c.modelId === id)?.terms['quality-prior']?.value ?? NaN;
    return prior(modelOf(large)) - prior(modelOf(small));
  };
  const warmth = (e: Explanation) => e.ranked.map((c) => c.terms['cold-load']?.note);

  it('serve: a hard code review goes to the large-tier model, a greeting to the small one; loaded models are warm', async () => {
    gateway = cliStream(['serve', '--port', '0'], { cwd: dir });
    const { line } = await gateway.waitFor((l) => l.startsWith('BROKE gateway on '), 60_000);
    const url = /on (http:\/\/\S+)/.exec(line)?.[1] as string;
    // The monitor validates each node before routing to it.
    for (let i = 0; ; i++) {
      const health = (await (await fetch(`${url}/health`)).json()) as { nodes: Array<{ up: boolean }> };
      if (health.nodes.every((n) => n.up)) break;
      if (i > 600) throw new Error(`nodes not up: ${JSON.stringify(health)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ask = async (content: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'broke-auto', max_tokens: 16, messages: [{ role: 'user', content }] }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const routeId = res.headers.get('x-broke-route-id') as string;
      const explanation = (await (await fetch(`${url}/v1/routes/${routeId}`)).json()) as Explanation;
      return { model: res.headers.get('x-broke-model'), explanation };
    };
    // A route may explore (routing.explorationRate); the decision under test is the one that does not.
    let review = await ask(HARD_REVIEW, { 'X-Broke-Role': 'code_reviewer' });
    for (let i = 0; i < 4 && review.explanation.explored; i++)
      review = await ask(HARD_REVIEW, { 'X-Broke-Role': 'code_reviewer' });
    expect(review.explanation.explored).toBe(false);
    expect(review.model, review.explanation.summary).toBe(modelOf(large));
    // The server lists the path it serves; the router knows the model by id: both are warm.
    expect(warmth(review.explanation)).toEqual(['warm: loaded on the node', 'warm: loaded on the node']);
    // A greeting goes to the small model: any model answers it, so the faster one wins.
    let hello = await ask('Hi there!');
    for (let i = 0; i < 4 && hello.explanation.explored; i++) hello = await ask('Hi there!');
    expect(hello.explanation.explored).toBe(false);
    expect(hello.model, hello.explanation.summary).toBe(modelOf(small));
    expect(priorLead(review.explanation)).toBeGreaterThan(0.5);
    expect(priorLead(review.explanation)).toBeGreaterThan(10 * priorLead(hello.explanation));
    // init read the models' chat templates (they render tools), so an agent's tool call is served
    // instead of answered 400 for want of a `tools` capability nobody wrote by hand.
    const tools = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'broke-auto',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather for a city',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
        ],
      }),
    });
    expect(tools.status, await tools.clone().text()).toBe(200);
  });

  it('route --explain --json: the same choice, explained, with the loaded models warm', async () => {
    const r = await run(['--json', 'route', '--explain', '--role', 'code_reviewer', HARD_REVIEW]);
    expect(r.code, r.stderr).toBe(0);
    const explanation = JSON.parse(r.stdout) as Explanation;
    expect(explanation.chosen.modelId, explanation.summary).toBe(modelOf(large));
    expect(warmth(explanation)).toEqual(['warm: loaded on the node', 'warm: loaded on the node']);
  });

  it("scan-models on a hand-written config: the user's names and values win, the rest is filled", async () => {
    const own = mkdtempSync(join(tmpdir(), 'broke-commission-own-'));
    const cfg = join(own, 'broke.yaml');
    const ssh = { host: '127.0.0.2', port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath };
    // The user named the served model their own way (no path) and set its tier and context length.
    writeFileSync(
      cfg,
      stringify({
        nodes: [
          {
            id: 'big',
            url: large.url,
            models: [{ id: 'reviewer' }],
            ssh: { ...ssh, hostKeyFingerprint: sshd.hostKeyFingerprint },
          },
        ],
        models: [{ id: 'reviewer', tier: 'medium', contextLength: 2048 }],
      }),
    );
    const r = await cli(['-c', cfg, 'scan-models'], { cwd: own });
    expect(r.code, r.stderr).toBe(0);
    const after = parse(readFileSync(cfg, 'utf8'));
    // The served path is the model the user called `reviewer`: no second entry for it.
    expect(after.nodes[0].models).toEqual([{ id: 'reviewer' }]);
    expect(after.models.find((m: { id: string }) => m.id === 'reviewer')).toMatchObject({
      tier: 'medium',
      contextLength: 2048,
      parameters: 0.0032,
      quantization: 'float32',
    });
  });
});

const HARD_REVIEW = `Review this Go code for concurrency bugs, race conditions, deadlocks and security vulnerabilities. For each issue explain step by step why it happens, prove it with an interleaving, and propose a corrected implementation with tests.

\`\`\`go
type Cache struct {
	mu    sync.Mutex
	items map[string]*entry
}

func (c *Cache) Get(key string) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.items[key]
	c.mu.Unlock()
	if !ok || e.expired() {
		data, err := fetchFromOrigin(key) // network call
		if err != nil {
			return nil, err
		}
		c.items[key] = &entry{data: data, at: time.Now()}
		return data, nil
	}
	return e.data, nil
}

func (c *Cache) Purge(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.items {
		if strings.HasPrefix(k, prefix) {
			go c.Purge(k)
		}
	}
}
\`\`\``;
