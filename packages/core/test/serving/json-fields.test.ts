import { describe, expect, it } from 'vitest';
import { TopLevelFields, withTopLevelFields } from '../../src/serving/json-fields.js';

const fields = { id: '"r-1"', model: '"m1"' };

describe('withTopLevelFields', () => {
  it('replaces top-level id and model, not a tool call id nested before them (llama.cpp order)', () => {
    const payload = JSON.stringify({
      choices: [
        { delta: { tool_calls: [{ id: 'call_1', function: { name: 'f', arguments: '{"id":2}' } }] } },
      ],
      created: 1,
      id: 'chatcmpl-x',
      model: 'served',
      object: 'chat.completion.chunk',
    });
    const out = JSON.parse(withTopLevelFields(payload, fields));
    expect(out.id).toBe('r-1');
    expect(out.model).toBe('m1');
    expect(out.choices[0].delta.tool_calls[0].id).toBe('call_1');
    expect(out.choices[0].delta.tool_calls[0].function.arguments).toBe('{"id":2}');
  });

  it('keeps escaped quotes and whitespace intact, and adds fields that are missing', () => {
    const payload = '{ "object" : "x", "choices":[{"text":"say \\"id\\": no"}] }';
    const out = JSON.parse(withTopLevelFields(payload, fields));
    expect(out).toEqual({ id: 'r-1', model: 'm1', object: 'x', choices: [{ text: 'say "id": no' }] });
    expect(JSON.parse(withTopLevelFields('{}', fields))).toEqual({ id: 'r-1', model: 'm1' });
    expect(JSON.parse(withTopLevelFields('{"id" : null , "model":{"a":[1,"}"]}}', fields))).toEqual({
      id: 'r-1',
      model: 'm1',
    });
  });

  it('replaces a top-level key written twice, also after both were found early', () => {
    const payload = '{"id":"a","model":"b","choices":[{"delta":{"content":"x"}}],"id":"c"}';
    const out = withTopLevelFields(payload, fields);
    expect(out).toBe('{"id":"r-1","model":"m1","choices":[{"delta":{"content":"x"}}],"id":"r-1"}');
  });

  it('one compiled rewriter serves many payloads alike', () => {
    const rewrite = new TopLevelFields(fields);
    const chunk = (i: number) =>
      `{"id":"n","object":"chat.completion.chunk","model":"s","choices":[{"index":0,"delta":{"content":"t${i}","tool_calls":[{"id":"call_${i}"}]}}]}`;
    for (let i = 0; i < 3; i++) {
      const out = JSON.parse(rewrite.apply(chunk(i)));
      expect(out).toMatchObject({ id: 'r-1', model: 'm1' });
      expect(out.choices[0].delta).toEqual({ content: `t${i}`, tool_calls: [{ id: `call_${i}` }] });
    }
    expect(JSON.parse(rewrite.apply('{"object":"x"}'))).toEqual({ id: 'r-1', model: 'm1', object: 'x' });
  });

  it('a stream rewritten by one rewriter reads as each payload rewritten on its own', () => {
    // The rewriter reuses the head it last scanned (`{"id":…,"model":…,`) for payloads that start
    // with it: any payload that starts alike but differs after must still come out right.
    const head = '{"id":"n","object":"chat.completion.chunk","created":1,"model":"s",';
    const payloads = [
      `${head}"choices":[{"delta":{"content":"a"}}]}`,
      `${head}"choices":[{"delta":{"content":"b"}}]}`,
      `${head}"choices":[],"id":"again","usage":{"completion_tokens":2}}`,
      `${head}"choices":[{"delta":{"tool_calls":[{"id":"call_1"}]}}],"model":"twice"}`,
      '{"id":"n","object":"chat.completion.chunk","created":1,"model":"s2","choices":[]}',
      '{"id":"n","object":"chat.completion.chunk","created":12,"model":"s","choices":[]}',
      `${head}"choices":[{"delta":{"content":"c"}}]}`,
      '{"object":"chat.completion.chunk","choices":[]}',
      `${head}"choices":[{"delta":{"content":"d"}}]}`,
      `${head.slice(0, -1)}}`,
      `${head} "choices":[{"delta":{"content":"e"}}]}`,
    ];
    const rewrite = new TopLevelFields(fields);
    for (const payload of payloads) {
      const out = rewrite.apply(payload);
      expect(out).toBe(withTopLevelFields(payload, fields));
      expect(JSON.parse(out)).toMatchObject({ id: 'r-1', model: 'm1' });
    }
  });

  it('leaves text that is not an object alone', () => {
    expect(withTopLevelFields('[1,2]', fields)).toBe('[1,2]');
  });
});

describe('withFiniteNumbers', () => {
  it('turns NaN and ±Infinity outside strings into null, leaves strings alone', async () => {
    const { withFiniteNumbers, mayHaveNonFinite } = await import('../../src/serving/json-fields.js');
    const text = '{"a":NaN,"b":[Infinity,-Infinity,1],"s":"NaN and Infinity","c":{"d":-Infinity}}';
    expect(mayHaveNonFinite(text)).toBe(true);
    expect(JSON.parse(withFiniteNumbers(text))).toEqual({
      a: null,
      b: [null, null, 1],
      s: 'NaN and Infinity',
      c: { d: null },
    });
    expect(withFiniteNumbers('{"ok":1}')).toBe('{"ok":1}');
  });
});
