import { z } from 'zod';

/**
 * Strict objects for broke.yaml: an unknown key is an error that names the key and, when one is
 * close, the key that was probably meant (`gatway` → `gateway`, `apikeys` → `apiKeys`). A typo
 * that passed silently could leave a gateway open (`apikeys:`) or trust any host key.
 */

/** Optimal string alignment distance: Levenshtein plus swapping two adjacent letters. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...new Array<number>(b.length).fill(0)]);
  const row0 = rows[0] as number[];
  for (let j = 0; j <= b.length; j++) row0[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const prev = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (rows[i - 2]?.[j - 2] as number) + 1);
      row[j] = d;
    }
  }
  return rows[a.length]?.[b.length] as number;
}

/**
 * The known key an unknown one most likely meant: the same word in another case, else the
 * nearest within two edits (one for keys of three letters or fewer, so `x` does not become `id`).
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = Math.min(2, Math.floor(key.length / 2));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** `unknown key; did you mean "gateway"?`, or just `unknown key` when nothing is close. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const meant = closestKey(key, known);
  return meant === undefined ? 'unknown key' : `unknown key; did you mean "${meant}"?`;
}

/**
 * The message of an `unrecognized_keys` issue raised by an object with these keys, naming each
 * key (the issue's path is the object's): `unknown key "gatway"; did you mean "gateway"?`.
 * formatIssues gives one line per key with its full path instead.
 */
function unrecognizedKeysMessage(keys: readonly string[], known: readonly string[]): string {
  return keys
    .map((key) => {
      const meant = closestKey(key, known);
      return meant === undefined ? `unknown key "${key}"` : `unknown key "${key}"; did you mean "${meant}"?`;
    })
    .join(', ');
}

/** z.strictObject whose unknown-key error says which key was probably meant. */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? unrecognizedKeysMessage(issue.keys, known) : undefined,
  });
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
};

/**
 * The keys the object schema at `path` (inside `schema`) accepts, reading `input` alongside to
 * pick a union's branch (`store.kind`); undefined when the path does not lead to an object.
 */
export function knownKeysAt(
  schema: z.core.$ZodType,
  path: readonly PropertyKey[],
  input: unknown,
): string[] | undefined {
  const def = schema._zod.def as unknown as Def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return def.innerType ? knownKeysAt(def.innerType, path, input) : undefined;
    case 'pipe':
      return def.in ? knownKeysAt(def.in, path, input) : undefined;
    case 'lazy':
      return def.getter ? knownKeysAt(def.getter(), path, input) : undefined;
    case 'object': {
      const shape = def.shape ?? {};
      if (path.length === 0) return Object.keys(shape);
      const child = shape[String(path[0])];
      return child ? knownKeysAt(child, path.slice(1), childOf(input, path[0])) : undefined;
    }
    case 'array':
      return def.element && path.length > 0
        ? knownKeysAt(def.element, path.slice(1), childOf(input, path[0]))
        : undefined;
    case 'record':
      return def.valueType && path.length > 0
        ? knownKeysAt(def.valueType, path.slice(1), childOf(input, path[0]))
        : undefined;
    case 'union': {
      const options = def.options ?? [];
      // The branches this input is meant for: those whose only complaint is an unknown key.
      const fitting = options.filter((option) => {
        const result = z.safeParse(option, input);
        return result.success || result.error.issues.every((i) => i.code === 'unrecognized_keys');
      });
      const keys = (fitting.length > 0 ? fitting : options).flatMap(
        (option) => knownKeysAt(option, path, input) ?? [],
      );
      return keys.length > 0 ? [...new Set(keys)] : undefined;
    }
    case 'intersection': {
      const keys = [def.left, def.right].flatMap((side) =>
        side ? (knownKeysAt(side, path, input) ?? []) : [],
      );
      return keys.length > 0 ? [...new Set(keys)] : undefined;
    }
    default:
      return undefined;
  }
}

function childOf(input: unknown, key: PropertyKey | undefined): unknown {
  if (key === undefined || input === null || typeof input !== 'object') return undefined;
  return (input as Record<PropertyKey, unknown>)[key];
}
