import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGatewayApp } from '../../src/index.js';
import { chatBody, readJson, setup } from './helpers.js';

const json = { 'content-type': 'application/json' };

function gw(overrides = {}) {
  const s = setup(overrides);
  return createGatewayApp({ config: s.config, router: s.router, cluster: s.cluster, drivers: s.drivers });
}

async function post(app: ReturnType<typeof gw>, body: string, path = '/v1/chat/completions') {
  const res = await app.request(path, { method: 'POST', headers: json, body });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: (() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })(),
  };
}

describe('bad input', () => {
  const app = gw({ gateway: { maxBodyBytes: 10_000 } });

  it.each([
    ['malformed JSON', '{"model": ', 400, null],
    ['empty body', '', 400, null],
    ['JSON that is not an object', '[1,2]', 400, null],
    ['missing messages', JSON.stringify({ model: 'broke-auto' }), 400, 'messages'],
    ['empty messages', JSON.stringify({ messages: [] }), 400, 'messages'],
    ['bad role', JSON.stringify({ messages: [{ role: 'wizard', content: 'x' }] }), 400, 'messages[0].role'],
    ['max_tokens wrong type', chatBody({ max_tokens: 'ten' }), 400, 'max_tokens'],
    ['temperature out of range', chatBody({ temperature: 9 }), 400, 'temperature'],
    ['stream not boolean', chatBody({ stream: 'yes' }), 400, 'stream'],
    ['metadata role wrong type', chatBody({ metadata: { role: 5 } }), 400, 'metadata.role'],
    ['unknown model', chatBody({ model: 'gpt-17' }), 404, null],
  ])('%s → %i', async (_name, body, status, param) => {
    const res = await post(app, body as string);
    expect(res.status).toBe(status);
    expect(res.json.error).toMatchObject({ type: expect.any(String), message: expect.any(String) });
    if (param) expect(res.json.error.param).toBe(param);
    expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('413 for a body over gateway.maxBodyBytes', async () => {
    const res = await post(app, chatBody({ messages: [{ role: 'user', content: 'x'.repeat(20_000) }] }));
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('body_too_large');
  });

  it('413 for a chunked body (no Content-Length) that grows past the limit', async () => {
    const big = new TextEncoder().encode(
      chatBody({ messages: [{ role: 'user', content: 'y'.repeat(20_000) }] }),
    );
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < big.length; i += 1000) controller.enqueue(big.slice(i, i + 1000));
        controller.close();
      },
    });
    const req = new Request('http://gw/v1/chat/completions', {
      method: 'POST',
      headers: json,
      body,
      duplex: 'half',
    } as RequestInit);
    expect(req.headers.get('content-length')).toBeNull();
    const res = await app.request(req);
    expect(res.status).toBe(413);
  });

  it('404 in OpenAI shape for an unknown path', async () => {
    const res = await app.request('/v1/completions/legacy');
    expect(res.status).toBe(404);
    expect((await readJson(res)).error.code).toBe('not_found');
  });

  it('fuzz: no body ever yields a 5xx or a crash', async () => {
    const message = fc.record(
      {
        role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool'), fc.string()),
        content: fc.oneof(
          fc.string(),
          fc.constant(null),
          fc.integer(),
          fc.array(fc.jsonValue(), { maxLength: 3 }),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record(
          {
            model: fc.oneof(fc.constantFrom('broke-auto', 'm1', 'nope'), fc.string(), fc.integer()),
            messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.jsonValue()),
            stream: fc.oneof(fc.boolean(), fc.jsonValue()),
            max_tokens: fc.oneof(fc.integer(), fc.double(), fc.string()),
            temperature: fc.oneof(fc.double(), fc.string()),
            stop: fc.oneof(fc.string(), fc.array(fc.string()), fc.integer()),
            tools: fc.jsonValue(),
            response_format: fc.jsonValue(),
            metadata: fc.oneof(
              fc.dictionary(fc.constantFrom('role', 'task_type', 'session_id', 'tags', 'x'), fc.jsonValue()),
              fc.jsonValue(),
            ),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.dictionary(fc.constantFrom('x-broke-role', 'x-broke-task-type', 'x-broke-depth'), fc.string()),
        async (b, headers) => {
          const safeHeaders = Object.fromEntries(
            Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)),
          );
          const res = await app.request('/v1/chat/completions', {
            method: 'POST',
            headers: { ...json, ...safeHeaders },
            body: b,
          });
          const text = await res.text();
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(JSON.parse(text).error.message).toEqual(expect.any(String));
        },
      ),
      { numRuns: 300 },
    );
  });
});
