import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The standalone bins (built dist) start from a broke.yaml, serve both URL layouts, stop on SIGTERM. */
describe.each([
  ['broke-crewai-bridge', join(here, '../dist/cli.js'), 'crewai'],
  ['broke-autogen-bridge', join(here, '../../autogen-bridge/dist/cli.js'), 'autogen'],
])('%s', (_name, bin, prefix) => {
  it('serves /v1 and /<prefix>/v1 from --config/--port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broke-bridge-'));
    const config = join(dir, 'broke.yaml');
    writeFileSync(
      config,
      'nodes:\n  - id: a\n    url: http://127.0.0.1:9\n    models: [{ id: m1 }]\nmodels:\n  - id: m1\nstore: { kind: memory }\n',
    );
    const child = spawn(process.execPath, [bin, '--config', config, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.stderr.on('data', (d) => reject(new Error(String(d))));
        setTimeout(() => reject(new Error(`no start: ${out}`)), 15_000);
      });
      for (const path of ['/v1/models', `/${prefix}/v1/models`]) {
        const res = await fetch(`${url}${path}`);
        expect(res.status).toBe(200);
      }
      // One JSON line per chat request on stdout (the node here is unreachable: a 502, logged).
      const res = await fetch(`${url}/${prefix}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-broke-role': 'tester' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(502);
      await new Promise((r) => setTimeout(r, 200));
      const line = JSON.parse(out.trim().split('\n').at(-1) as string);
      expect(line).toMatchObject({
        route_id: res.headers.get('x-broke-route-id'),
        framework: prefix,
        role: 'tester',
        node: 'a',
        status: 502,
        outcome: 'error',
        ms: expect.any(Number),
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('exits 1 with a one-line error for a bad config', async () => {
    const child = spawn(process.execPath, [bin, '--config', '/nonexistent/broke.yaml'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});
