/**
 * A chat body as serving reads it: the fields routing and relaying look at. The gateway's parsed
 * body (http/schemas.ts `ChatBody`) and LangChain's OpenAI body both fit; every other field goes to
 * the node unchanged.
 */
export interface ServingBody {
  /** Absent: the router's default (`broke-auto`). */
  model?: string;
  messages: readonly ServingMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  tools?: readonly unknown[] | null;
  response_format?: { type: string } | null;
  metadata?: unknown;
}

export interface ServingMessage {
  role: string;
  content?: unknown;
}
