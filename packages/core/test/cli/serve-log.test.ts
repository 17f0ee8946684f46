import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import { cli, cliStream, ensureBuilt } from './helpers.js';

/**
 * `broke-cluster serve`'s log (issue 18 item 3) against the built CLI and a real mlx_lm.server:
 * JSON lines on stdout for the start, the monitor's node-up and each request, never with the API
 * key or the prompt unless --log-prompts; --log-level drops lower levels; /metrics answers.
 */
describe('serve: JSON log lines on stdout', () => {
  let node: MlxNode;
  const dir = mkdtempSync(join(tmpdir(), 'broke-serve-log-'));
  const cfg = join(dir, 'broke.yaml');
  const KEY = 'sk-serve-log-key-0001';
  const MARKER = 'PROMPT-MARKER-a91f';

  beforeAll(async () => {
    ensureBuilt();
    node = await startMlxNode({ model: 'tiny' });
    writeFileSync(
      cfg,
      [
        'nodes:',
        '  - id: lab',
        `    url: "${node.url}"`,
        '    kind: mlx',
        '    models: [{ id: tiny }]',
        'models: [{ id: tiny, tier: small, contextLength: 4096 }]',
        'store: { kind: memory }',
        `gateway: { apiKeys: ["${KEY}"] }`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await node?.stop();
  });

  /** Starts serve, waits for its URL; `chat` sends one request as role writer. */
  async function serve(flags: string[]) {
    const s = cliStream(['-c', cfg, 'serve', '--port', '0', ...flags]);
    const { line } = await s.waitFor((l) => l.startsWith('BROKE gateway on'), 60_000);
    const url = /on (http:\/\/\S+)/.exec(line)?.[1] as string;
    const chat = async (model = 'broke-auto') => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${KEY}`,
          'x-broke-role': 'writer',
        },
        body: JSON.stringify({
          model,
          max_tokens: 8,
          messages: [{ role: 'user', content: `Say hi. ${MARKER}` }],
        }),
      });
      await res.text();
      return res.status;
    };
    const json = () =>
      s.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { s, url, chat, json };
  }

  it('start, node up and one line per request: no key, no prompt; /metrics counts it', async () => {
    const g = await serve([]);
    try {
      expect(await g.chat()).toBe(200);
      await g.s.waitFor((l) => l.includes('"msg":"request"'), 30_000);
      const lines = g.json();
      expect(lines.find((l) => l.event === 'gateway_started')).toMatchObject({
        level: 'info',
        url: g.url,
        metrics: `${g.url}/metrics`,
        nodes: ['lab'],
      });
      expect(lines.find((l) => l.event === 'node_up')).toMatchObject({
        level: 'info',
        node: 'lab',
        models: ['tiny'],
      });
      const request = lines.find((l) => l.msg === 'request');
      expect(request).toMatchObject({
        level: 'info',
        role: 'writer',
        node: 'lab',
        model: 'tiny',
        status: 200,
      });
      expect(request).not.toHaveProperty('prompt');
      for (const line of g.s.lines) {
        expect(line).not.toContain(KEY);
        expect(line).not.toContain(MARKER);
      }
      const metrics = await fetch(`${g.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain(
        'broke_requests_total{role="writer",team="none",model="tiny",node="lab",status_class="2xx"} 1',
      );
    } finally {
      await g.s.stop();
    }
  });

  it('--log-prompts puts the messages in the line (the key still never)', async () => {
    const g = await serve(['--log-prompts']);
    try {
      expect(await g.chat()).toBe(200);
      await g.s.waitFor((l) => l.includes('"msg":"request"'), 30_000);
      const request = g.json().find((l) => l.msg === 'request');
      expect(request?.prompt).toEqual([{ role: 'user', content: `Say hi. ${MARKER}` }]);
      for (const line of g.s.lines) expect(line).not.toContain(KEY);
    } finally {
      await g.s.stop();
    }
  });

  it('--log-level warn: answered requests are not written, a client error is', async () => {
    const g = await serve(['--log-level', 'warn']);
    try {
      expect(await g.chat()).toBe(200);
      expect(await g.chat('no-such-model')).toBe(404);
      await g.s.waitFor((l) => l.includes('"msg":"request"'), 30_000);
      const requests = g.json().filter((l) => l.msg === 'request');
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ level: 'warn', status: 404, error_class: 'model_not_found' });
    } finally {
      await g.s.stop();
    }
  });

  it('an unknown --log-level is one line naming the flag, exit 2', async () => {
    const r = await cli(['-c', cfg, 'serve', '--log-level', 'loud']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--log-level/);
  });
});
