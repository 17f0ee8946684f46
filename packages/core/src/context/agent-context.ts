import { z } from 'zod';

/** Frameworks BROKE knows how to read agent identity from. */
export const FrameworkSchema = z.enum(['langchain', 'crewai', 'autogen', 'custom']);
export type Framework = z.infer<typeof FrameworkSchema>;

/** Task types the prompt analyser classifies into (and callers may force). */
export const TaskTypeSchema = z.enum([
  'code',
  'math',
  'reasoning',
  'summarization',
  'translation',
  'extraction',
  'creative',
  'chat',
]);
export type TaskType = z.infer<typeof TaskTypeSchema>;

/** Longest `taskText` a context carries (extractors clip to it). */
export const TASK_TEXT_MAX = 20_000;

/**
 * Who is asking, as far as routing cares. Everything is optional: routing works with none of it.
 * The same shape arrives from HTTP headers, a body `metadata` object, LangChain call options and
 * framework extractors (CrewAI, AutoGen).
 */
export const AgentContextSchema = z
  .object({
    role: z.string().min(1).max(200),
    framework: FrameworkSchema,
    conversationDepth: z.number().int().min(0),
    sessionId: z.string().min(1).max(200),
    team: z.string().min(1).max(200),
    taskType: TaskTypeSchema,
    /** Previous quality per model id (0..1), e.g. from the caller's own evaluations. */
    priorScores: z.record(z.string(), z.number().min(0).max(1)),
    tags: z.array(z.string()).max(50),
    /**
     * The task in its own words, when a framework wraps it in a prompt template (CrewAI's
     * `Current Task:` and expected criteria): the prompt analysis reads this for task type and
     * difficulty instead of the whole last user message, whose boilerplate ("…not a summary")
     * would otherwise decide.
     */
    taskText: z.string().min(1).max(TASK_TEXT_MAX),
  })
  .partial();
export type AgentContext = z.infer<typeof AgentContextSchema>;
