import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bridge as autogenBridge } from '@broke/autogen-bridge';
import { bridge as crewaiBridge } from '@broke/crewai-bridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type MlxCluster, startMlxCluster } from '../../packages/core/test/http/support/mlx-cluster.js';
import { frameworkEnv } from '../../packages/core/test/http/support/python.js';
import { ensureVenv, repoRoot } from '../../testbed/index.js';

/**
 * Every TypeScript and Python snippet in README.md and docs/ runs, as written, against the test
 * bed: two real mlx_lm.server nodes behind a gateway with both bridges. The snippets are read
 * from the Markdown, so the docs cannot drift from what works. The only change made to them is
 * the address: `127.0.0.1:8787` becomes the test gateway's. They run in a folder holding a
 * `broke.yaml` for the same nodes (what `readBrokeConfig('broke.yaml')` reads).
 */
interface Snippet {
  file: string;
  line: number;
  lang: 'ts' | 'python';
  code: string;
}

const LANGS: Record<string, Snippet['lang']> = { ts: 'ts', typescript: 'ts', python: 'python', py: 'python' };

function snippetsOf(file: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i] as string);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    const lang = LANGS[(open[1] as string).toLowerCase()];
    if (lang)
      out.push({
        file: relative(repoRoot, file),
        line: i + 1,
        lang,
        code: lines.slice(i + 1, end).join('\n'),
      });
    i = end;
  }
  return out;
}

const docs = [
  join(repoRoot, 'README.md'),
  ...readdirSync(join(repoRoot, 'docs')).map((f) => join(repoRoot, 'docs', f)),
].filter((f) => f.endsWith('.md'));
const snippets = docs.flatMap(snippetsOf);

let c: MlxCluster;
let cwd: string;
let scratch: string;

beforeAll(async () => {
  c = await startMlxCluster({ nodes: 2, bridges: [crewaiBridge, autogenBridge] });
  cwd = mkdtempSync(join(tmpdir(), 'broke-snippets-'));
  const config = {
    nodes: c.nodes.map((n, i) => ({
      id: String.fromCharCode(97 + i),
      url: n.url,
      kind: 'mlx',
      models: [{ id: `tiny-${String.fromCharCode(97 + i)}` }],
    })),
    models: c.nodes.map((_, i) => ({
      id: `tiny-${String.fromCharCode(97 + i)}`,
      tier: 'small',
      contextLength: 4096,
    })),
    gateway: { port: 0 },
    store: { kind: 'memory' },
  };
  writeFileSync(join(cwd, 'broke.yaml'), stringify(config));
  // TypeScript snippets live inside the repo so `@broke/*` resolve from its node_modules.
  scratch = join(repoRoot, 'node_modules', '.cache', 'broke-snippets');
  mkdirSync(scratch, { recursive: true });
});
afterAll(async () => {
  await c?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // No stdin: a snippet that would wait for a person (a first-run prompt) gets EOF at once.
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('documentation snippets run as written', () => {
  it('finds the snippets (README and docs/ have Python and TypeScript ones)', () => {
    expect(snippets.filter((s) => s.lang === 'python').length).toBeGreaterThanOrEqual(5);
    expect(snippets.filter((s) => s.lang === 'ts').length).toBeGreaterThanOrEqual(4);
    expect(snippets.map((s) => s.file)).toContain('README.md');
  });

  for (const s of snippets) {
    it(`${s.file}:${s.line} (${s.lang})`, async () => {
      const address = c.gateway.url.replace(/^http:\/\//, '');
      const code = s.code.replaceAll('127.0.0.1:8787', address);
      const name = `${s.file.replace(/[^\w]+/g, '-')}-${s.line}`;
      let result: Awaited<ReturnType<typeof run>>;
      if (s.lang === 'python') {
        const file = join(cwd, `${name}.py`);
        writeFileSync(file, code);
        // The test bed is offline: CrewAI's first-run trace prompt and telemetry stay off.
        const env = frameworkEnv({ CREWAI_TESTING: 'true', ANONYMIZED_TELEMETRY: 'False' });
        result = await run(join(await ensureVenv(), 'bin/python'), [file], env);
        expect(result.stderr, 'Python snippets print no warnings').toBe('');
      } else {
        const file = join(scratch, `${name}.mts`);
        writeFileSync(file, code);
        result = await run(join(repoRoot, 'node_modules/.bin/tsx'), [file], {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NO_PROXY: '127.0.0.1,localhost',
        });
      }
      expect(result.code, `${s.file}:${s.line}\n${result.stderr.slice(-3000)}`).toBe(0);
    });
  }
});
