import { describe, expect, it } from 'vitest';
import { CONTEXT_ALIASES, CONTEXT_HEADERS } from '../../src/context/aliases.js';
import { contextFromHeaders } from '../../src/context/from-headers.js';
import { contextFromMetadata } from '../../src/context/from-metadata.js';
import { ValidationError } from '../../src/errors.js';

/** A valid value for each field, to drive every alias of the table. */
const VALID: Record<string, unknown> = {
  role: 'critic',
  team: 'red',
  sessionId: 's-1',
  taskType: 'code',
  framework: 'custom',
  conversationDepth: 3,
  priorScores: { m: 0.5 },
  tags: ['a'],
  taskText: 'Fix the pagination bug.',
};

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.field;
    throw err;
  }
  return undefined;
}

describe('one alias table, strict and lenient', () => {
  it('every metadata alias sets its field the same way in both modes', () => {
    for (const { field, metadata } of CONTEXT_ALIASES) {
      for (const key of metadata) {
        const want = { [field]: VALID[field] };
        expect(contextFromMetadata({ [key]: VALID[field] }, 'strict'), key).toEqual(want);
        expect(contextFromMetadata({ [key]: VALID[field] }, 'lenient'), key).toEqual(want);
      }
    }
  });

  it('every header of the table is read', () => {
    const headers = new Headers(
      Object.entries(CONTEXT_HEADERS).map(([field, header]) => [header, String(VALID[field])]),
    );
    expect(contextFromHeaders(headers)).toEqual({
      role: 'critic',
      team: 'red',
      sessionId: 's-1',
      taskType: 'code',
      framework: 'custom',
      conversationDepth: 3,
    });
  });

  it('broke_-prefixed keys win over plain ones, thread_id yields to a named session', () => {
    for (const mode of ['strict', 'lenient'] as const) {
      expect(contextFromMetadata({ broke_role: 'scoped', role: 'plain' }, mode).role).toBe('scoped');
      expect(contextFromMetadata({ session_id: 's', thread_id: 't' }, mode).sessionId).toBe('s');
      expect(contextFromMetadata({ broke: { team: 'nested' }, team: 'plain' }, mode).team).toBe('plain');
    }
  });

  it('strict: a bad value is a ValidationError naming the key or header the caller wrote', () => {
    expect(fieldOf(() => contextFromMetadata({ broke_task_type: 'juggling' }, 'strict'))).toBe(
      'metadata.broke_task_type',
    );
    expect(fieldOf(() => contextFromMetadata({ broke: { taskType: 'juggling' } }, 'strict'))).toBe(
      'metadata.broke.taskType',
    );
    expect(fieldOf(() => contextFromHeaders(new Headers({ 'x-broke-depth': 'deep' })))).toBe('x-broke-depth');
  });

  it('lenient: a bad value is skipped and keeps a good one from a weaker alias', () => {
    expect(
      contextFromMetadata({ task_type: 'code', broke_task_type: 'juggling', role: '' }, 'lenient'),
    ).toEqual({
      taskType: 'code',
    });
  });
});
