/**
 * Rewrites top-level fields of a JSON object's text without parsing it: node payloads are relayed
 * as the node wrote them, with only `id` and `model` replaced. Nested keys are left alone (a tool
 * call's `id` inside `choices`, which llama.cpp writes before the completion's own `id`).
 */

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** Index of the quote closing the string that opens at `start` (text.length when there is none). */
export function stringEnd(text: string, start: number): number {
  let j = start;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j === -1) return text.length;
    let slashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return j;
  }
}

/**
 * Top-level fields to set in many payloads (one stream's chunks): compiled once per stream, then
 * `apply` per payload. The scan stops once every key was found and no later `"key"` text can be a
 * duplicate, so the choices after `id` and `model` (the bulk of a chunk) are usually not walked.
 */
export class TopLevelFields {
  private readonly keys: string[];
  private readonly values: string[];
  /** Any `"key"`: when none occurs after the last key found, the rest cannot hold a duplicate. */
  private readonly probe: RegExp;
  private readonly all: number;
  /** [key index, start, end) triples of the current `apply` (reused: apply is synchronous). */
  private readonly spans: number[] = [];
  /** Where the last `scan` stopped early (the comma after the last key's value), else -1. */
  private cut = -1;
  /**
   * A stream's payloads start alike (`{"id":…,"object":…,"created":…,"model":…,`): the text up to
   * the comma after the last key's value, as last scanned, and its rewrite. A payload starting with
   * the same text is rewritten by swapping that head, once the rest is checked for a duplicate key
   * (on the stub's chunks: ~285 ns per payload scanned, ~85 swapped).
   */
  private head: string | undefined;
  private headOut = '';

  constructor(fields: Readonly<Record<string, string>>) {
    this.keys = Object.keys(fields);
    this.values = this.keys.map((k) => fields[k] as string);
    this.probe = probeFor(this.keys);
    this.all = (1 << this.keys.length) - 1;
  }

  /**
   * The object with each field's JSON text as its top-level value: replaced where the key is
   * present (every occurrence), added at the front where it is not. Text that is not an object
   * comes back as is.
   */
  apply(text: string): string {
    const { head } = this;
    // Equality on a slice: V8's startsWith walks it character by character, ~5x slower here.
    if (
      head !== undefined &&
      text.length > head.length &&
      text.slice(0, head.length) === head &&
      !this.mentionedAfter(text, head.length - 1)
    )
      return this.headOut + text.slice(head.length);
    const { spans } = this;
    spans.length = 0;
    this.cut = -1;
    const seen = this.scan(text);
    let out = '';
    let at = 0;
    for (let s = 0; s < spans.length; s += 3) {
      out += text.slice(at, spans[s + 1]) + this.values[spans[s] as number];
      at = spans[s + 2] as number;
    }
    if (seen === this.all && this.cut === at) {
      // Stopped at the comma closing the last value: the scan saw the same up to here in any
      // payload with this head, so the next one may reuse it.
      this.head = text.slice(0, at + 1);
      this.headOut = `${out},`;
    }
    out = at === 0 ? text : out + text.slice(at);
    if (seen === this.all) return out;
    const brace = out.indexOf('{');
    if (brace === -1) return text;
    const empty = /^\{\s*\}/.test(out.slice(brace));
    const added: string[] = [];
    for (let k = 0; k < this.keys.length; k++)
      if ((seen & (1 << k)) === 0) added.push(`${JSON.stringify(this.keys[k])}:${this.values[k]}`);
    return `${out.slice(0, brace + 1)}${added.join(',')}${empty ? '' : ','}${out.slice(brace + 1)}`;
  }

  /** Fills `spans` with each wanted top-level value's [start, end) (whitespace included); the keys seen, as bits. */
  private scan(text: string): number {
    const { spans } = this;
    let seen = 0;
    let depth = 0;
    let expectKey = false;
    let key = -1;
    let valueStart = -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        const end = stringEnd(text, i);
        if (depth === 1 && expectKey) {
          key = this.keyAt(text, i + 1, end);
          expectKey = false;
        }
        i = end;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
        if (depth === 1) expectKey = c === OPEN_BRACE;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 1 && key !== -1 && valueStart !== -1) {
          spans.push(key, valueStart, i);
          seen |= 1 << key;
        }
        depth--;
      } else if (depth === 1) {
        if (c === COLON) valueStart = i + 1;
        else if (c === COMMA) {
          if (key !== -1 && valueStart !== -1) {
            spans.push(key, valueStart, i);
            seen |= 1 << key;
          }
          key = -1;
          valueStart = -1;
          expectKey = true;
          if (seen === this.all && !this.mentionedAfter(text, i)) {
            this.cut = i;
            return seen;
          }
        }
      }
    }
    return seen;
  }

  /** Index of the wanted key spelled by text[from, end), or -1. */
  private keyAt(text: string, from: number, end: number): number {
    for (let k = 0; k < this.keys.length; k++) {
      const key = this.keys[k] as string;
      if (key.length === end - from && text.startsWith(key, from)) return k;
    }
    return -1;
  }

  private mentionedAfter(text: string, at: number): boolean {
    this.probe.lastIndex = at;
    return this.probe.test(text);
  }
}

const probes = new Map<string, RegExp>();

/**
 * One regex finding any `"key"`: one pass over the rest of a payload instead of one indexOf per
 * key. Kept per key set (a stream makes its TopLevelFields per request; the keys are the same);
 * its `lastIndex` is set before each synchronous use.
 */
function probeFor(keys: readonly string[]): RegExp {
  const id = keys.join('\u0001');
  let probe = probes.get(id);
  if (!probe) {
    probe = new RegExp(keys.map((k) => `"${k}"`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    if (probes.size > 64) probes.clear();
    probes.set(id, probe);
  }
  return probe;
}

/**
 * The object with each `fields[key]` (JSON text) as its top-level value: replaced where the key
 * is present, added at the front where it is not. Text that is not an object comes back as is.
 */
export function withTopLevelFields(text: string, fields: Readonly<Record<string, string>>): string {
  return new TopLevelFields(fields).apply(text);
}

/** A number JSON does not have, as Python's json module writes it. */
const NON_FINITE = /-?Infinity|NaN/g;

/**
 * The text with `NaN`, `Infinity` and `-Infinity` outside strings replaced by `null`: Python
 * servers (mlx_lm.server) write them, e.g. in logprobs, and a client's JSON parser rejects them.
 * Callers test `text.includes('NaN') || text.includes('Infinity')` first: this is the rare path.
 */
export function withFiniteNumbers(text: string): string {
  let out = '';
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (c !== 78 /* N */ && c !== 73 /* I */ && c !== 45 /* - */) continue;
    NON_FINITE.lastIndex = i;
    const m = NON_FINITE.exec(text);
    if (!m || m.index !== i) continue;
    out += `${text.slice(at, i)}null`;
    at = i + m[0].length;
    i = at - 1;
  }
  return at === 0 ? text : out + text.slice(at);
}

/** Cheap test for the rare payload that needs withFiniteNumbers. */
export function mayHaveNonFinite(text: string): boolean {
  return text.includes('NaN') || text.includes('Infinity');
}
