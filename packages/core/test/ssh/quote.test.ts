import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../src/ssh/quote.js';

const echoBack = (args: string[]) =>
  execFileSync('sh', ['-c', `printf '%s\\0' ${shellCommand(args)}`])
    .toString()
    .split('\0')
    .slice(0, -1);

describe('shellQuote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(shellQuote('mlx_lm.server')).toBe('mlx_lm.server');
    expect(shellQuote('/a/b-c_d.e:8080')).toBe('/a/b-c_d.e:8080');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('round-trips hostile strings through a real sh unchanged', () => {
    const hostile = [
      'x; touch /tmp/pwned',
      '$(id)',
      '`id`',
      'a\'b"c',
      '\\',
      '*',
      '~/x',
      '--flag=$HOME',
      'new\nline',
      '&& rm -rf /',
      '|| true',
      '> /tmp/x',
      "'; echo pwned; '",
      ' leading and trailing ',
      'ünïcödé 模型',
    ];
    expect(echoBack(hostile)).toEqual(hostile);
  });

  it('refuses NUL bytes', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});
