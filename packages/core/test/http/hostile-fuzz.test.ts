import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxCluster, startMlxCluster } from './support/mlx-cluster.js';

/**
 * Issue 14's acceptance fuzz, against the real Router and real mlx_lm.server nodes (bad-input's
 * fuzz covers the same ground against stub drivers): hostile bodies and headers never get a 5xx
 * the client caused, never cool a node down, and `/health` keeps answering within 100 ms while
 * they run (no request blocks the event loop).
 */

let c: MlxCluster;
const NODES = ['a', 'b'];

beforeAll(async () => {
  // Every capability configured, so bodies with tools / response_format / images reach the nodes.
  c = await startMlxCluster({
    nodes: 2,
    config: {
      models: NODES.map((id) => ({
        id: `tiny-${id}`,
        tier: 'small' as const,
        contextLength: 4096,
        capabilities: ['streaming' as const, 'tools' as const, 'json' as const, 'vision' as const],
      })),
    },
  });
});
afterAll(async () => {
  await c?.stop();
});

/** Markers that become raw JSON text once the body is serialised (JSON.stringify cannot write them). */
const RAW: Record<string, string> = {
  '@@SURROGATE@@': '\\ud800',
  '@@LOW_SURROGATE@@': 'x\\udfffy',
  '@@DEEP@@': `${'['.repeat(5000)}1${']'.repeat(5000)}`,
  '@@DEEP_OBJ@@': `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
  // Just inside and just past the gateway's nesting limit (the body object is level 1).
  '@@DEPTH_127@@': `${'['.repeat(126)}1${']'.repeat(126)}`,
  '@@DEPTH_129@@': `${'{"a":'.repeat(128)}1${'}'.repeat(128)}`,
  '@@NUL@@': '\\u0000',
};
function raw(text: string): string {
  return text
    .replace(/"(@@(?:DEEP|DEEP_OBJ|DEPTH_127|DEPTH_129)@@)"/g, (_, marker: string) => RAW[marker] ?? marker)
    .replace(/@@[A-Z_]+@@/g, (marker) => RAW[marker] ?? marker);
}

/** Strings a client might send where a name or a stop sequence belongs (well-formed Unicode). */
const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uffff',
    '\u202e',
    '</s>',
    '<|im_end|>',
    '<|endoftext|>',
    '\n\n',
    '%s%n',
    '$' + '{jndi:ldap://x}',
    '../../etc/passwd',
    'x'.repeat(300),
  ),
);

/** Any JSON value of modest size. */
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: oddString },
);

/** Values that are hostile in themselves: huge, deep, out of range, or only expressible as raw JSON text. */
const hostileValue = fc.oneof(
  fc.constantFrom(
    '@@DEEP@@',
    '@@DEEP_OBJ@@',
    '@@DEPTH_127@@',
    '@@DEPTH_129@@',
    '@@SURROGATE@@',
    'a @@SURROGATE@@ b',
    '@@LOW_SURROGATE@@',
    '@@NUL@@',
    'y'.repeat(200_000),
    1e308,
    -1e308,
    2 ** 53 + 2,
    -0,
  ),
  fc.array(fc.constantFrom('@@SURROGATE@@', '@@DEPTH_127@@', 'ok'), { minLength: 1, maxLength: 3 }),
  fc.dictionary(fc.constantFrom('@@SURROGATE@@', 'k'), fc.constantFrom('@@DEPTH_127@@', '@@LOW_SURROGATE@@')),
);

/** A message the schema accepts, with odd text in it. */
const message = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ role: 'user', content: 'hi' }) },
  fc.record(
    {
      role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function'),
      content: fc.oneof(
        oddString,
        fc.constant(null),
        fc.array(
          fc.oneof(
            fc.record({ type: fc.constant('text'), text: fc.oneof(oddString, anyValue) }),
            fc.record({ type: oddString.filter((t) => t.length > 0), x: anyValue }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      ),
      name: fc.string({ maxLength: 20 }),
      tool_calls: fc.array(
        fc.record(
          {
            id: oddString,
            type: fc.constant('function'),
            function: fc.record({ name: oddString, arguments: oddString }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
      tool_call_id: oddString,
    },
    { requiredKeys: ['role', 'content'] },
  ),
);

/** A pass-through knob: mostly a value the node takes, now and then one it should refuse. */
const knob = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown> = anyValue) =>
  fc.oneof({ weight: 9, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: invalid });

/**
 * A chat request BROKE's schema accepts, with odd values where a client controls them: these reach
 * the real nodes (stop strings, logprobs, sampling knobs mlx_lm reads itself, huge unknown fields).
 */
const validOdd = fc.record(
  {
    model: fc.constantFrom('broke-auto', 'tiny-a', 'tiny-b'),
    messages: fc.array(message, { minLength: 1, maxLength: 3 }),
    // Small: a real generation stays at a few tokens (absent now and then: the node's default).
    max_tokens: fc.oneof(
      { weight: 19, arbitrary: fc.integer({ min: 1, max: 4 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    stream: fc.boolean(),
    stream_options: fc.record({ include_usage: fc.boolean() }),
    temperature: knob(fc.double({ min: 0, max: 2, noNaN: true }), fc.constant(null)),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.oneof(fc.integer(), fc.constantFrom(2 ** 53 - 1, -(2 ** 53 - 1))),
    n: fc.integer({ min: 1, max: 16 }),
    stop: fc.oneof(oddString, fc.array(oddString, { maxLength: 16 })),
    tools: fc.array(
      fc.record({
        type: fc.constant('function'),
        function: fc.record(
          {
            name: fc.string({ minLength: 1, maxLength: 256 }),
            parameters: anyValue,
            description: anyValue,
          },
          { requiredKeys: ['name'] },
        ),
      }),
      { maxLength: 2 },
    ),
    tool_choice: fc.oneof(fc.constantFrom('auto', 'none', 'required', ''), fc.record({ type: oddString })),
    response_format: fc.record(
      { type: fc.constantFrom('text', 'json_object', 'json_schema'), json_schema: anyValue },
      { requiredKeys: ['type'] },
    ),
    // Fields BROKE passes through untouched: the node reads (or chokes on) these itself.
    logprobs: knob(fc.boolean()),
    top_logprobs: knob(
      fc.integer({ min: 0, max: 10 }),
      fc.constantFrom(-1, 11, 20, 21, 1e9, 'x', 1.5, null, []),
    ),
    frequency_penalty: knob(fc.double({ min: -2, max: 2, noNaN: true })),
    presence_penalty: knob(fc.double({ min: -2, max: 2, noNaN: true })),
    repetition_penalty: knob(fc.double({ min: 0, max: 3, noNaN: true }), fc.constantFrom(-1, 0, 1e308)),
    repetition_context_size: knob(fc.integer({ min: 0, max: 100 }), fc.constantFrom(-1, 0, 2 ** 31)),
    // Below the tiny model's vocabulary (486): with sampling on, a larger top_k kills
    // mlx_lm.server's generation thread for good (its /health answers 503 from then on), a
    // node bug no gateway can see coming; the cooldown that follows is right, and ends the run.
    top_k: knob(fc.integer({ min: 0, max: 100 }), fc.constantFrom(-1, 'x', 1.5)),
    min_p: knob(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.5, 1.5)),
    logit_bias: knob(
      fc.dictionary(
        fc.integer({ min: 0, max: 300 }).map(String),
        fc.double({ min: -100, max: 100, noNaN: true }),
        {
          maxKeys: 3,
        },
      ),
      fc.dictionary(oddString, anyValue, { maxKeys: 3 }),
    ),
    adapters: knob(fc.constant(null)),
    draft_model: knob(fc.constant(null)),
    num_draft_tokens: knob(fc.integer({ min: 1, max: 4 })),
    metadata: fc.record(
      {
        role: fc.string({ minLength: 1, maxLength: 40 }),
        team: fc.string({ minLength: 1, maxLength: 40 }),
        session_id: fc.string({ minLength: 1, maxLength: 40 }),
        tags: fc.array(fc.string({ minLength: 1, maxLength: 10 }), { maxLength: 3 }),
        x: anyValue,
      },
      { requiredKeys: [] },
    ),
    // Fields no one knows about, holding anything (huge, deeply nested, raw escapes).
    x_unknown: anyValue,
  },
  { requiredKeys: ['messages', 'max_tokens'] },
);

/** Fields with a wrong type or value: one of them on an otherwise fine body. */
const WRONG: Record<string, fc.Arbitrary<unknown>> = {
  model: fc.oneof(
    fc.constantFrom('', 'gpt-4o', 'x'.repeat(300), 'tiny-a ', 'TINY-A', '*', '../tiny-a', '@@SURROGATE@@'),
    oddString,
    anyValue,
  ),
  messages: fc.oneof(
    fc.constantFrom(
      [],
      [{}],
      [{ role: 'wizard', content: 'x' }],
      [{ role: 'user', content: 5 }],
      [{ role: 'assistant', content: null, tool_calls: 5 }],
      [{ role: 'assistant', content: null, tool_calls: [null] }],
      [{ role: 'assistant', content: null, tool_calls: [{ function: { name: 5, arguments: {} } }] }],
      [{ role: 'user', content: [{ type: 'text', text: 5 }, { type: 'image_url' }, {}] }],
    ),
    fc.array(fc.record({ role: oddString, content: anyValue, name: anyValue }), { maxLength: 2 }),
    anyValue,
  ),
  max_tokens: fc.oneof(fc.constantFrom(0, -1, 1.5, '2', true, [], {}, 1e300, 2 ** 53), anyValue),
  max_completion_tokens: fc.constantFrom(0, -5, 'x', 2.5, 1e300),
  stream: fc.constantFrom('yes', 1, {}, []),
  stream_options: fc.oneof(fc.record({ include_usage: anyValue }), anyValue),
  temperature: fc.oneof(
    fc.double({ min: -10, max: 10, noNaN: true }),
    fc.constantFrom(2.0000001, 1e308, '1'),
  ),
  top_p: fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }), anyValue),
  seed: fc.constantFrom(2 ** 53, -(2 ** 53), 1.5, 'x'),
  n: fc.constantFrom(0, 17, -1, 1.5, 'x', 1e9),
  stop: fc.oneof(fc.array(oddString, { minLength: 17, maxLength: 20 }), fc.constantFrom(5, [[]], [1, 2], {})),
  tools: fc.oneof(fc.array(anyValue, { maxLength: 3 }), anyValue),
  tool_choice: anyValue,
  response_format: fc.oneof(fc.record({ type: fc.oneof(oddString, anyValue) }), anyValue),
  metadata: fc.oneof(
    fc.dictionary(fc.constantFrom('role', 'team', 'session_id', 'conversation_depth', 'tags'), anyValue, {
      minKeys: 1,
      maxKeys: 3,
    }),
    anyValue,
  ),
};
const wrongField = fc
  .constantFrom(...Object.keys(WRONG))
  .chain((key) => (WRONG[key] as fc.Arbitrary<unknown>).map((value) => [key, value] as const));

/** Where a hostile value goes: a field BROKE reads, one it passes through, or a message's text. */
const hostileField = fc.tuple(
  fc.constantFrom(
    'model',
    'stop',
    'tools',
    'response_format',
    'metadata',
    'logit_bias',
    'top_logprobs',
    'frequency_penalty',
    'x_unknown',
    'content',
    'name',
  ),
  hostileValue,
);

/** The value a quarter of the time, else null. */
const sometimes = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const chatBody = fc
  .tuple(validOdd, sometimes(wrongField), sometimes(hostileField))
  .map(([b, wrong, hostile]) => {
    const body: Record<string, unknown> = { ...b };
    if (wrong) body[wrong[0]] = wrong[1];
    if (hostile) {
      const [key, value] = hostile;
      if (key === 'content' || key === 'name')
        body.messages = [{ role: 'user', content: 'hi', [key]: value }, ...b.messages];
      else body[key] = value;
    }
    return JSON.stringify(body);
  });

const body: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 12, arbitrary: chatBody },
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom(
    '',
    ' ',
    'null',
    '{',
    '{"model":"broke-auto","messages":[{"role":"user","content":"hi"}]',
    '{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}garbage',
    '{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"max_tokens":"x"}',
    '{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"__proto__":{"max_tokens":9999}}',
    '\ufeff{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}',
    '{"messages":[{"role":"user","content":"hi\\ud800"}],"max_tokens":2}',
    '{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stop":["\\udc00"]}',
    '{"messages":[{"role":"user","content":"hi"}],"max_tokens":NaN}',
    '{"messages":[{"role":"user","content":"hi"}],"max_tokens":1e999}',
    // Deep nesting as big as the body limit allows (JSON.parse alone would take ~0.5 s on it).
    `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`,
    `${'{"a":'.repeat(500_000)}1${'}'.repeat(500_000)}`,
    // Wide rather than deep: 100k small containers.
    `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"x":[${'{},'.repeat(100_000)}{}]}`,
  ),
);

/** Header values fetch can send: Latin-1 without controls (no CR/LF/DEL, nothing over 0xFF). */
const headerValue = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0xfe }).map((n) => String.fromCharCode(n === 0x7f ? 0xff : n)),
    maxLength: 60,
  }),
  fc.constantFrom('', ' ', '\t', 'NaN', '-1', '1e999', '0x10', 'Infinity', 'null', '[]', 'a'.repeat(4000)),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'text/event-stream',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      '',
      '*/*',
    ),
    context: fc.record(
      {
        'x-broke-role': fc.string({ minLength: 1, maxLength: 30 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
        'x-broke-task-type': fc.constantFrom('code', 'math', 'chat', 'summarization'),
        'x-broke-framework': fc.constantFrom('langchain', 'crewai', 'autogen', 'custom'),
        'x-broke-depth': fc.nat(50).map(String),
      },
      { requiredKeys: [] },
    ),
    extra: fc.dictionary(
      fc.constantFrom(
        'x-broke-role',
        'x-broke-team',
        'x-broke-session',
        'x-broke-task-type',
        'x-broke-framework',
        'x-broke-depth',
        'x-broke-node',
        'x-broke-model',
        'x-broke-route-id',
        'x-broke-anything',
        'accept',
        'accept-encoding',
      ),
      headerValue,
      { maxKeys: 2 },
    ),
  },
  { requiredKeys: [] },
);

/** GET /health from a worker thread every ~20 ms; its event loop is not the gateway's. */
function startHealthPoller(url: string) {
  const worker = new Worker(
    `
const { parentPort, workerData } = require('node:worker_threads');
const latencies = [];
let errors = 0;
let running = true;
parentPort.on('message', () => { running = false; });
(async () => {
  while (running) {
    const t = performance.now();
    try {
      const res = await fetch(workerData.url, { signal: AbortSignal.timeout(5000) });
      await res.text();
      if (res.status !== 200) errors++;
    } catch { errors++; }
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  parentPort.postMessage({ latencies, errors });
  parentPort.close();
})();
`,
    { eval: true, workerData: { url } },
  );
  return {
    async stop(): Promise<{ latencies: number[]; errors: number }> {
      const result = once(worker, 'message');
      worker.postMessage('stop');
      const [r] = (await result) as [{ latencies: number[]; errors: number }];
      await worker.terminate();
      return r;
    },
  };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** POST a chat body (raw text) to the gateway: its status and text, and the nodes now cooling down. */
async function chat(body: string) {
  const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  const now = Date.now();
  return {
    status: res.status,
    text,
    cooled: NODES.filter((id) => (c.cluster.node(id)?.cooldownUntil ?? 0) > now),
  };
}

const hi = (extra: string) => `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2${extra}}`;

describe('what the fuzz found (real nodes)', () => {
  it('tool_calls that are not a list of calls: 400 naming the field, not a 500', async () => {
    for (const calls of ['5', '{}', '[null]', '[{"function":{"name":5}}]']) {
      const res = await chat(
        `{"messages":[{"role":"assistant","content":null,"tool_calls":${calls}},{"role":"user","content":"hi"}],"max_tokens":2}`,
      );
      expect(res.status, res.text).toBe(400);
      expect(res.text).toContain('messages[0].tool_calls');
    }
  });

  it('JSON nested deeper than 128 levels: 400 before any node (Python json would drop the connection)', async () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    const refused = await chat(hi(`,"x_extra":${deep(3000)}`));
    expect(refused.status, refused.text).toBe(400);
    expect(refused.text).toMatch(/nested more than 128 levels/);
    expect(refused.cooled).toEqual([]);
    // 127 levels under the body object still go through.
    const ok = await chat(hi(`,"x_extra":${deep(126)}`));
    expect(ok.status, ok.text).toBe(200);
  });

  it('a value that breaks the node (mlx_lm.server: seed -1) is a 400 and cools no node', async () => {
    const res = await chat(hi(',"seed":-1'));
    expect(res.status, res.text).toBe(400);
    expect(JSON.parse(res.text).error.message).toMatch(
      /the request failed on nodes [ab], [ab], which still answer their health check/,
    );
    expect(res.cooled).toEqual([]);
    expect((await chat(hi(''))).status).toBe(200);
  });
});

describe('hostile bodies and headers against real nodes (fast-check)', () => {
  it('no client-caused 5xx, no node cooled down, /health never stalls', async () => {
    const poller = startHealthPoller(`${c.gateway.url}/health`);
    const statuses = new Map<number, number>();
    let latencies: number[] = [];
    let pollErrors = 0;
    try {
      await fc.assert(
        fc.asyncProperty(body, headers, async (b, h) => {
          const sent = typeof b === 'string' ? raw(b) : b;
          const reqHeaders: Record<string, string> = { ...(h.context ?? {}), ...(h.extra ?? {}) };
          if (h['content-type'] !== undefined) reqHeaders['content-type'] = h['content-type'];
          const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
            method: 'POST',
            headers: reqHeaders,
            body: sent,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const what = `${res.status} ${text.slice(0, 400)}`;
          expect(res.status, what).toBeLessThan(500);
          if (res.status >= 400) {
            const err = (JSON.parse(text) as { error: Record<string, unknown> }).error;
            expect(err, what).toMatchObject({ message: expect.any(String), type: expect.any(String) });
            expect(text, what).not.toMatch(/at .*\.(ts|js):\d+/);
          } else if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
            expect(text, what).toContain('data: [DONE]');
          } else {
            // mlx_lm.server writes Python's NaN / Infinity for some sampling values (a logprob of
            // NaN), and the pass-through relays the node's JSON as is: read it as a lenient client.
            const lenient = text.replace(/(?<=[:[,]\s*)-?(?:NaN|Infinity)(?=\s*[,}\]])/g, 'null');
            expect(JSON.parse(lenient), what).toMatchObject({ choices: expect.any(Array) });
          }
          const now = Date.now();
          for (const id of NODES) {
            const node = c.cluster.node(id);
            expect(node?.cooldownUntil ?? 0, `node ${id} cooled down after ${what}`).toBeLessThanOrEqual(now);
          }
        }),
        { numRuns: 200 },
      );
    } finally {
      ({ latencies, errors: pollErrors } = await poller.stop());
    }
    const sorted = [...latencies].sort((x, y) => x - y);
    const summary = {
      polls: sorted.length,
      p50: quantile(sorted, 0.5).toFixed(1),
      p99: quantile(sorted, 0.99).toFixed(1),
      max: (sorted.at(-1) ?? 0).toFixed(1),
      statuses: Object.fromEntries(statuses),
    };
    console.log('[hostile-fuzz]', JSON.stringify(summary));
    expect(pollErrors).toBe(0);
    expect(sorted.length).toBeGreaterThan(5);
    // A stall detector, not a speed target: the bug class this guards (super-linear inspection of
    // a hostile body) held /health for seconds. The 100 ms target is measured by bench/soak.ts,
    // since this process also runs fast-check and two real nodes share its 2 cores.
    expect(sorted.at(-1), JSON.stringify(summary)).toBeLessThan(1_000);

    // The cluster still serves a legitimate request, from every node.
    for (const model of ['tiny-a', 'tiny-b']) {
      const ok = await fetch(`${c.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(ok.status, await ok.clone().text()).toBe(200);
      expect(((await ok.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    }
    for (const id of NODES) expect(c.cluster.node(id)?.up).not.toBe(false);
  });
});
