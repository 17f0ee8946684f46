import type { TaskType } from '../context/agent-context.js';
import type { ChatMessage } from '../spec/index.js';
import { estimateComplexity } from './complexity.js';
import { classifyTaskType } from './task-type.js';
import { taskTexts } from './text-of.js';
import { countMessageTokens, countTokens } from './tokens.js';

export interface PromptAnalysis {
  /** 0 (trivial) .. 1 (hard). */
  complexity: number;
  taskType: TaskType;
  /** Estimated prompt tokens including chat template overhead. */
  promptTokens: number;
}

/**
 * Deterministic, model-free analysis of a chat prompt; costs microseconds for typical prompts.
 * `taskText`: the task's own words when a framework wrapped them in a template (read instead of
 * the last user message; the prompt's size still counts every message).
 */
export function analyzePrompt(
  messages: readonly ChatMessage[],
  forcedTaskType?: TaskType,
  taskText?: string,
): PromptAnalysis {
  const texts = taskTexts(messages);
  const system = texts.system;
  const user = taskText ?? texts.user;
  const userTokens = countTokens(user);
  // The task's message is counted once: its count stands in for it in the whole prompt's.
  const promptTokens = countMessageTokens(messages, { text: user, tokens: userTokens });
  const taskType = forcedTaskType ?? classifyTaskType(user, system);
  const complexity = estimateComplexity(user, taskType, userTokens, messages.length);
  return { complexity, taskType, promptTokens };
}
