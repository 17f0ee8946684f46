import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzePrompt, complexityBand } from '../../src/analysis/index.js';
import type { TaskType } from '../../src/context/agent-context.js';

interface LabelledPrompt {
  prompt: string;
  taskType: TaskType;
  complexity: 'low' | 'medium' | 'high';
  split?: 'holdout' | 'agents';
}

const labelled: LabelledPrompt[] = JSON.parse(
  readFileSync(new URL('./labelled-prompts.json', import.meta.url), 'utf8'),
);

function accuracy(set: LabelledPrompt[]): { taskType: number; band: number } {
  let typeHits = 0;
  let bandHits = 0;
  for (const item of set) {
    const analysis = analyzePrompt([{ role: 'user', content: item.prompt }]);
    if (analysis.taskType === item.taskType) typeHits++;
    if (complexityBand(analysis.complexity) === item.complexity) bandHits++;
  }
  return { taskType: typeHits / set.length, band: bandHits / set.length };
}

describe('prompt analysis on the labelled set', () => {
  // The dev split was used while writing the cues (so it measures regressions); the holdout
  // split was written before tuning and never tuned against (so it estimates real accuracy).
  // Measured at commit time: dev type 97%, band 84%; holdout type 96%, band 54% (the band is
  // the weak part: it under-rates short but hard asks such as one-line proofs). The `agents`
  // split (agent-team work: postmortems, research notes, design reviews, writing about code) was
  // written after the cues for long analytic prose were added and never tuned against: type 83%,
  // band 75% when added.
  const dev = labelled.filter((item) => item.split === undefined);
  const holdout = labelled.filter((item) => item.split === 'holdout');
  const agents = labelled.filter((item) => item.split === 'agents');

  it('ships at least 100 prompts covering every task type and band', () => {
    expect(labelled.length).toBeGreaterThanOrEqual(100);
    const types = new Set(labelled.map((item) => item.taskType));
    expect(types.size).toBe(8);
    expect(new Set(labelled.map((item) => item.complexity)).size).toBe(3);
  });

  it('classifies task type (dev ≥ 90%, holdout ≥ 85%, agent work ≥ 75%)', () => {
    expect(accuracy(dev).taskType).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(holdout).taskType).toBeGreaterThanOrEqual(0.85);
    expect(accuracy(agents).taskType).toBeGreaterThanOrEqual(0.75);
  });

  it('reads the ask after long pasted material (a postmortem ending in a question is analysis)', () => {
    const notes = 'At 14:02 the cache cluster lost quorum. '.repeat(30);
    const ask = `${notes}\nGiven the timeline above, what was the root cause and what should we change first?`;
    expect(analyzePrompt([{ role: 'user', content: ask }]).taskType).toBe('reasoning');
  });

  it('estimates the complexity band (dev ≥ 75%, holdout ≥ 50%)', () => {
    expect(accuracy(dev).band).toBeGreaterThanOrEqual(0.75);
    expect(accuracy(holdout).band).toBeGreaterThanOrEqual(0.5);
  });

  it('is deterministic and keeps complexity in [0, 1]', () => {
    for (const item of labelled) {
      const a = analyzePrompt([{ role: 'user', content: item.prompt }]);
      const b = analyzePrompt([{ role: 'user', content: item.prompt }]);
      expect(a).toEqual(b);
      expect(a.complexity).toBeGreaterThanOrEqual(0);
      expect(a.complexity).toBeLessThanOrEqual(1);
    }
  });

  it('uses the last user message and honours a forced task type', () => {
    const messages = [
      { role: 'system' as const, content: 'You are a helpful assistant.' },
      { role: 'user' as const, content: 'Write a haiku about rain.' },
      { role: 'assistant' as const, content: 'Rain on the roof...' },
      { role: 'user' as const, content: 'Now translate it into French.' },
    ];
    expect(analyzePrompt(messages).taskType).toBe('translation');
    expect(analyzePrompt(messages, 'creative').taskType).toBe('creative');
    expect(analyzePrompt([]).taskType).toBe('chat');
  });
});
