import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatBodySchema, parseChatBody, parseRequestBody } from '../../src/http/schemas.js';

// parseChatBody's hand check is a hot-path shortcut: whatever it accepts, the schema must accept
// with the same result; whatever it is unsure of, the schema decides (same errors).

const viaZod = (v: unknown) => {
  try {
    return { ok: true as const, value: parseRequestBody(ChatBodySchema, structuredClone(v)) };
  } catch (err) {
    return { ok: false as const, error: String((err as Error).message) };
  }
};
const viaFast = (v: unknown) => {
  try {
    return { ok: true as const, value: parseChatBody(structuredClone(v)) };
  } catch (err) {
    return { ok: false as const, error: String((err as Error).message) };
  }
};

/** Mostly `valid`, sometimes `invalid`: most bodies pass, and every field is sometimes wrong. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 30 }, { arbitrary: invalid, weight: 1 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(fc.oneof(a, fc.constant(null)), { nil: undefined });
const anyish = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string()),
  fc.constant({}),
);
const message = fc.record(
  {
    role: mostly(
      fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function'),
      fc.string(),
    ),
    content: mostly(
      fc.oneof(fc.string(), fc.constant(null), fc.array(fc.record({ type: fc.string({ minLength: 1 }) }))),
      fc.oneof(anyish, fc.array(fc.record({ type: fc.string() }))),
    ),
    name: mostly(
      fc.string({ maxLength: 256 }),
      fc.oneof(fc.string({ minLength: 257, maxLength: 300 }), anyish),
    ),
  },
  { requiredKeys: ['role'] },
);
const body = fc.record(
  {
    model: mostly(
      fc.string({ minLength: 1, maxLength: 256 }),
      fc.oneof(fc.constant(''), fc.string({ minLength: 257, maxLength: 300 }), anyish),
    ),
    messages: mostly(fc.array(message, { minLength: 1, maxLength: 3 }), fc.oneof(fc.constant([]), anyish)),
    stream: maybe(mostly(fc.boolean(), anyish)),
    stream_options: maybe(
      mostly(
        fc.record({ include_usage: fc.boolean() }, { requiredKeys: [] }),
        fc.oneof(fc.record({ include_usage: anyish }), anyish),
      ),
    ),
    max_tokens: maybe(
      mostly(
        fc.integer({ min: 1, max: 5000 }),
        fc.oneof(fc.integer({ min: -2, max: 0 }), fc.double(), anyish),
      ),
    ),
    max_completion_tokens: maybe(mostly(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: -2, max: 0 }))),
    temperature: maybe(
      mostly(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.oneof(fc.double({ min: 2.001, max: 3, noNaN: true }), anyish),
      ),
    ),
    top_p: maybe(
      mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -1, max: -0.001, noNaN: true })),
    ),
    seed: maybe(mostly(fc.integer(), fc.oneof(fc.double(), fc.constant(2 ** 60), fc.constant(1.5)))),
    n: maybe(mostly(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 20 }))),
    stop: maybe(
      mostly(
        fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 16 })),
        fc.oneof(
          fc.array(fc.string(), { minLength: 17, maxLength: 20 }),
          fc.array(fc.integer(), { minLength: 1 }),
        ),
      ),
    ),
    tools: maybe(
      mostly(
        fc.array(
          fc.record(
            {
              type: fc.string({ minLength: 1 }),
              function: fc.record({ name: fc.string({ minLength: 1, maxLength: 256 }) }),
            },
            { requiredKeys: ['type'] },
          ),
          { maxLength: 3 },
        ),
        fc.array(
          fc.record(
            { type: anyish, function: fc.oneof(fc.record({ name: fc.string({ maxLength: 300 }) }), anyish) },
            { requiredKeys: [] },
          ),
          { minLength: 1, maxLength: 3 },
        ),
      ),
    ),
    tool_choice: maybe(
      mostly(
        fc.oneof(fc.string(), fc.record({ type: fc.string() })),
        fc.oneof(fc.record({ type: anyish }), fc.integer()),
      ),
    ),
    response_format: maybe(
      mostly(
        fc.record({ type: fc.constantFrom('text', 'json_object', 'json_schema') }),
        fc.oneof(fc.record({ type: fc.string() }), anyish),
      ),
    ),
    metadata: maybe(
      mostly(fc.dictionary(fc.string(), anyish), fc.oneof(fc.array(fc.string()), fc.string(), fc.integer())),
    ),
    extra_knob: fc.option(anyish, { nil: undefined }),
  },
  { requiredKeys: ['messages'] },
);

describe('parseChatBody (hot-path check) agrees with ChatBodySchema', () => {
  it('on structured bodies, valid and not', () => {
    let valid = 0;
    fc.assert(
      fc.property(body, (b) => {
        // JSON round trip: what the gateway parses never holds undefined or -0 quirks.
        const v = JSON.parse(JSON.stringify(b));
        const expected = viaZod(v);
        if (expected.ok) valid += 1;
        expect(viaFast(v)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
    // Both paths must really be exercised: many bodies valid, many not.
    expect(valid).toBeGreaterThan(600);
    expect(valid).toBeLessThan(2400);
  });
  it('on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(viaFast(v)).toEqual(viaZod(v));
      }),
      { numRuns: 1000 },
    );
  });
  it('defaults the model like the schema', () => {
    expect(parseChatBody({ messages: [{ role: 'user', content: 'hi' }] }).model).toBe('broke-auto');
  });
});
