import type { AgentContext } from './agent-context.js';

/** Where one `AgentContext` field may arrive from outside: a request header and metadata keys. */
export interface ContextAlias {
  field: keyof AgentContext;
  /** The `X-Broke-*` header (HTTP only), lower-cased. */
  header?: string;
  /**
   * Metadata keys, lowest precedence first: camelCase and snake_case (OpenAI style) names, then the
   * `broke_`-prefixed name, which wins so a chain can scope metadata shared with other tools to BROKE.
   */
  metadata: readonly string[];
}

/**
 * The one alias table: the gateway (headers and body `metadata`), the bridges (through the gateway)
 * and LangChain (`RunnableConfig.metadata`) read the same names. LangGraph's `thread_id` stands in
 * for the session when nothing more specific is given.
 */
export const CONTEXT_ALIASES: readonly ContextAlias[] = [
  { field: 'role', header: 'x-broke-role', metadata: ['role', 'broke_role'] },
  { field: 'team', header: 'x-broke-team', metadata: ['team', 'broke_team'] },
  {
    field: 'sessionId',
    header: 'x-broke-session',
    metadata: ['thread_id', 'session', 'sessionId', 'session_id', 'broke_session_id'],
  },
  { field: 'taskType', header: 'x-broke-task-type', metadata: ['taskType', 'task_type', 'broke_task_type'] },
  { field: 'framework', header: 'x-broke-framework', metadata: ['framework', 'broke_framework'] },
  {
    field: 'conversationDepth',
    header: 'x-broke-depth',
    metadata: ['conversationDepth', 'conversation_depth', 'broke_conversation_depth'],
  },
  { field: 'priorScores', metadata: ['priorScores', 'prior_scores', 'broke_prior_scores'] },
  { field: 'tags', metadata: ['tags', 'broke_tags'] },
];
