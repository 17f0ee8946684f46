import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layering docs/architecture.md describes, checked against the code as it is.
const ROOT = resolve(import.meta.dirname, '../../..');
const SRC = join(ROOT, 'packages/core/src');

function files(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? files(path, keep) : keep(path) ? [path] : [];
  });
}

/** Relative module specifiers a file imports or re-exports (type-only ones included). */
function imports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
}

/** Folder of packages/core/src a file belongs to ('' for the top-level base files). */
const folderOf = (path: string) => {
  const parts = relative(SRC, path).split(sep);
  return parts.length > 1 ? (parts[0] as string) : '';
};

describe('architecture', () => {
  it('has no import cycle between the folders of packages/core/src', () => {
    const edges = new Map<string, Set<string>>();
    for (const file of files(SRC, (p) => p.endsWith('.ts'))) {
      const from = folderOf(file);
      for (const spec of imports(file)) {
        const to = folderOf(resolve(file, '..', spec));
        if (from === '' || to === '' || to === from) continue;
        const set = edges.get(from) ?? new Set<string>();
        edges.set(from, set);
        set.add(to);
      }
    }
    expect(edges.size).toBeGreaterThan(10);
    // Depth-first search; a back edge is a cycle, reported as its path.
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      state.set(node, 'open');
      for (const next of edges.get(node) ?? []) {
        if (state.get(next) === 'open')
          cycles.push([...path.slice(path.indexOf(next)), node, next].join(' → '));
        else if (!state.has(next)) visit(next, [...path, node]);
      }
      state.set(node, 'done');
    };
    for (const node of edges.keys()) if (!state.has(node)) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it('no code outside tests imports from a test folder', () => {
    const isTest = (p: string) => /\.test\.ts$/.test(p) || p.split(sep).includes('test');
    const code = ['packages', 'examples', 'bench', 'scripts', 'testbed'].flatMap((top) =>
      files(
        join(ROOT, top),
        (p) => /\.(ts|mts|mjs|js)$/.test(p) && !isTest(p) && !p.includes(`${sep}bin${sep}`),
      ),
    );
    expect(code.length).toBeGreaterThan(100);
    const offenders = code.filter((file) =>
      imports(file).some((spec) => resolve(file, '..', spec).split(sep).includes('test')),
    );
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
