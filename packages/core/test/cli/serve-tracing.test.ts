import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt } from './helpers.js';

/** `serve` with a tracing variable that is not a URL: one line naming it, exit 2, no gateway. */

beforeAll(() => ensureBuilt());

describe('broke-cluster serve with a bad OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('fails with one line naming the variable and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broke-serve-tracing-'));
    // A node nobody answers on (port 9 is refused by fetch without a connection being made).
    writeFileSync(
      join(dir, 'broke.yaml'),
      'nodes:\n  - id: a\n    url: http://127.0.0.1:9\n    kind: mlx\n    models: [{ id: m }]\nstore: { kind: memory }\n',
    );
    const r = await cli(['serve', '--config', join(dir, 'broke.yaml'), '--port', '0'], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' },
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(errors).toEqual([
      'error: OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL: "localhost:4318" (set it to an OTLP/HTTP collector, e.g. http://127.0.0.1:4318)',
    ]);
    expect(r.stdout).not.toContain('BROKE gateway on');
  });
});
