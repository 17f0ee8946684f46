import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/core/bin/broke-cluster.js');
/** The node flags each bin's launch line gives node (packages/core/bin/broke-cluster.js says why). */
const SERVE_FLAGS = ['--no-memory-reducer', '--min-semi-space-size=16'];
/** Prints the node flags of the process it is loaded into, on stderr, as it exits (NODE_OPTIONS splits at spaces: none in it). */
const SHOW_FLAGS = `--import=data:text/javascript,process.on('exit',()=>console.error('FLAGS='+JSON.stringify(process.execArgv)))`;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  flags: string[];
}

/** Runs `file` as a program (its `#!` line decides how), as npm's bin link and npx do. */
function run(file: string, args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, NODE_OPTIONS: SHOW_FLAGS } }, (err, stdout, stderr) => {
      const line = stderr.split('\n').find((l) => l.startsWith('FLAGS=')) ?? 'FLAGS=[]';
      resolve({
        code: err ? Number(err.code ?? 1) : 0,
        stdout,
        stderr,
        flags: JSON.parse(line.slice(6)) as string[],
      });
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

  it('starts node without the memory reducer and with a steady young generation (what the gateway wants after idle spells), and runs the CLI', async () => {
    const r = await run(BIN, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.flags).toEqual(expect.arrayContaining(SERVE_FLAGS));
  });

  it('works through a link elsewhere, as node_modules/.bin holds it', async () => {
    const link = join(dir, 'broke-cluster');
    symlinkSync(BIN, link);
    const r = await run(link, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.flags).toEqual(expect.arrayContaining(SERVE_FLAGS));
  });

  it('still runs when node is given the file itself (the sh line is a comment to node)', async () => {
    const r = await run(process.execPath, [BIN, '--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of SERVE_FLAGS) expect(r.flags).not.toContain(flag);
  });

  it('keeps failing the way the CLI fails: a readable message and a non-zero exit', async () => {
    const r = await run(BIN, ['no-such-command']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no-such-command/);
  });
});

describe.each([
  ['autogen-bridge', 'broke-autogen-bridge'],
  ['crewai-bridge', 'broke-crewai-bridge'],
])('the %s bin', (pkg, name) => {
  const bin = join(ROOT, `packages/${pkg}/bin/${name}.js`);
  beforeAll(() => {
    if (!existsSync(join(ROOT, `packages/${pkg}/dist/cli.js`)))
      execFileSync('npx', ['tsc', '-b', `packages/${pkg}`], { cwd: ROOT, stdio: 'inherit' });
  }, 240_000);

  it('starts node with the flags broke-cluster starts it with, and runs the bridge CLI', async () => {
    const r = await run(bin, ['--log-level', 'loud']);
    // The bridge's own answer to a bad flag: it ran.
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${name}: --log-level loud: expected one of`);
    expect(r.flags).toEqual(expect.arrayContaining(SERVE_FLAGS));
  });
});
