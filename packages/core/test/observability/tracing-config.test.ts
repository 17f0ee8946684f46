import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BrokeConfigSchema, startTracing, tracesUrl, ValidationError } from '../../src/index.js';

/**
 * When tracing is on and where spans go: observability.tracing first, then the standard OTEL_*
 * variables; off without an endpoint, with `enabled: false` or OTEL_SDK_DISABLED. A bad URL is a
 * clear error; failing exports are reported, once per run of failures.
 */

const node = { id: 'a', url: 'http://127.0.0.1:1', kind: 'mlx', models: [{ id: 'm' }] };

describe('tracesUrl', () => {
  it('is off with no endpoint anywhere', () => {
    expect(tracesUrl(undefined, {})).toBeUndefined();
    expect(tracesUrl({ enabled: true, sampleRatio: 1 }, {})).toBeUndefined();
  });

  it('appends /v1/traces to a base endpoint and keeps a full traces URL', () => {
    const cfg = (endpoint: string) => ({ enabled: true, sampleRatio: 1, endpoint });
    expect(tracesUrl(cfg('http://127.0.0.1:4318'), {})).toBe('http://127.0.0.1:4318/v1/traces');
    expect(tracesUrl(cfg('http://127.0.0.1:4318/'), {})).toBe('http://127.0.0.1:4318/v1/traces');
    expect(tracesUrl(cfg('https://otel.example/base'), {})).toBe('https://otel.example/base/v1/traces');
    expect(tracesUrl(cfg('http://127.0.0.1:4318/v1/traces'), {})).toBe('http://127.0.0.1:4318/v1/traces');
  });

  it('reads OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, OTEL_EXPORTER_OTLP_ENDPOINT as a base; config wins', () => {
    expect(tracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(
      'http://127.0.0.1:4318/v1/traces',
    );
    expect(
      tracesUrl(undefined, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.2:9999/custom',
      }),
    ).toBe('http://127.0.0.2:9999/custom');
    expect(
      tracesUrl(
        { enabled: true, sampleRatio: 1, endpoint: 'http://127.0.0.3:4318' },
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      ),
    ).toBe('http://127.0.0.3:4318/v1/traces');
  });

  it('is off with enabled: false or OTEL_SDK_DISABLED=true, whatever else says on', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(tracesUrl({ enabled: false, sampleRatio: 1 }, env)).toBeUndefined();
    expect(tracesUrl(undefined, { ...env, OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(
      tracesUrl(
        { enabled: true, sampleRatio: 1, endpoint: 'http://127.0.0.1:4318' },
        { OTEL_SDK_DISABLED: 'TRUE' },
      ),
    ).toBeUndefined();
  });

  it('names the variable holding a bad URL', () => {
    const bad = () => tracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' });
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT is not an http\(s\) URL: "localhost:4318"/);
  });
});

describe('observability.tracing in broke.yaml', () => {
  const parse = (tracing: unknown) =>
    BrokeConfigSchema.safeParse({ nodes: [node], observability: { tracing } });

  it('takes an endpoint, headers, service name and sample ratio', () => {
    const r = parse({
      endpoint: 'http://127.0.0.1:4318',
      headers: { authorization: 'Bearer x' },
      serviceName: 'gw-1',
      sampleRatio: 0.25,
    });
    expect(r.success).toBe(true);
    expect(r.data?.observability.tracing).toEqual({
      enabled: true,
      endpoint: 'http://127.0.0.1:4318',
      headers: { authorization: 'Bearer x' },
      serviceName: 'gw-1',
      sampleRatio: 0.25,
    });
  });

  it('refuses a ratio outside 0..1, a non-http endpoint and unknown keys', () => {
    expect(parse({ sampleRatio: 1.5 }).success).toBe(false);
    expect(parse({ endpoint: 'grpc://127.0.0.1:4317' }).success).toBe(false);
    const typo = parse({ endpiont: 'http://127.0.0.1:4318' });
    expect(typo.success).toBe(false);
    expect(JSON.stringify(typo.error?.issues)).toContain('endpoint');
  });
});

describe('startTracing', () => {
  it('is undefined when off', async () => {
    expect(await startTracing(undefined, { env: {} })).toBeUndefined();
  });

  it('reports failing exports once per run of failures, naming the URL', async () => {
    // A receiver that refuses every export (as a collector with a wrong key would).
    let refuse = true;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res.writeHead(refuse ? 401 : 200, { 'content-type': 'application/json' }).end('{}'),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const reports: string[] = [];
    const tracing = await startTracing(
      { enabled: true, sampleRatio: 1, endpoint: url },
      { env: {}, onExportError: (m) => reports.push(m) },
    );
    try {
      expect(tracing?.url).toBe(`${url}/v1/traces`);
      const span = () => tracing?.tracer.startSpan('x').end();
      // A flush whose export failed rejects, naming the URL and the collector's answer.
      const flush = () =>
        tracing?.forceFlush().then(
          () => 'exported',
          (err: Error) => err.message,
        );
      const refused = `exporting trace spans to ${url}/v1/traces failed: Unauthorized`;
      span();
      expect(await flush()).toBe(refused);
      span();
      expect(await flush()).toBe(refused);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toContain(`${url}/v1/traces`);
      expect(reports[0]).toContain('Unauthorized');
      refuse = false;
      span();
      expect(await flush()).toBe('exported');
      refuse = true;
      span();
      expect(await flush()).toBe(refused);
      expect(reports).toHaveLength(2);
    } finally {
      await tracing?.shutdown();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
