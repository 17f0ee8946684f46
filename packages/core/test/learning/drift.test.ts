import { describe, expect, it } from 'vitest';
import { LearnedQuality, type QualityPrediction } from '../../src/learning/learned-quality.js';

const predict = (learned: LearnedQuality, role: string, band: 'low' | 'high' = 'high') => {
  const out: QualityPrediction = { mean: 0, strength: 0, evidence: 0, levels: 0 };
  return LearnedQuality.predict(learned.slicesFor('t', role, 'code', band), 'big', 0.5, out).mean;
};
const judge = (learned: LearnedQuality, role: string, score: number, band: 'low' | 'high' = 'high') =>
  learned.update({ team: 't', role, taskType: 'code', modelId: 'big', band }, score, 0, 1);

describe('a model that changes under the same name', () => {
  it('one odd judgement moves only its own share; a run of them shifts every context and band', () => {
    const learned = new LearnedQuality();
    for (let i = 0; i < 40; i++) {
      judge(learned, 'reviewer', 0.9);
      judge(learned, 'architect', 0.9);
      judge(learned, 'architect', 0.9, 'low');
    }
    const before = predict(learned, 'architect');
    judge(learned, 'reviewer', 0.1); // a misread difficulty, a bad day: noise
    expect(predict(learned, 'architect')).toBeGreaterThan(before - 0.05);
    for (let i = 0; i < 3; i++) judge(learned, 'reviewer', 0.1);
    // The architect has not seen a single bad answer, on either band, and still stops trusting it.
    expect(predict(learned, 'architect')).toBeLessThan(before - 0.2);
    expect(predict(learned, 'architect', 'low')).toBeLessThan(before - 0.2);
  });

  it('a model judged good and bad at random (a noisy judge) is not taken for a changed one', () => {
    const learned = new LearnedQuality();
    let seed = 7;
    const coin = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 40; i++) judge(learned, 'reviewer', 0.7);
    let shifts = 0;
    for (let i = 0; i < 200; i++) {
      const changed = judge(learned, 'reviewer', coin() < 0.7 ? 0.8 : 0.5);
      if (changed.length > 4) shifts++;
    }
    expect(shifts).toBe(0);
  });
});
