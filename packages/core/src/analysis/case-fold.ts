/**
 * Case-insensitive cue matching at about half the cost: for ASCII text, lowercasing it once and
 * matching a case-sensitive copy of each `/i` pattern (whose letters are all lowercase) gives the
 * same answers as the `/i` pattern, and irregexp runs the copy faster (an agent prompt's 700
 * characters against the task cues: ~40 → ~23 µs). Text with any non-ASCII character keeps the
 * `/i` patterns: Unicode lowercasing is not what `/i` does (the Kelvin sign `K` lowercases to
 * `k`, which `/k/i` does not match).
 */

/** A cue pattern with its case-sensitive copy for lowercased ASCII text, when it has one. */
export interface FoldedPattern {
  pattern: RegExp;
  /** Undefined when the pattern is not `/i` or could match something else on lowercased text. */
  folded: RegExp | undefined;
}

/**
 * An escape that can spell a letter (`\u0041`, `\x41`, `\cJ`), name a class by case (`\p{Lu}`) or
 * refer back (`\1`, `\k<n>`): a pattern with one keeps its `/i` form.
 */
const LETTER_ESCAPE = /\\[uxcpPk1-9]/;

export function foldPattern(pattern: RegExp): FoldedPattern {
  const { source, flags } = pattern;
  const plain =
    !flags.includes('i') || flags.includes('u') || flags.includes('v') || LETTER_ESCAPE.test(source);
  // Any uppercase letter outside an escape (`\S`, `\W`, `\B` are escapes) would stop matching.
  const folded =
    plain || /[A-Z]/.test(source.replace(/\\./g, ''))
      ? undefined
      : new RegExp(source, flags.replace('i', ''));
  return { pattern, folded };
}

const NON_ASCII = /[\u0080-\uffff]/;

/** The text lowercased when it is all ASCII, for `FoldedPattern.folded`; undefined otherwise. */
export function lowerAscii(text: string): string | undefined {
  return NON_ASCII.test(text) ? undefined : text.toLowerCase();
}

/** The pattern's test of `text`, through its folded copy when `lower` (lowerAscii(text)) is known. */
export function testFolded(p: FoldedPattern, text: string, lower: string | undefined): boolean {
  return p.folded !== undefined && lower !== undefined ? p.folded.test(lower) : p.pattern.test(text);
}

/** How often a global (`/g`) pattern matches `text`, through its folded copy as testFolded does. */
export function countFolded(p: FoldedPattern, text: string, lower: string | undefined): number {
  const folded = p.folded !== undefined && lower !== undefined;
  const pattern = folded ? (p.folded as RegExp) : p.pattern;
  const subject = folded ? (lower as string) : text;
  pattern.lastIndex = 0;
  let count = 0;
  while (pattern.exec(subject) !== null) count++;
  return count;
}
