import { BoundedLru } from '../bounded-lru.js';
import type { TaskType } from '../context/agent-context.js';
import { foldPattern, lowerAscii, testFolded } from './case-fold.js';

/** One cue: a pattern and how much evidence it gives for a task type. */
interface Cue {
  pattern: RegExp;
  weight: number;
}

/**
 * Keyword and shape cues per task type. Weights are evidence points; the type with most points
 * wins, `chat` is the fallback. Leading imperative verbs ("Translate ...", "Summarize ...") are
 * the strongest cue because they say what the user wants done, not what the text is about.
 */
const CUES: Record<Exclude<TaskType, 'chat'>, Cue[]> = {
  code: [
    {
      pattern: /```|\b(?:def|func|fn|const|let|var|class|import|return|async|await)\b[^\n]{0,40}[({=:]/,
      weight: 3,
    },
    {
      pattern:
        /\b(?:python|javascript|typescript|java|rust|golang|go code|c\+\+|c#|kotlin|swift|ruby|php|bash|shell script|sql|regex|html|css|react|node\.?js|express|django|llvm|vitest|jest|pandas|git|docker|kubernetes|postgres|api)\b/i,
      weight: 2,
    },
    {
      // What is done to code, and what code is made of: separate cues, so "fix the bug in the
      // pagination function" has evidence from both.
      pattern:
        /\b(?:compile[rd]?|bug|debug|refactor|stack ?trace|exception|unit tests?|implement(?:ation)?)\b/i,
      weight: 1.5,
    },
    {
      pattern:
        /\b(?:function|method|script|query|endpoint|middleware|algorithm|data structure|code|variable|loop|for loop|list comprehension|array|string|integer|goroutine|atomics|index(?:es)?)\b/i,
      weight: 1.5,
    },
    {
      pattern: /\b[A-Za-z_]+(?:\.[A-Za-z_]+)*\(\)|`[^`]+`|TypeError|SyntaxError|undefined|null pointer/,
      weight: 1.5,
    },
    {
      // Asked for a piece of code by name ("write a function that…").
      pattern:
        /\b(?:write|implement|code|create|build) (?:a|an|the|me a) (?:\w+ )?(?:function|method|class|script|program|regex|sql query|unit test)\b/i,
      weight: 2,
    },
    {
      // A source file named in prose ("the retry loop in scheduler.py").
      pattern:
        /\b[\w-]+\.(?:py|ts|tsx|js|jsx|mjs|go|rs|java|kt|rb|php|cpp|cc|c|h|hpp|cs|swift|scala|sql|sh|ya?ml|toml)\b/,
      weight: 2,
    },
    {
      // Reviews of software designs read as prose but are engineering work.
      pattern:
        /\b(?:race conditions?|deadlocks?|data races?|thread[- ]safe\w*|mutex\w*|locks? (?:service|manager)|distributed lock|leases?|linearizab\w*|pull request|code review|diff|review (?:this|the|my|our) (?:code|design|pr|patch|function|implementation|schema|migration))\b/i,
      weight: 2,
    },
  ],
  math: [
    { pattern: /\d\s*[-+*/^×÷]\s*\d|\d\s*%|\b\d+x\b|[=]\s*\d|\d+:\d\d|\[\[/, weight: 1.5 },
    {
      pattern:
        /\b(?:solve|calculate|compute|evaluate the integral|integral|derivative|differentiate|equation|probability|eigen\w*|matrix|prime|theorem|prove that|proof|factorial|square root|logarithm|polynomial|perimeter|area|volume|percentage|interest|compounded|sum of|how many ways|catch up|eigenvalues|isomorphic|group of order|differential|decimal|fraction|power of)\b/i,
      weight: 2.5,
    },
    { pattern: /^\s*(?:what is|what's)\s+[\d(]/i, weight: 3 },
    { pattern: /\bkm\/h|\bmph\b|\$\d|\bcm\b|\bx\s*=|\by'|\bf\(x\)/i, weight: 1 },
  ],
  reasoning: [
    {
      pattern:
        /\b(?:why|explain (?:why|your reasoning)|reasoning|step by step|pros and cons|trade-?offs?|should (?:i|we|a)|is it (?:better|a good idea|worth)|analy[sz]e|evaluate the argument|weigh|decide|decision|think (?:it )?through|consider|assess|implications|causes?|confounders?|evidence|backward induction|rational|deduce|infer|logic(?:al)?|deciding|whether|p-value|ship it)\b/i,
      weight: 2,
    },
    {
      pattern:
        /\b(?:if .{3,60}, (?:is|what|who|which|then)|who owns which|which is heavier|what would happen)\b/i,
      weight: 2,
    },
    {
      pattern: /\b(?:help me think|walk (?:me )?through|compared? (?:with|to)|versus|vs\.?)\b/i,
      weight: 1.5,
    },
    {
      // Analysis of long material: postmortems, research notes, findings.
      pattern:
        /\b(?:post-?mortem|root causes?|contributing factors?|what went wrong|lessons learned|findings|hypothes[ie]s|credible|confound\w*|figure out|caused|diagnos\w+|investigat\w+|critique|assess(?:ment)?|interpret\w*)\b/i,
      weight: 2.5,
    },
  ],
  summarization: [
    {
      pattern:
        /^\s*(?:please\s+)?(?:summari[sz]e|sum up|tl;?dr|recap|condense|synthesi[sz]e|give me (?:the )?(?:main|key) (?:points|takeaways)|(?:please )?provide a (?:brief|short) (?:overview|summary))/i,
      weight: 5,
    },
    {
      pattern:
        /\b(?:summary|summari[sz]e|summarising|summarizing|tl;?dr|key points|main points|takeaways|executive summary|recap|condense|in one sentence|brief overview|overview of|in a few words)\b/i,
      weight: 3,
    },
  ],
  translation: [
    { pattern: /^\s*(?:please\s+)?(?:translate|locali[sz]e)\b/i, weight: 6 },
    {
      pattern:
        /\b(?:translat\w*|locali[sz]\w*|how do you say|what does '[^'\n]{1,80}' mean|in (?:english|plain english))\b/i,
      weight: 3,
    },
    {
      pattern:
        /\b(?:into|to|from) (?:english|spanish|french|german|italian|portuguese|brazilian portuguese|japanese|chinese|korean|russian|arabic|dutch|hindi|polish|swedish|turkish)\b/i,
      weight: 3,
    },
  ],
  extraction: [
    {
      pattern:
        /^\s*(?:please\s+)?(?:extract|pull out|parse|list (?:all|every)|find (?:all|every)|identify (?:all|every)|fill in)\b/i,
      weight: 5,
    },
    {
      pattern:
        /\b(?:extract\w*|pull out|parse|as (?:a )?json|json (?:array|object)|csv|fields?|entities|triples|from (?:this|the following|the) (?:text|paragraph|passage|invoice|note|contract|resume|message|signature|html|log|job ad|excerpt)|(?:phone|order|invoice) number|email address|list every|mentioned in)\b/i,
      weight: 2,
    },
  ],
  creative: [
    {
      pattern:
        /\b(?:poem|haiku|limerick|sonnet|villanelle|song|lyrics|story|stories|novel|chapter|screenplay|scene|slogan|tagline|tweet|fairy tale|bedtime|birthday message|fantasy|character|rpg|campaign setting|product description|names for)\b/i,
      weight: 3,
    },
    {
      pattern: /^\s*(?:please\s+)?(?:write|compose|create|come up with|imagine|invent|draft)\b/i,
      weight: 1.5,
    },
    {
      // Writing for people, even about code: posts, notes, announcements.
      pattern:
        /\b(?:blog post|article|newsletter|announcement|announcing|press release|release notes|changelog entry|landing page|marketing copy|cover letter|speech|toast|essay|op-ed)\b/i,
      weight: 3,
    },
    { pattern: /\b(?:funny|poetic|rhym\w*|creative|catchy|fictional|whimsical)\b/i, weight: 1.5 },
  ],
};

const TYPES = Object.keys(CUES) as Array<Exclude<TaskType, 'chat'>>;

/** Each type's cues with their case-folded copies (see case-fold.ts), in CUES's order. */
const FOLDED = TYPES.map((type) => ({
  type,
  cues: CUES[type].map((cue) => ({ ...foldPattern(cue.pattern), weight: cue.weight })),
}));

/** Evidence needed before we stop calling it chat. */
const MIN_EVIDENCE = 2;

const CUE_COUNT = FOLDED.reduce((n, { cues }) => n + cues.length, 0);

/**
 * Which cues each recent system prompt matches, by a hash of its head: an agent sends the same
 * system prompt (its role, goal and tools) turn after turn, and matching ~30 cues against its
 * ~700-character head was about a third of a CrewAI-shaped turn's analysis. Keyed by hash, not text, so
 * nothing of a prompt outlives its request (routes keep no prompt text either).
 */
const systemHits = new BoundedLru<number, Uint8Array>(256);

/** Classify the task from the user's text (and, with less weight, the system prompt). */
export function classifyTaskType(userText: string, systemText = ''): TaskType {
  // Only the instruction part counts for cues about the request; long pasted material (after a
  // colon and newline) would otherwise make e.g. a summary of a code review look like code.
  const head = instructionHead(userText);
  // The system prompt is weaker evidence and can be huge: its head and tail are enough.
  const system = systemText ? instructionHead(systemText) : '';
  const headLower = lowerAscii(head);
  const inSystem = system ? systemCueHits(system) : undefined;
  let best: TaskType = 'chat';
  let bestScore = MIN_EVIDENCE - 1e-9;
  let k = 0;
  for (const { type, cues } of FOLDED) {
    let score = 0;
    for (const cue of cues) {
      if (testFolded(cue, head, headLower)) score += cue.weight;
      else if (inSystem?.[k] === 1) score += cue.weight * 0.5;
      k++;
    }
    if (score > bestScore) {
      best = type;
      bestScore = score;
    }
  }
  return best;
}

/** Each cue's match (1) or not (0) in a system prompt's head, in FOLDED's order. */
function systemCueHits(system: string): Uint8Array {
  const key = textHash(system);
  const known = systemHits.get(key);
  if (known) return known;
  const hits = new Uint8Array(CUE_COUNT);
  const lower = lowerAscii(system);
  let k = 0;
  for (const { cues } of FOLDED) for (const cue of cues) hits[k++] = testFolded(cue, system, lower) ? 1 : 0;
  systemHits.set(key, hits);
  return hits;
}

/**
 * A 52-bit hash of the text: two FNV-1a-style hashes in one loop, with different seeds and
 * multipliers (simulation/random.ts's 32-bit one would collide too often for a cache key).
 * Distinct system prompts collide with odds of ~1 in 10^13 among the cache's 256, and a collision
 * would only lend one prompt's weak (half-weight) system cues to another.
 */
function textHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

/**
 * The request is in the first 400 characters, or, after pasted material, in the last 300 (a
 * postmortem followed by "what was the root cause?"); code blocks anywhere still count as a
 * code cue. Bounded, so cue matching stays linear in a bounded input.
 */
function instructionHead(text: string): string {
  if (text.length <= 700) return text;
  const head = `${text.slice(0, 400)}\n${text.slice(-300)}`;
  return text.includes('```', 400) ? `${head}\n\`\`\`` : head;
}
