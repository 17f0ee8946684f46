import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/broke-cluster.js', import.meta.url));
/** Prints the node flags of the process it is loaded into, on stderr, as it exits (NODE_OPTIONS splits at spaces: none in it). */
const SHOW_FLAGS = `--import=data:text/javascript,process.on('exit',()=>console.error('FLAGS='+JSON.stringify(process.execArgv)))`;

/** Runs `file` as a program (its `#!` line decides how), as npm's bin link and npx do. */
function run(file: string, args: string[]): Promise<{ code: number; stdout: string; flags: string[] }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, NODE_OPTIONS: SHOW_FLAGS } }, (err, stdout, stderr) => {
      const line = stderr.split('\n').find((l) => l.startsWith('FLAGS=')) ?? 'FLAGS=[]';
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, flags: JSON.parse(line.slice(6)) as string[] });
    });
  });
}

describe('the broke-cluster bin', () => {
  let dir = '';
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'broke-bin-'));
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts node with the young-generation floor the gateway wants, and runs the CLI', async () => {
    const r = await run(BIN, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.flags).toContain('--min-semi-space-size=8');
  });

  it('works through a link elsewhere, as node_modules/.bin holds it', async () => {
    const link = join(dir, 'broke-cluster');
    symlinkSync(BIN, link);
    const r = await run(link, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.flags).toContain('--min-semi-space-size=8');
  });

  it('still runs when node is given the file itself (the sh line is a comment to node)', async () => {
    const r = await run(process.execPath, [BIN, '--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.flags).not.toContain('--min-semi-space-size=8');
  });
});
