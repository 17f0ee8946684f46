import { describe, expect, it } from 'vitest';
import { LearnedQuality, normaliseRole, qualityTemperature, roleModelQuality } from '../../src/index.js';

/** Judgements folded in the way the router folds them (roles lower-cased, every pooling level at once). */
function learned(
  judgements: Array<{
    team?: string;
    role: string;
    taskType?: 'code' | 'chat';
    model: string;
    score: number;
    n: number;
  }>,
) {
  const q = new LearnedQuality();
  let at = 0;
  for (const j of judgements)
    for (let i = 0; i < j.n; i++)
      q.update(
        {
          team: j.team ?? '*',
          role: normaliseRole(j.role),
          taskType: j.taskType ?? 'code',
          modelId: j.model,
          band: 'medium',
        },
        j.score,
        ++at,
      );
  return roleModelQuality(q.all());
}

describe('quality temperature', () => {
  it('turns green or red only when the band rules the other side out', () => {
    expect(qualityTemperature({ mean: 0.8, low: 0.62, high: 0.95, evidence: 10 })).toBe('green');
    expect(qualityTemperature({ mean: 0.8, low: 0.55, high: 0.95, evidence: 10 })).toBe('yellow');
    expect(qualityTemperature({ mean: 0.45, low: 0.2, high: 0.7, evidence: 10 })).toBe('orange');
    expect(qualityTemperature({ mean: 0.2, low: 0.05, high: 0.39, evidence: 10 })).toBe('red');
    expect(qualityTemperature({ mean: 0.2, low: 0.05, high: 0.39, evidence: 0.6 })).toBeUndefined();
  });

  it('follows the judgements: many good ones are green, many poor ones red, a few mixed ones undecided', () => {
    const rows = learned([
      { role: 'reviewer', model: 'big', score: 0.9, n: 20 },
      { role: 'reviewer', model: 'small', score: 0.1, n: 20 },
      { role: 'writer', model: 'small', score: 0.7, n: 2 },
      { role: 'writer', model: 'small', score: 0.2, n: 1 },
      { role: 'chat', model: 'small', score: 0.1, n: 3 },
    ]);
    const t = (role: string, model: string) =>
      rows.find((r) => r.role === role && r.modelId === model)?.temperature;
    expect(t('reviewer', 'big')).toBe('green');
    expect(t('reviewer', 'small')).toBe('red');
    expect(t('writer', 'small')).toBe('yellow');
    expect(t('chat', 'small')).toBe('orange');
  });
});

describe('learned quality per (role, model)', () => {
  it('sums a role over its task types and teams, with everyone as role *, and a band that narrows with evidence', () => {
    const rows = learned([
      { team: 'a', role: 'Coder', taskType: 'code', model: 'm', score: 1, n: 3 },
      { team: 'b', role: 'coder', taskType: 'chat', model: 'm', score: 0, n: 1 },
      { role: 'writer', model: 'm', score: 1, n: 4 },
    ]);
    expect(rows.map((r) => `${r.role}|${r.modelId}`)).toEqual(['*|m', 'coder|m', 'writer|m']);
    const coder = rows[1] as (typeof rows)[number];
    expect(coder.n).toBe(4);
    expect(coder.evidence).toBeCloseTo(3.9, 1); // 4 judgements, older ones discounted by 0.98 each
    expect(coder.mean).toBeGreaterThan(0.6);
    expect(coder.mean).toBeLessThan(0.7);
    const everyone = rows[0] as (typeof rows)[number];
    expect(everyone.n).toBe(8);
    expect(everyone.high - everyone.low).toBeLessThan(coder.high - coder.low);
    for (const r of rows) {
      expect(r.low).toBeLessThanOrEqual(r.mean);
      expect(r.high).toBeGreaterThanOrEqual(r.mean);
    }
  });
});
