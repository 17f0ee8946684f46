import { ValidationError } from '@broke/core';
import { AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toOpenAIMessages } from '../src/messages.js';
import { toOpenAIToolChoice, toOpenAITools } from '../src/tools.js';

describe('LangChain → OpenAI messages', () => {
  it('maps system, human, AI (with tool calls) and tool messages', () => {
    expect(
      toOpenAIMessages([
        new SystemMessage('be brief'),
        new HumanMessage('hi'),
        new AIMessage({ content: '', tool_calls: [{ id: 'c1', name: 'f', args: { a: 1 } }] }),
        new ToolMessage({ content: 'ok', tool_call_id: 'c1' }),
        new AIMessage('done'),
      ]),
    ).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'ok' },
      { role: 'assistant', content: 'done' },
    ]);
  });

  it('keeps user images, flattens other content blocks to text', () => {
    const [user, sys] = toOpenAIMessages([
      new HumanMessage({
        content: [
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } },
        ],
      }),
      new SystemMessage({
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      }),
    ]);
    expect(user).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } },
      ],
    });
    expect(sys).toEqual({ role: 'system', content: 'ab' });
  });

  it('maps generic chat messages by role and refuses unknown roles with a typed error', () => {
    expect(toOpenAIMessages([new ChatMessage('x', 'user')])).toEqual([{ role: 'user', content: 'x' }]);
    expect(() => toOpenAIMessages([new ChatMessage('x', 'narrator')])).toThrow(ValidationError);
  });

  it('converts LangChain tools and tool_choice to OpenAI shapes', () => {
    const t = tool(async () => 'x', {
      name: 'lookup',
      description: 'd',
      schema: z.object({ q: z.string() }),
    });
    const [converted] = toOpenAITools([t]);
    expect(converted).toMatchObject({ type: 'function', function: { name: 'lookup', description: 'd' } });
    expect(converted?.type === 'function' && converted.function.parameters).toMatchObject({
      type: 'object',
      properties: { q: { type: 'string' } },
    });
    expect(toOpenAIToolChoice('any')).toBe('required');
    expect(toOpenAIToolChoice('auto')).toBe('auto');
    expect(toOpenAIToolChoice('lookup')).toEqual({ type: 'function', function: { name: 'lookup' } });
  });
});
