import type { TaskType } from '../context/agent-context.js';
import { countFolded, foldPattern, lowerAscii } from './case-fold.js';

/** Baseline difficulty by task type: proofs and analyses are harder than greetings. */
const TYPE_BASE: Record<TaskType, number> = {
  code: 0.3,
  math: 0.3,
  reasoning: 0.3,
  summarization: 0.22,
  translation: 0.2,
  extraction: 0.22,
  creative: 0.25,
  chat: 0.1,
};

/** Words that signal depth, rigour or many moving parts. */
const HARD_CUES = foldPattern(
  /\b(?:prove|rigorous\w*|derive|derivation|design|architecture|distributed|concurren\w*|lock-free|race conditions?|memory ordering|trade-?offs?|optimi[sz]e|edge cases|invariants?|phased|strict(?:ly)?|preserv\w+|consistent|unreliable|isomorphic|differential|legal terminology|peer-reviewed|regulatory|compliance|confounders?|backward induction|knowledge graph|resolv\w+|deduplicat\w+|normalis\w+|normaliz\w+|synthesi[sz]e|contradictions?|write amplification|query plans?|partitioning|every step|each step|integration tests|property-based|verify|cite|evidence|sympathetic|campaign|chapter|sonnet|villanelle|iambic|meter)\b/gi,
);

/** Words that signal a quick, shallow answer. */
const EASY_CUES = foldPattern(
  /\b(?:quick(?:ly)?|simple|briefly|one (?:word|sentence|line)|short|hi|hello|hey|thanks|thank you|lol|okay|what is|what's|how do i|few words)\b/gi,
);

/** Requirement markers: each extra constraint makes the task harder to satisfy at once. */
const CONSTRAINT_CUES = foldPattern(
  /\b(?:must|should|ensure|while|including|handle|keep|without|and then|then|also|each|every|both)\b/gi,
);

/**
 * Complexity in 0..1 from cheap text features: task type, length, explicit difficulty cues,
 * constraint count, questions, code size and conversation depth. Bands: < 0.35 low,
 * < 0.65 medium, otherwise high (see complexityBand).
 */
export function estimateComplexity(
  userText: string,
  taskType: TaskType,
  promptTokens: number,
  turns = 1,
): number {
  const lower = lowerAscii(userText);
  let score = TYPE_BASE[taskType];
  // Length: longer asks carry more requirements; log-scaled so pasted documents do not saturate it.
  score += Math.min(0.35, Math.max(0, Math.log2(Math.max(promptTokens, 1) / 8)) * 0.08);
  score += Math.min(0.36, countFolded(HARD_CUES, userText, lower) * 0.12);
  score -= Math.min(0.2, countFolded(EASY_CUES, userText, lower) * 0.07);
  score += Math.min(0.15, Math.max(0, countFolded(CONSTRAINT_CUES, userText, lower) - 1) * 0.03);
  const questions = countChar(userText, 63 /* ? */);
  if (questions > 1) score += Math.min(0.1, (questions - 1) * 0.04);
  if (userText.includes('```')) score += 0.05;
  if (turns > 6) score += Math.min(0.1, (turns - 6) * 0.01);
  return score < 0 ? 0 : Math.min(score, 1);
}

export type ComplexityBand = 'low' | 'medium' | 'high';

export const COMPLEXITY_BAND_LIMITS = { low: 0.35, medium: 0.65 } as const;

export function complexityBand(complexity: number): ComplexityBand {
  if (complexity < COMPLEXITY_BAND_LIMITS.low) return 'low';
  if (complexity < COMPLEXITY_BAND_LIMITS.medium) return 'medium';
  return 'high';
}

function countChar(text: string, code: number): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === code) count++;
  return count;
}
