import type { RedactionPreset, RedactionRule } from '../config/capture-schema.js';

/** Rewrites one text before it is stored (e.g. masks e-mail addresses). */
export type Redactor = (text: string) => string;

/**
 * A programmatic redaction hook for in-process users, run after the config's rules on every
 * message text: `where` says whose text it is (the message's role, the request's team).
 */
export type RedactHook = (text: string, where: { role: string; team?: string | undefined }) => string;

/** The built-in rules: deliberately broad (a false positive costs a word, a miss leaks a secret). */
const PRESETS: Record<RedactionPreset, { pattern: RegExp; replacement: string }> = {
  emails: {
    pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    replacement: '[email]',
  },
  // OpenAI/Anthropic-style sk-/pk- keys, AWS access key ids, GitHub tokens, bearer tokens.
  keys: {
    pattern:
      /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}|\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g,
    replacement: '[key]',
  },
};

function compile(rule: RedactionRule): { pattern: RegExp; replacement: string } {
  if (typeof rule === 'string') return PRESETS[rule];
  return {
    pattern: new RegExp(rule.pattern, `g${rule.flags.replace(/g/g, '')}`),
    replacement: rule.replacement,
  };
}

/** One function applying the rules in order; undefined when there are none (nothing to run). */
export function redactor(rules: readonly RedactionRule[]): Redactor | undefined {
  if (rules.length === 0) return undefined;
  const compiled = rules.map(compile);
  return (text) => {
    let out = text;
    for (const { pattern, replacement } of compiled) out = out.replace(pattern, replacement);
    return out;
  };
}
