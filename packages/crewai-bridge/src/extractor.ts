import {
  type AgentContext,
  BoundedLru,
  type ChatBody,
  CONTEXT_HEADERS,
  type ContextExtractor,
  RunTracker,
  TASK_TEXT_MAX,
} from '@broke/core';

/**
 * CrewAI (1.6.x) sends each agent's system prompt as
 *   `You are {role}. {backstory}\nYour personal goal is: {goal}` (then format instructions)
 * and the task as a user message containing `Current Task: {description}`. The wire-format test
 * captures a real request from the pinned CrewAI, so an upgrade that changes this fails loudly.
 */
// Parsed with indexOf, not backtracking patterns: linear on any input, hostile ones included.
const YOU_ARE = 'You are ';
const GOAL = '\nYour personal goal is: ';
const CURRENT_TASK = 'Current Task: ';
/** What CrewAI appends to the description (its i18n `expected_output` slice). */
const EXPECTED = '\nThis is the expected criteria for your final answer: ';
const MUST_RETURN = '\nyou MUST return the actual complete content';
/** Earlier tasks' outputs, joined by CrewAI's separator (sequential crews pass all of them). */
const CONTEXT = "\n\nThis is the context you're working with:\n";
const CONTEXT_END = '\n\nBegin!';
const CONTEXT_SEPARATOR = '\n\n----------\n\n';

/** Where the first of `markers` found at or after `from` starts (the text's end if none). */
function firstOf(text: string, from: number, markers: readonly string[]): number {
  let end = text.length;
  for (const m of markers) {
    const at = text.indexOf(m, from);
    if (at !== -1 && at < end) end = at;
  }
  return end;
}

/** The rest of the line from `at` (the whole line's text after a marker). */
function lineFrom(text: string, at: number): string {
  const nl = text.indexOf('\n', at);
  return text.slice(at, nl === -1 ? undefined : nl);
}

/** `You are {role}. {backstory}\nYour personal goal is: {goal}`: the role is on the first line. */
function rolePlaying(system: string): { role: string; backstory: string; goal: string } | undefined {
  if (!system.startsWith(YOU_ARE)) return undefined;
  const dot = system.indexOf('. ', YOU_ARE.length + 1);
  const firstNl = system.indexOf('\n');
  if (dot === -1 || (firstNl !== -1 && firstNl < dot)) return undefined;
  const goal = system.indexOf(GOAL, dot + 1);
  if (goal === -1) return undefined;
  return {
    role: system.slice(YOU_ARE.length, dot),
    backstory: goal >= dot + 2 ? system.slice(dot + 2, goal) : '',
    goal: lineFrom(system, goal + GOAL.length),
  };
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  }
  return '';
}

export interface CrewAIPrompt {
  role: string;
  backstory: string;
  goal: string;
  /** The task's description, every line of it. */
  task?: string;
  /** The task's expected output (CrewAI's "expected criteria"). */
  expected?: string;
  /** Earlier tasks whose output this task gets as context (its index in a sequential crew). */
  taskIndex: number;
}

/** The agent and task CrewAI encoded in the messages, or undefined if this is not CrewAI's shape. */
export function parseCrewAIPrompt(body: Pick<ChatBody, 'messages'>): CrewAIPrompt | undefined {
  const system = body.messages.find((m) => m.role === 'system');
  const match = system ? rolePlaying(text(system.content)) : undefined;
  if (!match) return undefined;
  const user = body.messages.find((m) => m.role === 'user' && text(m.content).includes(CURRENT_TASK));
  const userText = user ? text(user.content) : '';
  const taskAt = userText.indexOf(CURRENT_TASK);
  let task: string | undefined;
  let expected: string | undefined;
  if (taskAt !== -1) {
    const start = taskAt + CURRENT_TASK.length;
    const end = firstOf(userText, start, [EXPECTED, CONTEXT, CONTEXT_END]);
    task = userText.slice(start, end).trim();
    if (userText.startsWith(EXPECTED, end)) {
      const from = end + EXPECTED.length;
      expected = userText.slice(from, firstOf(userText, from, [MUST_RETURN, CONTEXT, CONTEXT_END])).trim();
    }
  }
  const contextAt = userText.indexOf(CONTEXT);
  let context: string | undefined;
  if (contextAt !== -1) {
    const start = contextAt + CONTEXT.length;
    const end = userText.indexOf(CONTEXT_END, start);
    context = userText.slice(start, end === -1 ? undefined : end);
  }
  return {
    role: match.role.trim(),
    backstory: match.backstory.trim(),
    goal: match.goal.trim(),
    ...(task ? { task } : {}),
    ...(expected ? { expected } : {}),
    taskIndex: context ? context.split(CONTEXT_SEPARATOR).length : 0,
  };
}

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Positions within a task (tool / thought iterations) stay below the next task's. */
const TASK_STRIDE = 10_000;

/**
 * Who is calling: requests from one crew (one process's LLM) share the API key, user agent and
 * team header. Kickoffs of one crew send identical requests, so nothing finer exists on the wire.
 */
function clientKey(headers: Headers): string {
  return ['authorization', 'user-agent', CONTEXT_HEADERS.team]
    .map((h) => headers.get(h) ?? '')
    .join('\u0001');
}

/**
 * An extractor with its own run memory. Role from the prompt; goal and task travel as tags.
 * Session: one per `kickoff()`, inferred from the crew's progress (a kickoff starts again at its
 * first task; see RunTracker); an `X-Broke-Session` header wins (set one per kickoff when one
 * process runs crews concurrently). Depth: the crew's steps so far in that session (LLM calls
 * of earlier tasks plus this task's tool / thought iterations).
 */
export function createCrewaiExtractor(): ContextExtractor {
  const runs = new RunTracker('crew');
  /** Steps of sessions named by a header (inferred runs count their own). */
  const named = new BoundedLru<string, number>(10_000);
  return (body, headers) => {
    const prompt = parseCrewAIPrompt(body);
    const iterations = body.messages.filter((m) => m.role === 'assistant').length;
    const ctx: AgentContext = { framework: 'crewai', conversationDepth: iterations };
    if (!prompt) return ctx;
    const position = prompt.taskIndex * TASK_STRIDE + iterations;
    const header = headers.get(CONTEXT_HEADERS.sessionId);
    if (header) {
      const step = named.peek(header) ?? 0;
      named.set(header, step + 1);
      ctx.conversationDepth = Math.max(step, prompt.taskIndex + iterations);
    } else {
      const run = runs.place({ key: clientKey(headers), position, body: body.messages });
      ctx.sessionId = run.sessionId;
      // Steps counted, or read off the prompt where this bridge joined a run midway.
      ctx.conversationDepth = Math.max(run.step, prompt.taskIndex + iterations);
    }
    const tags = [`goal:${clip(prompt.goal)}`, `task-index:${prompt.taskIndex}`];
    if (prompt.task) {
      tags.push(`task:${clip(lineFrom(prompt.task, 0))}`);
      // What the router analyses: the task and its criteria, not CrewAI's template around them.
      ctx.taskText = clip(
        prompt.expected ? `${prompt.task}\n${prompt.expected}` : prompt.task,
        TASK_TEXT_MAX,
      );
    }
    return { ...ctx, ...(prompt.role ? { role: clip(prompt.role, 200) } : {}), tags };
  };
}

/** A shared instance (the bridge's); make your own with createCrewaiExtractor for isolation. */
export const crewaiExtractor: ContextExtractor = createCrewaiExtractor();
