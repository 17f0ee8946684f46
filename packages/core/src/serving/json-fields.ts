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

/** [start, end) of each wanted top-level value's text (whitespace included). */
function valueSpans(
  text: string,
  keys: ReadonlySet<string>,
): Array<[key: string, start: number, end: number]> {
  const spans: Array<[string, number, number]> = [];
  let depth = 0;
  let expectKey = false;
  let key: string | undefined;
  let valueStart = -1;
  const close = (end: number) => {
    if (key !== undefined && valueStart !== -1 && keys.has(key)) spans.push([key, valueStart, end]);
    key = undefined;
    valueStart = -1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (depth === 1 && expectKey) {
        key = text.slice(i + 1, end);
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 1) expectKey = c === OPEN_BRACE;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 1) close(i);
      depth--;
    } else if (depth === 1) {
      if (c === COLON) valueStart = i + 1;
      else if (c === COMMA) {
        close(i);
        expectKey = true;
      }
    }
  }
  return spans;
}

/**
 * The object with each `fields[key]` (JSON text) as its top-level value: replaced where the key
 * is present, added at the front where it is not. Text that is not an object comes back as is.
 */
export function withTopLevelFields(text: string, fields: Readonly<Record<string, string>>): string {
  const keys = new Set(Object.keys(fields));
  const spans = valueSpans(text, keys);
  let out = '';
  let at = 0;
  for (const [key, start, end] of spans) {
    out += `${text.slice(at, start)}${fields[key]}`;
    at = end;
    keys.delete(key);
  }
  out += text.slice(at);
  if (keys.size === 0) return out;
  const brace = out.indexOf('{');
  if (brace === -1) return text;
  const empty = /^\{\s*\}/.test(out.slice(brace));
  const added = [...keys].map((k) => `${JSON.stringify(k)}:${fields[k]}`).join(',');
  return `${out.slice(0, brace + 1)}${added}${empty ? '' : ','}${out.slice(brace + 1)}`;
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
