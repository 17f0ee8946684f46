import type { BindToolsInput, ToolChoice } from '@langchain/core/language_models/chat_models';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import type OpenAI from 'openai';

export type OpenAITool = OpenAI.Chat.Completions.ChatCompletionTool;
export type OpenAIToolChoice = OpenAI.Chat.Completions.ChatCompletionToolChoiceOption;

function isOpenAITool(tool: unknown): tool is OpenAITool {
  const t = tool as { type?: unknown; function?: { name?: unknown } };
  return t?.type === 'function' && typeof t.function?.name === 'string';
}

/** LangChain tools, zod-described tools and raw OpenAI tool definitions all become OpenAI tools. */
export function toOpenAITools(tools: readonly BindToolsInput[]): OpenAITool[] {
  return tools.map((tool) => (isOpenAITool(tool) ? tool : (convertToOpenAITool(tool) as OpenAITool)));
}

/** LangChain's tool_choice vocabulary ("any", a bare tool name) in OpenAI's. */
export function toOpenAIToolChoice(choice: ToolChoice | undefined): OpenAIToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'any' || choice === 'required') return 'required';
  if (choice === 'auto' || choice === 'none') return choice;
  if (typeof choice === 'string') return { type: 'function', function: { name: choice } };
  return choice as OpenAIToolChoice;
}
