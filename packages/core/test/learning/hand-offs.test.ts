import { describe, expect, it } from 'vitest';
import { type HandOffEstimate, HandOffs } from '../../src/learning/hand-offs.js';

const scratch = (): HandOffEstimate => ({
  delta: 0,
  sessions: 0,
  mean: 0,
  baseline: 0,
  after: { role: '', modelId: '' },
});
const drafter = (modelId: string) => ({ role: 'drafter', modelId });
const reviewer = (modelId: string) => ({ role: 'reviewer', modelId });

describe('HandOffs', () => {
  it('credits session outcomes to each hand-off and ranks models after the same previous turn', () => {
    const h = new HandOffs();
    for (let i = 0; i < 4; i++) {
      h.credit('crew', [drafter('small'), reviewer('large')], 0.9);
      h.credit('crew', [drafter('small'), reviewer('small')], 0.2);
    }
    const large = scratch();
    const small = scratch();
    expect(h.estimate('crew', drafter('small'), 'reviewer', 'large', large)).toBe(true);
    expect(h.estimate('crew', drafter('small'), 'reviewer', 'small', small)).toBe(true);
    expect(large.delta).toBeGreaterThan(0.1);
    expect(small.delta).toBeLessThan(-0.1);
    expect(large.sessions).toBe(4);
    expect(large.mean).toBeCloseTo(0.9);
    expect(large.baseline).toBeCloseTo(0.55);
  });

  it('knows nothing about another previous model, another team or an unseen model', () => {
    const h = new HandOffs();
    h.credit('crew', [drafter('small'), reviewer('large')], 0.9);
    const out = scratch();
    expect(h.estimate('crew', drafter('large'), 'reviewer', 'large', out)).toBe(false);
    expect(h.estimate('other', drafter('small'), 'reviewer', 'large', out)).toBe(false);
    expect(h.estimate('crew', drafter('small'), 'reviewer', 'medium', out)).toBe(false);
  });

  it('shrinks thin evidence and caps what it adds', () => {
    const h = new HandOffs();
    h.credit('crew', [drafter('s'), reviewer('a')], 1);
    h.credit('crew', [drafter('s'), reviewer('b')], 0);
    const one = scratch();
    h.estimate('crew', drafter('s'), 'reviewer', 'a', one);
    // One session each: (1 − 0.5) shrunk by 1 / (1 + 3).
    expect(one.delta).toBeCloseTo(0.125);
    for (let i = 0; i < 50; i++) {
      h.credit('crew', [drafter('s'), reviewer('a')], 1);
      h.credit('crew', [drafter('s'), reviewer('b')], 0);
    }
    const many = scratch();
    h.estimate('crew', drafter('s'), 'reviewer', 'a', many);
    expect(many.delta).toBe(0.2);
  });

  it('credits each distinct hand-off once per session and skips a role answering itself', () => {
    const h = new HandOffs();
    const n = h.credit(
      'crew',
      [drafter('s'), drafter('s'), reviewer('l'), drafter('s'), reviewer('l'), reviewer('l')],
      1,
    );
    // drafter→reviewer and reviewer→drafter, each once; drafter→drafter and reviewer→reviewer skipped.
    expect(n).toBe(2);
    const out = scratch();
    h.estimate('crew', drafter('s'), 'reviewer', 'l', out);
    expect(out.sessions).toBe(1);
  });

  it("remembers each session's newest turn, bounded", () => {
    const h = new HandOffs({ sessions: 2 });
    h.noteTurn('s1', 'drafter', 'small');
    h.noteTurn('s1', 'reviewer', 'large');
    expect(h.previous('s1')).toEqual({ role: 'reviewer', modelId: 'large' });
    h.noteTurn('s2', 'drafter', 'x');
    h.noteTurn('s3', 'drafter', 'y');
    expect(h.previous('s1')).toBeUndefined();
    expect(h.previous(undefined)).toBeUndefined();
    expect(h.size.sessions).toBe(2);
  });
});
