import { describe, expect, it } from 'vitest';
import { crewaiExtractor, parseCrewAIPrompt } from '../src/index.js';

const system = (role: string) => ({
  role: 'system' as const,
  content: `You are ${role}. Backstory here.\nYour personal goal is: Do the thing\nTo give my best...`,
});

describe('crewaiExtractor', () => {
  it('counts assistant turns (tool / thought iterations) as depth', () => {
    const body = {
      model: 'broke-auto',
      messages: [
        system('Data Analyst'),
        { role: 'user' as const, content: '\nCurrent Task: Analyse.\n\nThought:' },
        { role: 'assistant' as const, content: 'Thought: use tool\nAction: search' },
        { role: 'user' as const, content: 'Observation: result' },
        { role: 'assistant' as const, content: 'Thought: again' },
      ],
    };
    expect(crewaiExtractor(body, new Headers())).toMatchObject({
      role: 'Data Analyst',
      conversationDepth: 2,
      tags: ['goal:Do the thing', 'task:Analyse.'],
    });
  });

  it('returns only the framework for prompts that are not CrewAI-shaped', () => {
    const body = { model: 'x', messages: [{ role: 'user' as const, content: 'hello' }] };
    expect(parseCrewAIPrompt(body)).toBeUndefined();
    expect(crewaiExtractor(body, new Headers())).toEqual({ framework: 'crewai', conversationDepth: 0 });
  });
});
