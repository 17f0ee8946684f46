import { type ChatMessage, ValidationError } from '@broke/core';
import type { BaseMessage, MessageContent, ToolCall } from '@langchain/core/messages';
import type OpenAI from 'openai';
import { UnsupportedContentBlockError } from './errors.js';

type ContentPart = OpenAI.Chat.Completions.ChatCompletionContentPart;

/** Text of any message content: strings as they are, text blocks joined, other blocks skipped. */
export function textOf(content: MessageContent): string {
  if (typeof content === 'string') return content;
  return content
    .map((block) => {
      if (typeof block === 'string') return block;
      if (block.type === 'text' && typeof block.text === 'string') return block.text;
      return '';
    })
    .join('');
}

type Block = Record<string, unknown> & { type?: unknown };
type ImagePart = OpenAI.Chat.Completions.ChatCompletionContentPartImage;
type FilePart = OpenAI.Chat.Completions.ChatCompletionContentPart.File;
type AudioPart = OpenAI.Chat.Completions.ChatCompletionContentPartInputAudio;

/** Block types that carry media: only user messages can send them on the chat wire. */
const MEDIA_BLOCKS = new Set([
  'image',
  'image_url',
  'input_image',
  'file',
  'input_file',
  'text-plain',
  'audio',
  'input_audio',
  'video',
]);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function fail(block: Block, messageType: string, reason: string, hint?: string): never {
  throw new UnsupportedContentBlockError(String(block.type ?? typeof block), messageType, reason, hint);
}

/**
 * Where a LangChain data block's bytes are: v1 standard blocks (`url` / `data` + `mimeType` /
 * `fileId`) and the older data blocks (`source_type` url / base64 / id / text, `mime_type`).
 */
type Source =
  | { kind: 'url'; url: string }
  | { kind: 'base64'; data: string; mime: string | undefined }
  | { kind: 'id'; id: string }
  | { kind: 'text'; text: string };

function base64Of(data: unknown): string | undefined {
  if (typeof data === 'string') return data === '' ? undefined : data;
  if (data instanceof Uint8Array) return Buffer.from(data).toString('base64');
  return undefined;
}

function sourceOf(block: Block): Source | undefined {
  const mime = str(block.mimeType) ?? str(block.mime_type);
  const sourceType = block.source_type;
  if (sourceType === 'url' || (sourceType === undefined && str(block.url))) {
    const url = str(block.url);
    return url ? { kind: 'url', url } : undefined;
  }
  if (sourceType === 'base64' || (sourceType === undefined && block.data !== undefined)) {
    const data = base64Of(block.data);
    return data ? { kind: 'base64', data, mime } : undefined;
  }
  if (sourceType === 'id' || (sourceType === undefined && str(block.fileId))) {
    const id = str(block.fileId) ?? str(block.id);
    return id ? { kind: 'id', id } : undefined;
  }
  if (sourceType === 'text' && typeof block.text === 'string') return { kind: 'text', text: block.text };
  return undefined;
}

const DATA_URL = /^data:([^;,]+)((?:;[^;,]+)*);base64,(.*)$/s;

function parseDataUrl(url: string): { mime: string; data: string } | undefined {
  const match = DATA_URL.exec(url);
  return match ? { mime: (match[1] as string).toLowerCase(), data: match[3] as string } : undefined;
}

function filenameOf(block: Block): string | undefined {
  const meta = (block.metadata ?? {}) as Record<string, unknown>;
  return str(meta.filename) ?? str(meta.name) ?? str(meta.title) ?? str(block.filename);
}

function imagePart(block: Block, messageType: string): ImagePart {
  if (block.type === 'image_url') {
    const img = block.image_url as string | { url?: string; detail?: 'auto' | 'low' | 'high' } | undefined;
    const url = typeof img === 'string' ? img : img?.url;
    if (!url) fail(block, messageType, 'it has no image_url.url');
    return {
      type: 'image_url',
      image_url: typeof img === 'string' ? { url } : (img as ImagePart['image_url']),
    };
  }
  const detail = ((block.metadata ?? {}) as { detail?: ImagePart['image_url']['detail'] }).detail;
  const withDetail = (url: string): ImagePart => ({
    type: 'image_url',
    image_url: { url, ...(detail ? { detail } : {}) },
  });
  const source = sourceOf(block);
  if (source?.kind === 'url') return withDetail(source.url);
  if (source?.kind === 'base64')
    return withDetail(`data:${source.mime ?? 'image/png'};base64,${source.data}`);
  if (source?.kind === 'id')
    fail(
      block,
      messageType,
      'the chat API cannot reference an image by file id',
      'send its url or base64 data',
    );
  return fail(block, messageType, 'it has no url or data');
}

function filePart(
  block: Block,
  messageType: string,
): FilePart | OpenAI.Chat.Completions.ChatCompletionContentPartText {
  // Already in the OpenAI chat shape: {type: 'file', file: {file_data | file_id, filename}}.
  if (block.file && typeof block.file === 'object') {
    const file = block.file as Record<string, unknown>;
    const fileData = str(file.file_data);
    const fileId = str(file.file_id);
    const filename = str(file.filename);
    if (!fileData && !fileId) fail(block, messageType, 'file needs file_data or file_id');
    return {
      type: 'file',
      file: {
        ...(fileData ? { file_data: fileData } : {}),
        ...(fileId ? { file_id: fileId } : {}),
        ...(filename ? { filename } : {}),
      },
    };
  }
  const source = sourceOf(block);
  if (!source) return fail(block, messageType, 'it has no url, base64 data or file id');
  if (source.kind === 'id') return { type: 'file', file: { file_id: source.id } };
  if (source.kind === 'text') return { type: 'text', text: source.text };
  let fileData: string;
  if (source.kind === 'url') {
    if (!parseDataUrl(source.url))
      fail(
        block,
        messageType,
        'the chat API takes file bytes or a file id, not a URL',
        'send the file as base64 data (or a data: URL)',
      );
    fileData = source.url;
  } else {
    if (!source.mime)
      fail(block, messageType, 'base64 file data needs a mimeType', 'e.g. mimeType: "application/pdf"');
    fileData = `data:${source.mime};base64,${source.data}`;
  }
  const filename = filenameOf(block);
  if (!filename)
    fail(
      block,
      messageType,
      'file data needs a filename',
      'set metadata.filename (or metadata.name / metadata.title)',
    );
  return { type: 'file', file: { file_data: fileData, filename } };
}

/** audio/wav and audio/mpeg (mp3) are the formats the chat API's input_audio takes. */
function audioFormat(mime: string | undefined): 'wav' | 'mp3' | undefined {
  const [type, subtype] = (mime ?? '').split(';')[0]?.trim().toLowerCase().split('/') ?? [];
  if (type !== 'audio') return undefined;
  if (subtype === 'wav' || subtype === 'x-wav' || subtype === 'wave' || subtype === 'vnd.wave') return 'wav';
  if (subtype === 'mp3' || subtype === 'mpeg' || subtype === 'mpeg3' || subtype === 'x-mp3') return 'mp3';
  return undefined;
}

function audioPart(block: Block, messageType: string): AudioPart {
  if (block.type === 'input_audio') {
    const audio = (block.input_audio ?? {}) as { data?: unknown; format?: unknown };
    const data = str(audio.data);
    if (!data) fail(block, messageType, 'input_audio needs data (base64)');
    if (audio.format !== 'wav' && audio.format !== 'mp3')
      fail(block, messageType, `input_audio format must be wav or mp3, not ${JSON.stringify(audio.format)}`);
    return { type: 'input_audio', input_audio: { data, format: audio.format } };
  }
  const source = sourceOf(block);
  let data: string | undefined;
  let mime: string | undefined;
  if (source?.kind === 'base64') {
    data = source.data;
    mime = source.mime;
  } else if (source?.kind === 'url') {
    const parsed = parseDataUrl(source.url);
    if (!parsed)
      fail(
        block,
        messageType,
        'the chat API takes audio bytes, not a URL',
        'send the audio as base64 data (or a data: URL)',
      );
    data = parsed.data;
    mime = parsed.mime;
  } else if (source?.kind === 'id') {
    fail(
      block,
      messageType,
      'the chat API cannot reference audio by file id',
      'send the audio as base64 data',
    );
  } else {
    fail(block, messageType, 'it has no base64 data');
  }
  const format = audioFormat(mime);
  if (!format)
    fail(
      block,
      messageType,
      `audio must be wav or mp3 (mimeType audio/wav or audio/mpeg), not ${mime ?? 'unspecified'}`,
    );
  return { type: 'input_audio', input_audio: { data, format } };
}

/** One user content block → one OpenAI content part; anything the wire cannot carry throws. */
function userPart(block: string | object, messageType: string): ContentPart {
  if (typeof block === 'string') return { type: 'text', text: block };
  const b = block as Block;
  switch (b.type) {
    case 'text':
      if (typeof b.text !== 'string') fail(b, messageType, 'it has no text');
      return { type: 'text', text: b.text };
    case 'text-plain': {
      const source = sourceOf({
        ...b,
        source_type: b.source_type ?? (typeof b.text === 'string' ? 'text' : undefined),
      });
      if (source?.kind === 'text') return { type: 'text', text: source.text };
      return filePart(b, messageType);
    }
    case 'image':
    case 'image_url':
      return imagePart(b, messageType);
    case 'file':
      return filePart(b, messageType);
    case 'audio':
    case 'input_audio':
      return audioPart(b, messageType);
    default:
      return fail(
        b,
        messageType,
        b.type === 'video' ? 'the chat API has no video input' : 'the chat API has no such content part',
        'user messages can carry text, image, file and audio (wav/mp3) blocks',
      );
  }
}

/** User content: text, images, files and audio as OpenAI content parts. */
function userContent(content: MessageContent, messageType: string): string | ContentPart[] {
  if (typeof content === 'string') return content;
  return content.map((block) => userPart(block, messageType));
}

/**
 * Text of a system / developer / assistant / tool message. Media cannot ride there on the chat
 * wire, so a media block is an error; other non-text blocks (reasoning, tool_use...) are output
 * the model produced, carried elsewhere (tool_calls) or not at all, and are skipped as before.
 */
function textContent(content: MessageContent, messageType: string): string {
  if (typeof content !== 'string') {
    for (const block of content) {
      const type = typeof block === 'string' ? 'text' : (block as Block).type;
      if (typeof type === 'string' && MEDIA_BLOCKS.has(type))
        fail(block as Block, messageType, 'only user messages can carry images, files and audio');
    }
  }
  return textOf(content);
}

function openAIToolCall(
  call: ToolCall,
  index: number,
): OpenAI.Chat.Completions.ChatCompletionMessageToolCall {
  return {
    id: call.id ?? `call_${index}`,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
  };
}

/** One LangChain message → one OpenAI chat message (what every BROKE node speaks). */
export function toOpenAIMessage(message: BaseMessage): ChatMessage {
  switch (message.type) {
    case 'system':
      return { role: 'system', content: textContent(message.content, message.type) };
    case 'developer':
      return { role: 'developer', content: textContent(message.content, message.type) };
    case 'human':
      return { role: 'user', content: userContent(message.content, message.type) };
    case 'ai': {
      const toolCalls = ((message as { tool_calls?: ToolCall[] }).tool_calls ?? []).map(openAIToolCall);
      const text = textContent(message.content, message.type);
      return {
        role: 'assistant',
        // OpenAI wants null (not "") next to tool calls; servers' chat templates skip it then.
        content: text === '' && toolCalls.length > 0 ? null : text,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      };
    }
    case 'tool': {
      const id = (message as { tool_call_id?: string }).tool_call_id;
      if (!id) throw new ValidationError('ToolMessage needs a tool_call_id', { field: 'tool_call_id' });
      return { role: 'tool', tool_call_id: id, content: textContent(message.content, message.type) };
    }
    case 'generic': {
      // ChatMessage with a free-form role: map the usual names, refuse the rest.
      const role = (message as { role?: string }).role;
      if (role === 'user' || role === 'human')
        return { role: 'user', content: userContent(message.content, message.type) };
      if (role === 'assistant' || role === 'ai')
        return { role: 'assistant', content: textContent(message.content, message.type) };
      if (role === 'system') return { role: 'system', content: textContent(message.content, message.type) };
      throw new ValidationError(`Unsupported chat message role "${role}"`, { field: 'role' });
    }
    default:
      throw new ValidationError(`Unsupported message type "${message.type}"`, {
        hint: 'use system, human, AI or tool messages',
      });
  }
}

export function toOpenAIMessages(messages: readonly BaseMessage[]): ChatMessage[] {
  return messages.map(toOpenAIMessage);
}
