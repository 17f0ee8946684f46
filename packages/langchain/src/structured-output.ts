import { BrokeError, ValidationError } from '@broke/core';
import type {
  BaseLanguageModelInput,
  BaseLanguageModelTracingCallOptions,
  ToolDefinition,
} from '@langchain/core/language_models/base';
import {
  assembleStructuredOutputPipeline,
  createContentParser,
  createFunctionCallingParser,
} from '@langchain/core/language_models/structured_output';
import type { BaseMessage } from '@langchain/core/messages';
import { type Runnable, RunnableLambda } from '@langchain/core/runnables';
import { toJsonSchema } from '@langchain/core/utils/json_schema';
import { isSerializableSchema } from '@langchain/core/utils/standard_schema';
import { getSchemaDescription, isInteropZodSchema } from '@langchain/core/utils/types';
import type OpenAI from 'openai';

/**
 * - `functionCalling`: the schema becomes a forced tool; the router picks a `tools` model.
 * - `jsonMode` / `jsonSchema`: `response_format`; the router picks a `json` model.
 * - `auto` (default): tool calling, and JSON mode when no tools-capable model may take the call
 *   (the router answers no_route); the parser accepts either a tool call or JSON text.
 */
export type BrokeStructuredMethod = 'auto' | 'functionCalling' | 'jsonMode' | 'jsonSchema';

/** What a structured binding tells LangSmith (a call option; tracing reads it, no node sees it). */
export type LsStructuredOutputFormat = NonNullable<
  BaseLanguageModelTracingCallOptions['ls_structured_output_format']
>;

/** What the chat model must offer for structured output (kept small so this file stays independent). */
export interface StructuredHost {
  bindTools(
    tools: ToolDefinition[],
    kwargs: { tool_choice: string; ls_structured_output_format?: LsStructuredOutputFormat },
  ): Runnable<BaseLanguageModelInput, BaseMessage>;
  withResponseFormat(
    format: OpenAI.ResponseFormatJSONObject | OpenAI.ResponseFormatJSONSchema,
    lsFormat?: LsStructuredOutputFormat,
  ): Runnable<BaseLanguageModelInput, BaseMessage>;
}

export interface StructuredOptions {
  name?: string;
  method?: BrokeStructuredMethod | string;
  includeRaw?: boolean;
  strict?: boolean;
}

function isNoRoute(err: unknown): boolean {
  return err instanceof BrokeError && err.code === 'no_route';
}

// biome-ignore lint/suspicious/noExplicitAny: schemas are zod v3/v4, standard schema or plain JSON schema
export function structuredOutput(host: StructuredHost, schema: any, options: StructuredOptions = {}) {
  const method = options.method ?? 'auto';
  if (!['auto', 'functionCalling', 'jsonMode', 'jsonSchema'].includes(method)) {
    throw new ValidationError(`Unknown structured output method "${method}"`, {
      field: 'method',
      hint: 'use auto, functionCalling, jsonMode or jsonSchema',
    });
  }
  const isTyped = isInteropZodSchema(schema) || isSerializableSchema(schema);
  const jsonSchema = (isTyped ? toJsonSchema(schema) : schema) as Record<string, unknown>;
  const name =
    options.name ??
    (!isTyped && typeof schema.title === 'string' ? schema.title : undefined) ??
    (!isTyped && typeof schema.name === 'string' ? schema.name : undefined) ??
    'extract';
  const description =
    (isTyped ? getSchemaDescription(schema) : schema.description) ?? 'Answer in this shape.';
  const includeRaw = options.includeRaw === true;
  const runName = includeRaw ? 'StructuredOutputRunnable' : 'StructuredOutput';

  // As ChatOpenAI does: the method each binding really uses (LangSmith's snake_case names) and the
  // schema, titled with the name the model sees.
  const lsFormat = (lsMethod: string): LsStructuredOutputFormat => ({
    kwargs: { method: lsMethod },
    schema: { title: name, ...jsonSchema } as LsStructuredOutputFormat['schema'],
  });
  const tool: ToolDefinition = { type: 'function', function: { name, description, parameters: jsonSchema } };
  const viaTools = host.bindTools([tool], {
    tool_choice: name,
    ls_structured_output_format: lsFormat('function_calling'),
  });
  const responseFormat =
    method === 'jsonSchema'
      ? ({
          type: 'json_schema',
          json_schema: { name, description, schema: jsonSchema, ...(options.strict ? { strict: true } : {}) },
        } as OpenAI.ResponseFormatJSONSchema)
      : ({ type: 'json_object' } as OpenAI.ResponseFormatJSONObject);
  const viaJson = host.withResponseFormat(
    responseFormat,
    lsFormat(method === 'jsonSchema' ? 'json_schema' : 'json_mode'),
  );
  const toolParser = createFunctionCallingParser(schema, name);
  const contentParser = createContentParser(schema);

  if (method === 'functionCalling')
    return assembleStructuredOutputPipeline(viaTools, toolParser, includeRaw, runName);
  if (method !== 'auto') return assembleStructuredOutputPipeline(viaJson, contentParser, includeRaw, runName);

  // Either answer shape is fine in auto mode: a tool call by that name, or JSON in the text.
  const eitherParser = RunnableLambda.from(async (message: BaseMessage, config) => {
    const calls = (message as { tool_calls?: Array<{ name: string }> }).tool_calls ?? [];
    return calls.some((c) => c.name === name)
      ? toolParser.invoke(message, config)
      : contentParser.invoke(message, config);
  });
  const model = RunnableLambda.from(async (input: BaseLanguageModelInput, config) => {
    try {
      return await viaTools.invoke(input, config);
    } catch (err) {
      if (!isNoRoute(err)) throw err;
      return await viaJson.invoke(input, config);
    }
  }).withConfig({ runName: 'BrokeStructuredAuto' });
  return assembleStructuredOutputPipeline(model, eitherParser, includeRaw, runName);
}
