import { type ChatMessage, ValidationError } from '@broke/core';
import type { BaseMessage, MessageContent, ToolCall } from '@langchain/core/messages';
import type OpenAI from 'openai';

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

/** User content keeps images (as OpenAI image_url parts); everything else becomes text. */
function userContent(content: MessageContent): string | ContentPart[] {
  if (typeof content === 'string') return content;
  const parts: ContentPart[] = [];
  for (const block of content) {
    if (typeof block === 'string') parts.push({ type: 'text', text: block });
    else if (block.type === 'text' && typeof block.text === 'string')
      parts.push({ type: 'text', text: block.text });
    else if (block.type === 'image_url') {
      const img = block.image_url as string | { url: string; detail?: 'auto' | 'low' | 'high' };
      parts.push({ type: 'image_url', image_url: typeof img === 'string' ? { url: img } : img });
    } else if (block.type === 'image') {
      // LangChain v1 standard image block: url, or base64 data with a mime type.
      const b = block as { url?: string; data?: string; mimeType?: string; mime_type?: string };
      const url =
        b.url ?? (b.data ? `data:${b.mimeType ?? b.mime_type ?? 'image/png'};base64,${b.data}` : undefined);
      if (url) parts.push({ type: 'image_url', image_url: { url } });
    }
  }
  return parts;
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
      return { role: 'system', content: textOf(message.content) };
    case 'developer':
      return { role: 'developer', content: textOf(message.content) };
    case 'human':
      return { role: 'user', content: userContent(message.content) };
    case 'ai': {
      const toolCalls = ((message as { tool_calls?: ToolCall[] }).tool_calls ?? []).map(openAIToolCall);
      const text = textOf(message.content);
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
      return { role: 'tool', tool_call_id: id, content: textOf(message.content) };
    }
    case 'generic': {
      // ChatMessage with a free-form role: map the usual names, refuse the rest.
      const role = (message as { role?: string }).role;
      if (role === 'user' || role === 'human') return { role: 'user', content: userContent(message.content) };
      if (role === 'assistant' || role === 'ai')
        return { role: 'assistant', content: textOf(message.content) };
      if (role === 'system') return { role: 'system', content: textOf(message.content) };
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
