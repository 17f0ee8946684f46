import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import {
  type AgentContext,
  answersBookkept,
  CaptureSchema,
  type ChatCompletion,
  InteractionCapture,
  type RequestEnd,
  type ServingDeps,
  serveChat,
  signalLink,
} from '../../src/index.js';
import { Collect } from '../serving/collect-sink.js';
import { oneNodeDeps } from '../serving/one-node-deps.js';

/** Capture on the one serving path, in process (as LangChain uses it), on a real mlx_lm.server node. */
describe('capture in process: serveChat with a capture and a redaction hook', () => {
  let node: MlxNode;
  let dir: string;
  let base: Omit<ServingDeps, 'observers'>;
  let capture: InteractionCapture;
  const ends: RequestEnd[] = [];
  const hookSaw: string[] = [];

  beforeAll(async () => {
    node = await startMlxNode({ model: 'tiny' });
    dir = mkdtempSync(join(tmpdir(), 'broke-capture-inproc-'));
    base = oneNodeDeps(node.url);
    capture = new InteractionCapture({
      config: CaptureSchema.parse({
        teams: ['lab'],
        store: { path: join(dir, 'interactions.db') },
        redact: [{ pattern: 'Alice', replacement: '[name]' }],
      }),
      // The programmatic hook runs after the config's rules.
      redact: (text, where) => {
        hookSaw.push(`${where.team}:${where.role}`);
        return text.replaceAll('Project Falcon', '[project]');
      },
    });
  }, 120_000);

  afterAll(async () => {
    capture?.close();
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const messages = [{ role: 'user', content: 'Alice asks about Project Falcon.' }];
  const deps = (withCapture: boolean): ServingDeps => ({
    ...base,
    ...(withCapture ? { capture } : {}),
    observers: [...(withCapture ? [capture.observe] : []), (end) => ends.push(end)],
  });

  async function ask(
    d: ServingDeps,
    ctx: AgentContext,
    stream: boolean,
  ): Promise<{ routeId: string; text: string }> {
    const served = await serveChat(d, {
      body: { messages, max_tokens: 8, ...(stream ? { stream: true } : {}) },
      ctx,
      client: signalLink(new AbortController().signal),
      t0: performance.now(),
    });
    if (!served.ok) throw new Error(String(served.error));
    let text: string;
    if (!served.stream) {
      const completion = JSON.parse(served.text) as ChatCompletion;
      text = completion.choices[0]?.message.content ?? '';
    } else {
      const sink = new Collect();
      await served.relay(sink);
      text = sink.chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    }
    // Observers (the capture among them) are told once the answer is out (serving/after-answer.ts).
    await answersBookkept();
    return { routeId: served.decision.routeId, text };
  }

  it("stores a captured team's prompt and answer (streamed or not), redacted by rules then hook", async () => {
    const plain = await ask(deps(true), { team: 'lab', role: 'analyst' }, false);
    const streamed = await ask(deps(true), { team: 'lab', role: 'analyst' }, true);
    const rows = [...capture.store.query({ team: 'lab' })];
    expect(rows.map((r) => r.metadata.route_id)).toEqual([plain.routeId, streamed.routeId]);
    for (const [row, answer] of [
      [rows[0], plain],
      [rows[1], streamed],
    ] as const) {
      expect(answer.text.length).toBeGreaterThan(0);
      expect(row?.messages).toEqual([
        { role: 'user', content: '[name] asks about [project].' },
        { role: 'assistant', content: answer.text },
      ]);
    }
    expect(hookSaw).toContain('lab:user');
    expect(hookSaw).toContain('lab:assistant');
  });

  it('never assembles or stores the answer of a team that is not captured, or without a capture', async () => {
    ends.length = 0;
    const before = [...capture.store.query()].length;
    await ask(deps(true), { team: 'other', role: 'analyst' }, true);
    await ask(deps(true), { role: 'analyst' }, false);
    await ask(deps(false), { team: 'lab', role: 'analyst' }, true);
    expect(ends).toHaveLength(3);
    for (const end of ends) {
      expect(end.outcome).toBe('ok');
      expect(end.response).toBeUndefined();
    }
    expect([...capture.store.query()].length).toBe(before);
  });
});
