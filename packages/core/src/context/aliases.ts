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

/** The `X-Broke-*` header per field that has one, lower-cased (bridges read some themselves). */
export const CONTEXT_HEADERS = {
  role: 'x-broke-role',
  team: 'x-broke-team',
  sessionId: 'x-broke-session',
  taskType: 'x-broke-task-type',
  framework: 'x-broke-framework',
  conversationDepth: 'x-broke-depth',
} as const satisfies Partial<Record<keyof AgentContext, string>>;

/**
 * The one alias table: the gateway (headers and body `metadata`), the bridges (through the gateway)
 * and LangChain (`RunnableConfig.metadata`) read the same names. LangGraph's `thread_id` stands in
 * for the session when nothing more specific is given.
 */
export const CONTEXT_ALIASES: readonly ContextAlias[] = [
  { field: 'role', header: CONTEXT_HEADERS.role, metadata: ['role', 'broke_role'] },
  { field: 'team', header: CONTEXT_HEADERS.team, metadata: ['team', 'broke_team'] },
  {
    field: 'sessionId',
    header: CONTEXT_HEADERS.sessionId,
    metadata: ['thread_id', 'session', 'sessionId', 'session_id', 'broke_session_id'],
  },
  {
    field: 'taskType',
    header: CONTEXT_HEADERS.taskType,
    metadata: ['taskType', 'task_type', 'broke_task_type'],
  },
  { field: 'framework', header: CONTEXT_HEADERS.framework, metadata: ['framework', 'broke_framework'] },
  {
    field: 'conversationDepth',
    header: CONTEXT_HEADERS.conversationDepth,
    metadata: ['conversationDepth', 'conversation_depth', 'broke_conversation_depth'],
  },
  { field: 'priorScores', metadata: ['priorScores', 'prior_scores', 'broke_prior_scores'] },
  { field: 'tags', metadata: ['tags', 'broke_tags'] },
  { field: 'taskText', metadata: ['taskText', 'task_text', 'broke_task_text'] },
];
