import type { ChatChunk, ChatCompletion } from '@broke/core';
import {
  AIMessage,
  AIMessageChunk,
  type InvalidToolCall,
  type ToolCall,
  type ToolCallChunk,
  type UsageMetadata,
} from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { BrokeRouteMetadata } from './route-metadata.js';

type Usage = NonNullable<ChatCompletion['usage']>;

/** OpenAI usage → LangChain usage_metadata (cached prompt tokens as cache_read). */
export function usageMetadata(usage: Usage): UsageMetadata {
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return {
    input_tokens: usage.prompt_tokens,
    output_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
    ...(cached !== undefined ? { input_token_details: { cache_read: cached } } : {}),
  };
}

/** Tool calls whose arguments are not JSON are kept, as invalid_tool_calls, never dropped. */
function parseToolCalls(calls: NonNullable<ChatCompletion['choices'][number]['message']['tool_calls']>) {
  const valid: ToolCall[] = [];
  const invalid: InvalidToolCall[] = [];
  for (const call of calls) {
    if (call.type !== 'function') continue;
    const raw = call.function.arguments;
    try {
      const args = raw.trim() === '' ? {} : JSON.parse(raw);
      valid.push({ id: call.id, name: call.function.name, args, type: 'tool_call' });
    } catch (error) {
      invalid.push({
        id: call.id,
        name: call.function.name,
        args: raw,
        error: String(error),
        type: 'invalid_tool_call',
      });
    }
  }
  return { valid, invalid };
}

/** response_metadata every answer carries: the route id, the model that served, and the route. */
function routeResponseMetadata(route: BrokeRouteMetadata, fallbackId: string, fallbackModel: string) {
  const model = route.modelId ?? fallbackModel;
  return {
    id: route.routeId || fallbackId,
    model_provider: 'broke',
    model,
    model_name: model,
    broke: route,
  };
}

export function toChatResult(completion: ChatCompletion, route: BrokeRouteMetadata): ChatResult {
  const choice = completion.choices[0];
  const { valid, invalid } = parseToolCalls(choice?.message.tool_calls ?? []);
  const usage = completion.usage ? usageMetadata(completion.usage) : undefined;
  const text = choice?.message.content ?? '';
  const { broke, ...identity } = routeResponseMetadata(route, completion.id, completion.model);
  const message = new AIMessage({
    content: text,
    // The route id: the gateway's completion id, and what GET /v1/routes lists.
    id: identity.id,
    tool_calls: valid,
    invalid_tool_calls: invalid,
    ...(usage ? { usage_metadata: usage } : {}),
    response_metadata: { ...identity, finish_reason: choice?.finish_reason ?? null, broke },
  });
  return {
    generations: [{ text, message, generationInfo: { finish_reason: choice?.finish_reason ?? null } }],
    llmOutput: {
      broke: route,
      ...(usage
        ? {
            tokenUsage: {
              promptTokens: usage.input_tokens,
              completionTokens: usage.output_tokens,
              totalTokens: usage.total_tokens,
            },
          }
        : {}),
    },
  };
}

/**
 * One streamed OpenAI chunk → one LangChain chunk: text, tool_call_chunks and (last) usage.
 * `id` (the route id) replaces the node's own chunk id, so every chunk and the aggregate carry it.
 */
export function toGenerationChunk(chunk: ChatChunk, id?: string): ChatGenerationChunk | undefined {
  const choice = chunk.choices[0];
  const delta = choice?.delta;
  const toolCallChunks: ToolCallChunk[] = (delta?.tool_calls ?? []).map((tc) => ({
    type: 'tool_call_chunk',
    index: tc.index,
    ...(tc.id ? { id: tc.id } : {}),
    ...(tc.function?.name ? { name: tc.function.name } : {}),
    ...(tc.function?.arguments !== undefined ? { args: tc.function.arguments } : {}),
  }));
  const usage = chunk.usage ? usageMetadata(chunk.usage) : undefined;
  const finish = choice?.finish_reason ?? undefined;
  const text = delta?.content ?? '';
  if (!text && toolCallChunks.length === 0 && !usage && !finish) return undefined;
  const message = new AIMessageChunk({
    content: text,
    id: id || chunk.id,
    tool_call_chunks: toolCallChunks,
    ...(usage ? { usage_metadata: usage } : {}),
    response_metadata: finish ? { finish_reason: finish } : {},
  });
  return new ChatGenerationChunk({
    text,
    message,
    ...(finish ? { generationInfo: { finish_reason: finish } } : {}),
  });
}

/**
 * The closing chunk: route metadata once (chunk metadata merges by concatenating strings and
 * adding numbers, so none of it may appear in an earlier chunk).
 */
export function routeChunk(
  route: BrokeRouteMetadata,
  id: string | undefined,
  model: string | undefined,
): ChatGenerationChunk {
  const {
    id: routeId,
    model: served,
    model_name,
    ...rest
  } = routeResponseMetadata(route, id ?? '', model ?? '');
  return new ChatGenerationChunk({
    text: '',
    message: new AIMessageChunk({
      content: '',
      ...(routeId ? { id: routeId } : {}),
      response_metadata: {
        ...(routeId ? { id: routeId } : {}),
        ...(served ? { model: served, model_name } : {}),
        ...rest,
      },
    }),
  });
}
