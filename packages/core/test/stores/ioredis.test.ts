import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const probe = fileURLToPath(new URL('./string-prototype-probe.mjs', import.meta.url));

/** Whether String.prototype has fast properties in a fresh process after importing `specifier`. */
async function fastAfterImporting(specifier: string): Promise<boolean> {
  const { stdout } = await run(process.execPath, [
    '--allow-natives-syntax',
    '--import',
    'tsx',
    probe,
    specifier,
  ]);
  return stdout.trim() === 'true';
}

// Optimized code inlines `text.indexOf(...)`, `charCodeAt`, ... only while String.prototype has
// fast properties; ioredis's `class VerbatimString extends String` leaves it in dictionary mode.
describe('loading ioredis through stores/ioredis.ts', () => {
  it('ioredis alone leaves String.prototype slow (what the module is for)', async () => {
    expect(await fastAfterImporting('ioredis')).toBe(false);
  });

  it('importing BROKE core (which loads ioredis) leaves String.prototype fast', async () => {
    expect(await fastAfterImporting(new URL('../../src/index.ts', import.meta.url).href)).toBe(true);
  });
});
