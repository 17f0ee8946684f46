import { describe, expect, it } from 'vitest';
import { CaptureSchema, redactor } from '../../src/index.js';

const rulesOf = (redact: unknown[]) => CaptureSchema.parse({ teams: ['t'], redact }).redact;

describe('capture redaction', () => {
  it('masks e-mail addresses and keys with the built-in rules, leaving the rest of the text', () => {
    const redact = redactor(rulesOf(['emails', 'keys'])) as (t: string) => string;
    const text =
      'mail ana.lopez+work@mail.example.co.uk, key sk-proj-abcdefghijklmnop1234 and AKIAABCDEFGHIJKLMNOP; Bearer abcdefghijklmnopqrstu';
    const out = redact(text);
    expect(out).toBe('mail [email], key [key] and [key]; [key]');
    expect(redact('nothing secret here @ all')).toBe('nothing secret here @ all');
  });

  it('applies config regexes in order with their replacement and flags', () => {
    const redact = redactor(
      rulesOf([
        { pattern: 'customer-\\d+', replacement: '[customer]' },
        { pattern: 'secret', flags: 'i' },
      ]),
    ) as (t: string) => string;
    expect(redact('customer-42 told customer-7 a SECRET')).toBe('[customer] told [customer] a [redacted]');
  });

  it('has nothing to run without rules', () => {
    expect(redactor([])).toBeUndefined();
  });

  it('rejects a rule that is not a regular expression, or an unknown preset, when the config loads', () => {
    expect(() => rulesOf([{ pattern: 'a(b' }])).toThrow(/not a valid regular expression/);
    expect(() => rulesOf(['phone-numbers'])).toThrow();
    expect(() => rulesOf([{ pattern: 'x', flags: 'gy' }])).toThrow(/flags/);
  });
});
