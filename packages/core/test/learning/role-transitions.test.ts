import { describe, expect, it } from 'vitest';
import { RoleTransitions } from '../../src/learning/role-transitions.js';

describe('RoleTransitions', () => {
  it('learns which role follows which in a session, and how soon', () => {
    const t = new RoleTransitions();
    for (let s = 0; s < 3; s++) {
      const base = s * 10_000;
      t.observe('docs', 'writer', `s${s}`, base);
      t.observe('docs', 'reviewer', `s${s}`, base + 1000 + s * 100);
    }
    expect(t.next('docs', 'writer')).toEqual([{ to: 'reviewer', count: 3, probability: 1, meanGapMs: 1100 }]);
    expect(t.seen('docs', 'writer')).toBe(3);
    // Nothing followed a reviewer yet, and other teams learned nothing.
    expect(t.next('docs', 'reviewer')).toEqual([]);
    expect(t.next('other', 'writer')).toEqual([]);
  });

  it('keeps sessions apart: interleaved sessions do not make transitions between each other', () => {
    const t = new RoleTransitions();
    t.observe('docs', 'writer', 'a', 0);
    t.observe('docs', 'writer', 'b', 10);
    t.observe('docs', 'reviewer', 'a', 20);
    t.observe('docs', 'reviewer', 'b', 30);
    expect(t.next('docs', 'writer')).toEqual([{ to: 'reviewer', count: 2, probability: 1, meanGapMs: 20 }]);
    expect(t.next('docs', 'reviewer')).toEqual([]);
  });

  it('uses the team as the sequence when requests name no session', () => {
    const t = new RoleTransitions();
    t.observe('ops', 'planner', undefined, 0);
    t.observe('ops', 'coder', undefined, 50);
    t.observe('ops', 'planner', undefined, 100);
    t.observe('ops', 'tester', undefined, 150);
    const next = t.next('ops', 'planner');
    expect(next.map((n) => [n.to, n.probability])).toEqual([
      ['coder', 0.5],
      ['tester', 0.5],
    ]);
    expect(t.next('ops', 'coder')).toEqual([{ to: 'planner', count: 1, probability: 1, meanGapMs: 50 }]);
  });

  it('ranks the most frequent next role first with its probability', () => {
    const t = new RoleTransitions();
    for (let i = 0; i < 4; i++) {
      t.observe('x', 'a', `s${i}`, 0);
      t.observe('x', i === 3 ? 'c' : 'b', `s${i}`, 10);
    }
    expect(t.next('x', 'a').map((n) => [n.to, n.probability])).toEqual([
      ['b', 0.75],
      ['c', 0.25],
    ]);
  });

  it('is bounded: teams beyond the cap drop the oldest, roles beyond it are not learned', () => {
    const t = new RoleTransitions({ maxTeams: 2, maxRoles: 2 });
    for (const team of ['t1', 't2', 't3']) {
      t.observe(team, 'a', 's', 0);
      t.observe(team, 'b', 's', 1);
    }
    expect(t.seen('t1', 'a')).toBe(0);
    expect(t.seen('t3', 'a')).toBe(1);
    t.observe('t3', 'c', 's', 2); // from b (second role) to c
    t.observe('t3', 'd', 's', 3); // from c: a third "from" role, beyond the cap
    expect(t.seen('t3', 'b')).toBe(1);
    expect(t.seen('t3', 'c')).toBe(0);
  });

  it('halves old counts so a changed turn order takes over', () => {
    const t = new RoleTransitions({ maxCount: 10 });
    let at = 0;
    const turn = (from: string, to: string) => {
      const s = `s${at}`;
      t.observe('x', from, s, at++);
      t.observe('x', to, s, at++);
    };
    for (let i = 0; i < 9; i++) turn('a', 'b');
    for (let i = 0; i < 10; i++) turn('a', 'c');
    expect(t.next('x', 'a')[0]?.to).toBe('c');
    expect(t.seen('x', 'a')).toBeLessThan(19);
  });
});
