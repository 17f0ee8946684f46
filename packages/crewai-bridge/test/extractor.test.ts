import { analyzePrompt } from '@broke/core';
import { describe, expect, it } from 'vitest';
import { createCrewaiExtractor, crewaiExtractor, parseCrewAIPrompt } from '../src/index.js';

const system = (role: string) => ({
  role: 'system' as const,
  content: `You are ${role}. Backstory here.\nYour personal goal is: Do the thing\nTo give my best...`,
});

/** The user message CrewAI 1.6 builds for a task, with the outputs of earlier tasks as context. */
const taskMessage = (task: string, earlier: string[]) => ({
  role: 'user' as const,
  content: `\nCurrent Task: ${task}\nThis is the expected criteria for your final answer: x\nyou MUST return the actual complete content as the final answer, not a summary.${
    earlier.length
      ? `\n\nThis is the context you're working with:\n${earlier.join('\n\n----------\n\n')}`
      : ''
  }\n\nBegin! This is VERY important to you, use the tools available and give your best Final Answer, your job depends on it!\n\nThought:`,
});

const crewHeaders = (extra: Record<string, string> = {}) =>
  new Headers({ authorization: 'Bearer local', 'user-agent': 'OpenAI/Python 2.8.1', ...extra });

/** One kickoff of a sequential crew: researcher → writer → reviewer, one call each. */
function kickoff(outputs = ['facts', 'paragraph']) {
  return [
    { model: 'broke-auto', messages: [system('Researcher'), taskMessage('List facts.', [])] },
    { model: 'broke-auto', messages: [system('Writer'), taskMessage('Write.', outputs.slice(0, 1))] },
    { model: 'broke-auto', messages: [system('Reviewer'), taskMessage('Review.', outputs)] },
  ];
}

describe('crewaiExtractor', () => {
  it('reads role, goal, task and task index; tool / thought iterations deepen the step', () => {
    const extract = createCrewaiExtractor();
    const body = {
      model: 'broke-auto',
      messages: [
        system('Data Analyst'),
        taskMessage('Analyse.', ['a', 'b']),
        { role: 'assistant' as const, content: 'Thought: use tool\nAction: search\nObservation: r' },
        { role: 'assistant' as const, content: 'Thought: again\nObservation: r2' },
      ],
    };
    expect(parseCrewAIPrompt(body)).toMatchObject({
      role: 'Data Analyst',
      task: 'Analyse.',
      expected: 'x',
      taskIndex: 2,
    });
    expect(extract(body, crewHeaders())).toMatchObject({
      role: 'Data Analyst',
      conversationDepth: 4,
      tags: ['goal:Do the thing', 'task-index:2', 'task:Analyse.'],
      taskText: 'Analyse.\nx',
    });
  });

  it("hands the router the task and its criteria, not CrewAI's template around them", () => {
    const task = 'Fix the off-by-one bug in the pagination function\nand add a unit test for it.';
    const body = {
      model: 'broke-auto',
      messages: [system('Engineer'), taskMessage(task, ['earlier output'])],
    };
    const ctx = createCrewaiExtractor()(body, crewHeaders());
    // Every line of the description, then the expected criteria; the context of earlier tasks not.
    expect(ctx.taskText).toBe(`${task}\nx`);
    expect(ctx.tags).toContain('task:Fix the off-by-one bug in the pagination function');
    expect(analyzePrompt(body.messages, undefined, ctx.taskText).taskType).toBe('code');
    // The template says "…not a summary": read whole, a task with no strong cue of its own looks
    // like summarization (every task of the crew bench did).
    const survey = {
      model: 'broke-auto',
      messages: [
        system('Market Analyst'),
        taskMessage('Survey the market for e-bikes in depth: players, prices, trends.', []),
      ],
    };
    const surveyCtx = createCrewaiExtractor()(survey, crewHeaders());
    expect(analyzePrompt(survey.messages).taskType).toBe('summarization');
    expect(analyzePrompt(survey.messages, undefined, surveyCtx.taskText).taskType).not.toBe('summarization');
  });

  it('each kickoff is its own session, with depth counting the crew steps, though requests repeat', () => {
    const extract = createCrewaiExtractor();
    const runs = [kickoff(), kickoff()].map((k) => k.map((b) => extract(b, crewHeaders())));
    for (const run of runs) {
      expect(run.map((c) => c.role)).toEqual(['Researcher', 'Writer', 'Reviewer']);
      expect(run.map((c) => c.conversationDepth)).toEqual([0, 1, 2]);
      expect(new Set(run.map((c) => c.sessionId)).size).toBe(1);
    }
    expect(runs[0]?.[0]?.sessionId).not.toBe(runs[1]?.[0]?.sessionId);
  });

  it('a tool loop stays in the kickoff and keeps counting; another client is another run', () => {
    const extract = createCrewaiExtractor();
    const [first, second] = kickoff();
    const loop = {
      model: 'broke-auto',
      messages: [
        ...(first?.messages ?? []),
        { role: 'assistant' as const, content: 'Action: x\nObservation: y' },
      ],
    };
    const ctxs = [first, loop, second].map((b) => extract(b as never, crewHeaders()));
    expect(ctxs.map((c) => c.conversationDepth)).toEqual([0, 1, 2]);
    expect(new Set(ctxs.map((c) => c.sessionId)).size).toBe(1);
    const other = extract(first as never, crewHeaders({ 'x-broke-team': 'other-crew' }));
    expect(other.sessionId).not.toBe(ctxs[0]?.sessionId);
  });

  it('a session header names the session; depth still counts its steps', () => {
    const extract = createCrewaiExtractor();
    const ctxs = kickoff().map((b) => extract(b, crewHeaders({ 'x-broke-session': 'mine' })));
    expect(ctxs.map((c) => c.sessionId)).toEqual([undefined, undefined, undefined]);
    expect(ctxs.map((c) => c.conversationDepth)).toEqual([0, 1, 2]);
  });

  it('returns only the framework for prompts that are not CrewAI-shaped', () => {
    const body = { model: 'x', messages: [{ role: 'user' as const, content: 'hello' }] };
    expect(parseCrewAIPrompt(body)).toBeUndefined();
    expect(crewaiExtractor(body, new Headers())).toEqual({ framework: 'crewai', conversationDepth: 0 });
  });
});
