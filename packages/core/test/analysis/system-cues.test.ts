import { describe, expect, it } from 'vitest';
import { classifyTaskType } from '../../src/analysis/task-type.js';

// System prompts count at half weight: these two decide the task on their own, one each way.
const CODER = 'You are a Python engineer. You fix the bug in the function you are given.';
const TRANSLATOR = 'Translate what you are given into German: translation work for a shop.';
const NEUTRAL = 'Go ahead with the next one.';

describe('system-prompt cues, kept per system prompt across turns', () => {
  it('reads each system prompt as its own, turn after turn', () => {
    expect(classifyTaskType(NEUTRAL)).toBe('chat');
    for (let turn = 0; turn < 3; turn++) {
      expect(classifyTaskType(NEUTRAL, CODER)).toBe('code');
      expect(classifyTaskType(NEUTRAL, TRANSLATOR)).toBe('translation');
    }
    // The user's own cues still come first.
    expect(classifyTaskType('Summarize this thread in three bullet points.', CODER)).toBe('summarization');
  });

  it('stays right past the number of system prompts it keeps', () => {
    const prompts = Array.from({ length: 600 }, (_, i) =>
      i % 2 === 0 ? `${CODER} Ticket ${i}.` : `${TRANSLATOR} Order ${i}.`,
    );
    const expected = (i: number) => (i % 2 === 0 ? 'code' : 'translation');
    for (let i = 0; i < prompts.length; i++) expect(classifyTaskType(NEUTRAL, prompts[i])).toBe(expected(i));
    // The first ones were dropped since: read again, not mistaken for another prompt.
    for (let i = 0; i < 20; i++) expect(classifyTaskType(NEUTRAL, prompts[i])).toBe(expected(i));
  });
});
