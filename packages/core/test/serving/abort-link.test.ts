import { describe, expect, it } from 'vitest';
import { AbortLink, LinkedCallOptions } from '../../src/serving/abort-link.js';

describe('AbortLink (a call abort without an AbortSignal per request)', () => {
  it('tells each listener once, with the reason readable, and not after it unhooked', () => {
    const link = new AbortLink();
    const heard: string[] = [];
    link.onAbort(() => heard.push('a'));
    const unhook = link.onAbort(() => heard.push('b'));
    unhook();
    link.abort('timeout');
    link.abort('again');
    expect(heard).toEqual(['a']);
    expect(link.aborted).toBe(true);
    expect(link.reason).toBe('timeout');
    // Too late to hear it: a listener added after the abort is not called.
    link.onAbort(() => heard.push('c'));
    expect(heard).toEqual(['a']);
  });

  it('gives a driver that reads `signal` a real AbortSignal aborted with the same reason', () => {
    const link = new AbortLink();
    const options = new LinkedCallOptions(link, { traceparent: 't' });
    const signal = options.signal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    link.abort('client closed the request');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('client closed the request');
    expect(fired).toBe(1);
    expect(options.headers).toEqual({ traceparent: 't' });
    // Made after the abort, the signal is born aborted.
    const late = new AbortLink();
    late.abort('node down');
    expect(new LinkedCallOptions(late, undefined).signal.reason).toBe('node down');
  });
});
