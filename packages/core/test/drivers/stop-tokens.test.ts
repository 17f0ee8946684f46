import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STOP_TOKENS, StopTokenCleaner } from '../../src/drivers/stop-tokens.js';

function streamed(parts: string[], tokens?: string[]): { text: string; stopped: boolean } {
  const c = new StopTokenCleaner(tokens);
  let text = '';
  for (const p of parts) text += c.push(p);
  return { text: text + c.flush(), stopped: c.stopped };
}

/** Every way to cut `s` into two or three chunks. */
function splits(s: string): string[][] {
  const out: string[][] = [[s]];
  for (let i = 0; i <= s.length; i++) {
    out.push([s.slice(0, i), s.slice(i)]);
    for (let j = i; j <= s.length; j++) out.push([s.slice(0, i), s.slice(i, j), s.slice(j)]);
  }
  return out;
}

describe('StopTokenCleaner', () => {
  it('truncates at the first stop token for every default token and every split point', () => {
    for (const token of DEFAULT_STOP_TOKENS) {
      const s = `The answer is 42.${token} ignored tail </s> more`;
      for (const parts of splits(s)) {
        expect(streamed(parts), `${token} ${JSON.stringify(parts)}`).toEqual({
          text: 'The answer is 42.',
          stopped: true,
        });
      }
    }
  });

  it('releases held-back prefixes that never complete, at every split point', () => {
    const s = 'a < b and </ not closed <|im_ and </';
    for (const parts of splits(s)) expect(streamed(parts)).toEqual({ text: s, stopped: false });
  });

  it('emits text as early as it is unambiguous', () => {
    const c = new StopTokenCleaner();
    expect(c.push('Hello <')).toBe('Hello ');
    expect(c.push('|im')).toBe('');
    expect(c.push('port|>')).toBe('<|import|>');
    expect(c.push('</')).toBe('');
    expect(c.push('s> tail')).toBe('');
    expect(c.stopped).toBe(true);
    expect(c.push('more')).toBe('');
    expect(c.flush()).toBe('');
  });

  it('uses model-specific tokens and picks the earliest of overlapping ones', () => {
    expect(StopTokenCleaner.clean('x<end_of_turn>y', ['<end_of_turn>'])).toEqual({
      text: 'x',
      stopped: true,
    });
    expect(StopTokenCleaner.clean('ab<|end|><|endoftext|>')).toEqual({ text: 'ab', stopped: true });
    expect(StopTokenCleaner.clean('no tokens here')).toEqual({ text: 'no tokens here', stopped: false });
  });

  it("the leaky test model's chunks cut at </s>", () => {
    expect(streamed(['The answer is 42.', '</', 's>', ' ignored tail'])).toEqual({
      text: 'The answer is 42.',
      stopped: true,
    });
  });
});

describe('StopTokenCleaner (property)', () => {
  it('streaming in any chunks equals cleaning the whole text', () => {
    const piece = fc.constantFrom(
      'a',
      ' ',
      '<',
      '|',
      '/',
      's',
      '>',
      'im_end',
      'eot_id',
      '</s>',
      '<|end|>',
      '<|im',
      '_end|>',
      'é',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (pieces, cuts) => {
          const text = pieces.join('');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
          const chunks: string[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(text.slice(prev, p));
            prev = p;
          }
          chunks.push(text.slice(prev));
          const whole = StopTokenCleaner.clean(text);
          expect(streamed(chunks)).toEqual(whole);
          for (const t of DEFAULT_STOP_TOKENS) expect(whole.text).not.toContain(t);
        },
      ),
      { numRuns: 500 },
    );
  });
});
