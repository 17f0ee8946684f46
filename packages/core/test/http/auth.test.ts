import { describe, expect, it } from 'vitest';
import { assertSafeBind, isLoopbackHost } from '../../src/http/index.js';

describe('isLoopbackHost', () => {
  it('accepts loopback addresses only, not names that start with 127.', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['127.evil.example', '0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('assertSafeBind', () => {
  it('refuses a name that only looks like loopback without keys', () => {
    expect(() => assertSafeBind('127.evil.example', [])).toThrow(/without API keys/);
    expect(() => assertSafeBind('127.0.0.1', [])).not.toThrow();
  });
});
