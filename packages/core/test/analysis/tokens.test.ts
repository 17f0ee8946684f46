import { readFileSync } from 'node:fs';
import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { countMessageTokens, countTokens } from '../../src/analysis/index.js';

const prompts: Array<{ prompt: string }> = JSON.parse(
  readFileSync(new URL('./labelled-prompts.json', import.meta.url), 'utf8'),
);

// Extra shapes the labelled prompts lack: real source code, JSON, long prose, numbers.
const extras = [
  readFileSync(new URL('../../src/analysis/tokens.ts', import.meta.url), 'utf8'),
  readFileSync(new URL('../../src/config/schema.ts', import.meta.url), 'utf8'),
  JSON.stringify({
    users: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `user${i}`, score: i * 1.5 })),
  }),
  'The quick brown fox jumps over the lazy dog. '.repeat(40),
  '3.14159 2.71828 1.41421 1234567890 98765 42 7 '.repeat(10),
];

describe('countTokens against cl100k_base', () => {
  const encoding = getEncoding('cl100k_base');
  const texts = [...prompts.map((p) => p.prompt), ...extras];

  it('stays within ±30% per text and ±5% in aggregate', () => {
    let estimated = 0;
    let actual = 0;
    for (const text of texts) {
      const real = encoding.encode(text, 'all').length; // special tokens count as one, as models see them
      const guess = countTokens(text);
      estimated += guess;
      actual += real;
      if (real >= 20) expect(Math.abs(guess - real) / real, text.slice(0, 60)).toBeLessThanOrEqual(0.3);
    }
    expect(Math.abs(estimated - actual) / actual).toBeLessThanOrEqual(0.05);
  });

  it('counts chat overhead and content parts', () => {
    expect(countTokens('')).toBe(0);
    const plain = countMessageTokens([{ role: 'user', content: 'hello world' }]);
    const parts = countMessageTokens([{ role: 'user', content: [{ type: 'text', text: 'hello world' }] }]);
    expect(plain).toBe(parts);
    expect(plain).toBe(3 + 4 + countTokens('hello world'));
  });
});
