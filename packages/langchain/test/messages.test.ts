import { ValidationError } from '@broke/core';
import { AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnsupportedContentBlockError } from '../src/errors.js';
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

/** The user content parts one HumanMessage converts to. */
function userParts(content: unknown[]): unknown {
  const [message] = toOpenAIMessages([new HumanMessage({ content: content as never })]);
  return (message as { content: unknown }).content;
}

function errorOf(fn: () => unknown): UnsupportedContentBlockError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UnsupportedContentBlockError);
    expect(err).toBeInstanceOf(ValidationError);
    return err as UnsupportedContentBlockError;
  }
  throw new Error('expected an UnsupportedContentBlockError');
}

describe('LangChain file and audio blocks → OpenAI chat content parts', () => {
  const pdf = 'JVBERi0xLjQK';
  const wav = 'UklGRiQAAABXQVZF';

  it('files: v1 base64 / data URL / file id, the older source_type blocks, and OpenAI-style blocks', () => {
    expect(
      userParts([
        { type: 'text', text: 'read this' },
        { type: 'file', data: pdf, mimeType: 'application/pdf', metadata: { filename: 'a.pdf' } },
        {
          type: 'file',
          data: new Uint8Array([37, 80, 68, 70]),
          mimeType: 'application/pdf',
          metadata: { name: 'b.pdf' },
        },
        { type: 'file', url: `data:application/pdf;base64,${pdf}`, metadata: { title: 'c.pdf' } },
        { type: 'file', fileId: 'file-123' },
        {
          type: 'file',
          source_type: 'base64',
          data: pdf,
          mime_type: 'application/pdf',
          metadata: { filename: 'd.pdf' },
        },
        { type: 'file', source_type: 'id', id: 'file-456' },
        { type: 'file', source_type: 'text', text: 'plain words' },
        { type: 'text-plain', text: 'a document', mimeType: 'text/plain' },
        { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'e.pdf' } },
        { type: 'file', file: { file_id: 'file-789' } },
      ]),
    ).toEqual([
      { type: 'text', text: 'read this' },
      { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'a.pdf' } },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERg==', filename: 'b.pdf' } },
      { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'c.pdf' } },
      { type: 'file', file: { file_id: 'file-123' } },
      { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'd.pdf' } },
      { type: 'file', file: { file_id: 'file-456' } },
      { type: 'text', text: 'plain words' },
      { type: 'text', text: 'a document' },
      { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'e.pdf' } },
      { type: 'file', file: { file_id: 'file-789' } },
    ]);
  });

  it('audio: v1 base64 (wav, mp3/mpeg), data URLs, the older blocks, and OpenAI input_audio', () => {
    expect(
      userParts([
        { type: 'audio', data: wav, mimeType: 'audio/wav' },
        { type: 'audio', data: wav, mimeType: 'audio/mpeg' },
        { type: 'audio', url: `data:audio/mp3;base64,${wav}` },
        { type: 'audio', source_type: 'base64', data: wav, mime_type: 'audio/x-wav' },
        { type: 'input_audio', input_audio: { data: wav, format: 'mp3' } },
      ]),
    ).toEqual([
      { type: 'input_audio', input_audio: { data: wav, format: 'wav' } },
      { type: 'input_audio', input_audio: { data: wav, format: 'mp3' } },
      { type: 'input_audio', input_audio: { data: wav, format: 'mp3' } },
      { type: 'input_audio', input_audio: { data: wav, format: 'wav' } },
      { type: 'input_audio', input_audio: { data: wav, format: 'mp3' } },
    ]);
  });

  it('images keep working (v1, older and OpenAI-style), with detail from metadata', () => {
    expect(
      userParts([
        { type: 'image', url: 'https://x/y.png', metadata: { detail: 'low' } },
        { type: 'image', data: 'AA', mimeType: 'image/jpeg' },
        { type: 'image', source_type: 'base64', data: 'AA', mime_type: 'image/png' },
        { type: 'image_url', image_url: 'https://x/z.png' },
      ]),
    ).toEqual([
      { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
      { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AA' } },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } },
      { type: 'image_url', image_url: { url: 'https://x/z.png' } },
    ]);
  });

  it('blocks the chat wire cannot carry throw a typed error naming the block type', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [
        { type: 'file', url: 'https://example.com/a.pdf', metadata: { filename: 'a.pdf' } },
        'file',
        /not a URL/,
      ],
      [{ type: 'file', data: pdf, mimeType: 'application/pdf' }, 'file', /filename/],
      [{ type: 'file', data: pdf, metadata: { filename: 'a.pdf' } }, 'file', /mimeType/],
      [{ type: 'file', file: { filename: 'x.pdf' } }, 'file', /file_data or file_id/],
      [{ type: 'file' }, 'file', /no url, base64 data or file id/],
      [{ type: 'audio', data: wav, mimeType: 'audio/ogg' }, 'audio', /wav or mp3.*audio\/ogg/],
      [{ type: 'audio', url: 'https://example.com/a.wav' }, 'audio', /not a URL/],
      [{ type: 'audio', fileId: 'file-1' }, 'audio', /file id/],
      [{ type: 'input_audio', input_audio: { data: wav, format: 'flac' } }, 'input_audio', /wav or mp3/],
      [{ type: 'image', fileId: 'file-1' }, 'image', /file id/],
      [{ type: 'video', url: 'https://example.com/v.mp4' }, 'video', /no video input/],
      [{ type: 'hologram', data: 'x' }, 'hologram', /no such content part/],
    ];
    for (const [block, type, reason] of cases) {
      const err = errorOf(() => userParts([{ type: 'text', text: 'see' }, block]));
      expect(err.blockType).toBe(type);
      expect(err.messageType).toBe('human');
      expect(err.message).toContain(`"${type}"`);
      expect(err.message).toMatch(reason);
    }
  });

  it('media in system, assistant or tool messages is an error, not silently dropped', () => {
    const file = { type: 'file', data: pdf, mimeType: 'application/pdf', metadata: { filename: 'a.pdf' } };
    const audio = { type: 'input_audio', input_audio: { data: wav, format: 'wav' } };
    for (const [message, type] of [
      [new SystemMessage({ content: [{ type: 'text', text: 'x' }, file] as never }), 'system'],
      [new AIMessage({ content: [audio] as never }), 'ai'],
      [new ToolMessage({ content: [file] as never, tool_call_id: 'c1' }), 'tool'],
      [
        new SystemMessage({
          content: [{ type: 'text-plain', text: 'doc', mimeType: 'text/plain' }] as never,
        }),
        'system',
      ],
    ] as const) {
      const err = errorOf(() => toOpenAIMessages([message]));
      expect(err.messageType).toBe(type);
      expect(err.message).toMatch(/only user messages/);
    }
    // Output-only blocks an assistant message may carry (reasoning, tool_use) are still skipped.
    expect(
      toOpenAIMessages([
        new AIMessage({
          content: [
            { type: 'reasoning', reasoning: 'hmm' },
            { type: 'text', text: 'ok' },
          ] as never,
        }),
      ]),
    ).toEqual([{ role: 'assistant', content: 'ok' }]);
  });
});
