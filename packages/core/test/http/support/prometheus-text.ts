/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests that read
 * `/metrics`: every line must be a comment, HELP, TYPE or a sample with properly quoted and
 * escaped labels; every sample must belong to a family with a TYPE. Throws on anything else.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Family name → its TYPE (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
      if (m?.[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3] ?? '')) fail('bad TYPE');
        if (types.has(m[2] as string)) fail('second TYPE for a family');
        types.set(m[2] as string, m[3] as string);
      }
      return;
    }
    const name = NAME.exec(line)?.[0] ?? fail('no metric name');
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const label = LABEL.exec(rest)?.[0] ?? fail('bad label name');
        rest = rest.slice(label.length);
        if (!rest.startsWith('="')) fail('label without ="');
        rest = rest.slice(2);
        let value = '';
        for (;;) {
          const ch = rest[0] ?? fail('unterminated label value');
          rest = rest.slice(1);
          if (ch === '"') break;
          if (ch === '\\') {
            const next = rest[0] ?? fail('dangling escape');
            rest = rest.slice(1);
            if (next === 'n') value += '\n';
            else if (next === '\\' || next === '"') value += next;
            else fail(`bad escape \\${next}`);
          } else value += ch;
        }
        if (label in labels) fail(`label ${label} twice`);
        labels[label] = value;
        if (rest.startsWith(',')) rest = rest.slice(1);
        else if (!rest.startsWith('}')) fail('expected , or }');
      }
      rest = rest.slice(1);
    }
    const parts = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) fail('bad value part');
    const value = floatOf(parts[0] as string) ?? fail('value is not a number');
    const family = familyOf(name, types);
    if (family === undefined) fail('sample without a TYPE');
    samples.push({ name, labels, value });
  });
  return { types, samples };
}

/** A value as Go's ParseFloat reads it (what Prometheus does): Inf and NaN in any case. */
function floatOf(raw: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(raw)) return raw.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(raw)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return undefined;
  return Number(raw);
}

/** The family a sample belongs to: itself, or a histogram/summary whose _bucket/_sum/_count it is. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m?.[1];
  if (base === undefined) return undefined;
  const type = types.get(base);
  return type === 'histogram' || type === 'summary' ? base : undefined;
}

/** Samples of `name` whose labels include `match`. */
export function select(e: Exposition, name: string, match: Record<string, string> = {}): Sample[] {
  return e.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}

/** The sum of the samples `select` finds (0 when none). */
export function total(e: Exposition, name: string, match: Record<string, string> = {}): number {
  return select(e, name, match).reduce((sum, s) => sum + s.value, 0);
}

/** The one sample with exactly these labels; throws when there is none or several. */
export function only(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = e.samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1)
    throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}, expected exactly one`);
  return (found[0] as Sample).value;
}

/** Distinct values of one label across a metric's samples. */
export function labelValues(e: Exposition, name: string, label: string): string[] {
  return [...new Set(select(e, name).map((s) => s.labels[label] as string))].sort();
}
