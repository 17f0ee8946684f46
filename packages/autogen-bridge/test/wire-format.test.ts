import { beforeAll, describe, expect, it } from 'vitest';
import { type Captured, startCaptureServer } from '../../core/test/http/support/capture-server.js';
import { runPython } from '../../core/test/http/support/python.js';
import { autogenExtractor } from '../src/index.js';

/**
 * Runs the real, pinned AutoGen team (examples/autogen/team.py) against a recording endpoint and
 * checks the message shape the bridge relies on, so an AutoGen upgrade that changes it fails here.
 */
type Msg = { role: string; content: string; name?: string };
let captured: Captured[] = [];
let result: Awaited<ReturnType<typeof runPython>>;

beforeAll(async () => {
  const server = await startCaptureServer('ok');
  try {
    result = await runPython('examples/autogen/team.py', {
      BROKE_BASE_URL: `${server.url}/v1`,
      BROKE_ROUNDS: '2',
    });
    captured = server.captured;
  } finally {
    await server.close();
  }
});

describe('AutoGen wire format (installed version)', () => {
  it('the team finished, round robin, one request per turn', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toMatchObject({
      ok: true,
      sources: ['user', 'planner', 'coder', 'critic', 'planner', 'coder', 'critic'],
    });
    expect(captured).toHaveLength(6);
  });

  it('sends system_message first, other agents as named user messages, own turns as assistant', () => {
    const msgs = captured[3]?.body.messages as Msg[];
    expect(msgs[0]).toEqual({ role: 'system', content: 'You are the planner. Break the task into steps.' });
    expect(msgs[1]).toEqual({
      role: 'user',
      name: 'user',
      content: 'Write a function that reverses a string.',
    });
    expect(msgs[2]).toMatchObject({ role: 'assistant', content: 'ok' });
    expect(msgs.slice(3).map((m) => [m.role, m.name])).toEqual([
      ['user', 'coder'],
      ['user', 'critic'],
    ]);
  });

  it('streams with stream_options when model_client_stream is on', () => {
    expect(captured[1]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 16,
    });
  });

  it('the extractor gives role, depth and one session for the whole group chat', () => {
    const ctxs = captured.map((c) => autogenExtractor(c.body as never, new Headers()));
    expect(ctxs.map((c) => c.role)).toEqual(['planner', 'coder', 'critic', 'planner', 'coder', 'critic']);
    expect(ctxs.map((c) => c.conversationDepth)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(ctxs.map((c) => c.sessionId)).size).toBe(1);
    expect(ctxs[2]?.tags).toEqual(['speaker:planner', 'speaker:coder']);
    // After the first turn the last message is another agent's; the analysis reads the run's task.
    expect(ctxs.map((c) => c.taskText)).toEqual([
      undefined,
      ...Array(5).fill('Write a function that reverses a string.'),
    ]);
  });
});
