import { beforeAll, describe, expect, it } from 'vitest';
import { type Captured, startCaptureServer } from '../../core/test/http/support/capture-server.js';
import { runPython } from '../../core/test/http/support/python.js';
import { createCrewaiExtractor, parseCrewAIPrompt } from '../src/index.js';

/**
 * Runs the real, pinned CrewAI crew (examples/crewai/crew.py) against a recording endpoint and
 * checks the exact prompt shape the bridge relies on. If a CrewAI upgrade changes it, this fails.
 */
let captured: Captured[] = [];
let result: Awaited<ReturnType<typeof runPython>>;

beforeAll(async () => {
  const server = await startCaptureServer('Thought: I now can give a great answer\nFinal Answer: done');
  try {
    result = await runPython('examples/crewai/crew.py', {
      BROKE_BASE_URL: `${server.url}/v1`,
      BROKE_KICKOFFS: '2',
    });
    captured = server.captured;
  } finally {
    await server.close();
  }
});

describe('CrewAI wire format (installed version)', () => {
  it('the crew finished twice, one request per agent and kickoff, and printed no warning', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ ok: true, kickoffs: 2, tasks: [3, 3] });
    expect(captured).toHaveLength(6);
    expect(result.stderr).toBe('');
  });

  it('two kickoffs send identical requests: nothing on the wire names a kickoff', () => {
    expect(captured.slice(3).map((c) => c.body)).toEqual(captured.slice(0, 3).map((c) => c.body));
  });

  it('sends "You are {role}. {backstory}\\nYour personal goal is: {goal}" as the system prompt', () => {
    const systems = captured.map((c) => (c.body.messages as Array<{ role: string; content: string }>)[0]);
    expect(systems.map((m) => m?.role)).toEqual(Array(6).fill('system'));
    expect(
      systems[0]?.content.startsWith(
        'You are Researcher. You dig up accurate facts.\nYour personal goal is: Find three facts about routing\n',
      ),
    ).toBe(true);
    expect(
      systems[1]?.content.startsWith(
        'You are Writer. You write clear prose.\nYour personal goal is: Write a short paragraph about routing\n',
      ),
    ).toBe(true);
    expect(
      systems[2]?.content.startsWith(
        'You are Reviewer. You are a strict editor.\nYour personal goal is: Check the paragraph about routing for errors\n',
      ),
    ).toBe(true);
  });

  it('sends the task as a user message with "Current Task:"', () => {
    const users = captured.map((c) => (c.body.messages as Array<{ role: string; content: string }>)[1]);
    expect(users.map((m) => m?.role)).toEqual(['user', 'user', 'user', 'user', 'user', 'user']);
    expect(users[0]?.content).toContain('Current Task: List three facts about routing.\n');
  });

  it('passes max_tokens/temperature and the crew-wide headers through the OpenAI SDK', () => {
    expect(captured[0]?.body).toMatchObject({ model: 'broke-auto', max_tokens: 24, temperature: 0 });
    for (const c of captured) {
      expect(c.url).toBe('/v1/chat/completions');
      expect(c.headers['x-broke-team']).toBe('newsroom');
      expect(c.headers['user-agent']).toMatch(/^OpenAI\/Python/);
    }
  });

  it('the extractor reads role, goal and task from what CrewAI really sent', () => {
    const prompts = captured.map((c) => parseCrewAIPrompt(c.body as never));
    expect(prompts.map((p) => p?.role)).toEqual([
      'Researcher',
      'Writer',
      'Reviewer',
      'Researcher',
      'Writer',
      'Reviewer',
    ]);
    expect(prompts[0]).toMatchObject({
      goal: 'Find three facts about routing',
      task: 'List three facts about routing.',
      expected: 'Three facts.',
    });
    expect(prompts.map((p) => p?.taskIndex)).toEqual([0, 1, 2, 0, 1, 2]);
    const extract = createCrewaiExtractor();
    const ctxs = captured.map((c) =>
      extract(c.body as never, new Headers(c.headers as Record<string, string>)),
    );
    expect(ctxs[1]).toMatchObject({ role: 'Writer', framework: 'crewai', conversationDepth: 1 });
    expect(ctxs[1]?.tags).toContain('goal:Write a short paragraph about routing');
    // What the router analyses: the task and its criteria, without the template or earlier outputs.
    expect(ctxs[1]?.taskText).toBe('Write one paragraph about routing from the facts.\nA paragraph.');
    // Each kickoff one session, depth counting the crew's steps.
    expect(ctxs.map((c) => c.conversationDepth)).toEqual([0, 1, 2, 0, 1, 2]);
    const sessions = ctxs.map((c) => c.sessionId);
    expect(new Set(sessions.slice(0, 3)).size).toBe(1);
    expect(new Set(sessions.slice(3)).size).toBe(1);
    expect(sessions[3]).not.toBe(sessions[0]);
  });
});
