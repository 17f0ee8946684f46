import { analyzePrompt } from '@broke/core';
import { describe, expect, it } from 'vitest';
import { createAutogenExtractor, parseSelectorCall, roleFromSystemMessage } from '../src/index.js';

const DEFAULT_SYSTEM =
  'You are a helpful AI assistant. Solve tasks using your tools. Reply with TERMINATE when the task has been completed.';
const TASK = 'Write a function that reverses a string.';
type Msg = { role: string; content: string; name?: string };

/** SelectorGroupChat's default selection prompt (autogen-agentchat 0.7.5) for a history. */
function selectorPrompt(history: Array<[string, string]>, candidates: string[]): Msg {
  const roles = ['planner', 'coder', 'critic']
    .map((n) => `${n}: An agent that provides assistance with ability to use tools.`)
    .join('\n');
  const lines = history.map(([s, c]) => `${s}: ${c}\n\n`).join('\n');
  return {
    role: 'user',
    name: 'user',
    content: `You are in a role play game. The following roles are available:\n${roles}.\nRead the following conversation. Then select the next role from ${JSON.stringify(candidates).replaceAll('"', "'")} to play. Only return the role.\n\n${lines}\n\nRead the above conversation. Then select the next role from ${JSON.stringify(candidates)} to play. Only return the role.`,
  };
}

/** The requests of one SelectorGroupChat run: selector → planner → selector → coder. */
function selectorRun(): Array<{ model: string; messages: Msg[] }> {
  const sys: Msg = { role: 'system', content: DEFAULT_SYSTEM };
  const task: Msg = { role: 'user', name: 'user', content: TASK };
  return [
    { model: 'broke-auto', messages: [selectorPrompt([['user', TASK]], ['planner', 'coder', 'critic'])] },
    { model: 'broke-auto', messages: [sys, task] },
    {
      model: 'broke-auto',
      messages: [
        selectorPrompt(
          [
            ['user', TASK],
            ['planner', 'Plan: two steps.'],
          ],
          ['coder', 'critic'],
        ),
      ],
    },
    {
      model: 'broke-auto',
      messages: [sys, task, { role: 'user', name: 'planner', content: 'Plan: two steps.' }],
    },
  ];
}

describe('autogen extractor', () => {
  it("AutoGen's default system message names no role; a custom one does", () => {
    expect(roleFromSystemMessage(DEFAULT_SYSTEM)).toBeUndefined();
    expect(roleFromSystemMessage('You are the planner. Break the task into steps.')).toBe('planner');
  });

  it('recognises selection calls, first try and retries', () => {
    const [first] = selectorRun();
    expect(parseSelectorCall(first?.messages ?? [])).toMatchObject({
      entries: 1,
      instruction: "Select the next role from ['planner','coder','critic'] to play. Only return the role.",
    });
    const retry = [
      ...(first?.messages ?? []),
      { role: 'assistant', content: 'Here is my contribution.' },
      {
        role: 'user',
        name: 'user',
        content: "No valid name was mentioned. Please select from: ['planner'].",
      },
    ];
    expect(parseSelectorCall(retry)).toMatchObject({ entries: 1 });
    expect(parseSelectorCall([{ role: 'user', content: TASK }])).toBeUndefined();
  });

  it('a selection is analysed as the small choice it is, not as the conversation it quotes', () => {
    const [, , second] = selectorRun();
    const messages = second?.messages ?? [];
    const ctx = createAutogenExtractor()({ model: 'broke-auto', messages } as never, new Headers());
    expect(ctx.taskText).toBe("Select the next role from ['coder','critic'] to play. Only return the role.");
    // Read whole, the roles and the quoted conversation make the choice look like a bigger task.
    const own = analyzePrompt(messages as never, undefined, ctx.taskText);
    expect(own.complexity).toBeLessThan(analyzePrompt(messages as never).complexity);
  });

  it("an agent's turn after another agent's message is analysed as the run's task", () => {
    const extract = createAutogenExtractor();
    const [, first, , second] = selectorRun().map((b) => extract(b as never, new Headers()));
    expect(first?.taskText).toBeUndefined(); // the task is the last message: read as it is
    expect(second?.taskText).toBe(TASK); // "Plan: two steps." is the planner's, not the task
    expect(analyzePrompt([{ role: 'user', content: 'Plan: two steps.' }]).taskType).toBe('chat');
    expect(
      analyzePrompt([{ role: 'user', content: 'Plan: two steps.' }], undefined, second?.taskText).taskType,
    ).toBe('code');
  });

  it('one session per team run, selector calls included; the same task run again is a new session', () => {
    const extract = createAutogenExtractor();
    const runs = [selectorRun(), selectorRun()].map((run) =>
      run.map((b) => extract(b as never, new Headers())),
    );
    for (const run of runs) {
      expect(run.map((c) => c.role)).toEqual(['selector', undefined, 'selector', undefined]);
      expect(run.map((c) => c.conversationDepth)).toEqual([0, 0, 1, 1]);
      expect(new Set(run.map((c) => c.sessionId)).size).toBe(1);
      expect(run[3]?.tags).toEqual(['speaker:planner']);
    }
    expect(runs[0]?.[0]?.sessionId).not.toBe(runs[1]?.[0]?.sessionId);
    // Another task at the same time is another run.
    const other = extract(
      { model: 'broke-auto', messages: [{ role: 'user', name: 'user', content: 'Other.' }] } as never,
      new Headers(),
    );
    expect(other.sessionId).not.toBe(runs[1]?.[0]?.sessionId);
  });
});
