import { ValidationError } from '@broke/core';
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import {
  contextFromFields,
  contextFromMetadata,
  resolveContext,
  sessionFromMessages,
} from '../src/context.js';

describe('agent context resolution', () => {
  it('layers defaults < metadata < call options; depth and framework always set', () => {
    const ctx = resolveContext(
      {
        defaults: { role: 'a', team: 't', tags: ['x'] },
        metadata: contextFromMetadata({ role: 'b', task_type: 'code', other: 1 }),
        call: contextFromFields({ role: 'c' }, 'call'),
      },
      [new HumanMessage('q'), new AIMessage('a'), new HumanMessage('q2')],
    );
    expect(ctx).toMatchObject({
      role: 'c',
      team: 't',
      taskType: 'code',
      tags: ['x'],
      framework: 'langchain',
    });
    expect(ctx.conversationDepth).toBe(1);
  });

  it('reads broke_ keys (winning over plain ones), a nested broke object and thread_id', () => {
    expect(contextFromMetadata({ role: 'plain', broke_role: 'scoped' }).role).toBe('scoped');
    expect(contextFromMetadata({ broke: { team: 'x', priorScores: { m: 0.5 } } })).toEqual({
      team: 'x',
      priorScores: { m: 0.5 },
    });
    expect(contextFromMetadata({ thread_id: 't1' }).sessionId).toBe('t1');
    expect(contextFromMetadata({ thread_id: 't1', session_id: 's1' }).sessionId).toBe('s1');
    // Values BROKE cannot use are skipped, not fatal: metadata belongs to every tool in the chain.
    expect(contextFromMetadata({ taskType: 'poetry', role: '' })).toEqual({});
  });

  it('rejects invalid explicit context with a typed error', () => {
    expect(() => contextFromFields({ taskType: 'poetry' as never }, 'call options')).toThrow(ValidationError);
  });

  it('derives one session per conversation opening; an explicit one wins', () => {
    const opening = [new SystemMessage('s'), new HumanMessage('first')];
    const id = sessionFromMessages(opening);
    expect(id).toMatch(/^lc-[0-9a-f]{16}$/);
    expect(sessionFromMessages([...opening, new AIMessage('x'), new HumanMessage('more')])).toBe(id);
    expect(sessionFromMessages([new SystemMessage('s'), new HumanMessage('other')])).not.toBe(id);
    const ctx = resolveContext({ defaults: {}, metadata: {}, call: { sessionId: 'mine' } }, opening);
    expect(ctx.sessionId).toBe('mine');
  });
});
