import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const doc = readFileSync(join(ROOT, 'docs/routing.md'), 'utf8');

/** The fenced block after `opening` (e.g. "````js"), up to its closing fence. */
function block(opening: string, closing: string): string {
  const start = doc.indexOf(`${opening}\n`);
  if (start < 0) throw new Error(`docs/routing.md has no ${opening} block`);
  const body = start + opening.length + 1;
  return doc.slice(body, doc.indexOf(`\n${closing}\n`, body));
}

describe('docs/routing.md worked example', () => {
  beforeAll(() => ensureBuilt());

  it('its setup code, run as written, prints the explanation the page shows', () => {
    // Inside the repo so `@broke/core` resolves to this workspace's build.
    const dir = mkdtempSync(join(ROOT, 'packages/core/.docs-example-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, block('````js', '````'));
      const printed = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' }));
      const shown = JSON.parse(block('```json', '```'));
      expect(printed.summary).toBe(shown.summary);
      expect(printed.objective).toEqual(shown.objective);
      expect(printed.ranked[0]).toEqual(shown.ranked[0]);
      expect(printed.filters).toEqual(shown.filters);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
