import type OpenAI from 'openai';

// The wire: chat messages and bodies are OpenAI's, and BROKE passes them through unchanged.

export type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
export type ChatRequest = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
export type ChatStreamRequest = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming;
export type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion;
export type ChatChunk = OpenAI.Chat.Completions.ChatCompletionChunk;
