import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureVenv, repoRoot } from '../paths.js';

const run = promisify(execFile);

function digestTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const model of readdirSync(dir).sort()) {
    for (const file of readdirSync(join(dir, model)).sort()) {
      out[`${model}/${file}`] = createHash('sha256')
        .update(readFileSync(join(dir, model, file)))
        .digest('hex');
    }
  }
  return out;
}

// The test models are generated, never downloaded: the same generator must give the same bytes.
describe('model generator', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'broke-gen-a-')), mkdtempSync(join(tmpdir(), 'broke-gen-b-'))];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('is deterministic: two runs write identical files', async () => {
    const python = join(await ensureVenv(), 'bin/python');
    const script = join(repoRoot, 'scripts/gen_tiny_model.py');
    for (const dir of dirs) await run(python, [script, '--out', dir, 'tiny', 'hello', 'tool-call']);
    const [a, b] = dirs.map(digestTree);
    expect(Object.keys(a ?? {})).toEqual(
      expect.arrayContaining([
        'tiny/config.json',
        'tiny/model.safetensors',
        'tiny/tokenizer.json',
        'tiny/tokenizer_config.json',
      ]),
    );
    expect(a).toEqual(b);
  });

  it('writes a loadable llama config with the chat template and eos', () => {
    const config = JSON.parse(readFileSync(join(dirs[0] as string, 'tiny/config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'llama', max_position_embeddings: 4096 });
    const tok = JSON.parse(readFileSync(join(dirs[0] as string, 'tiny/tokenizer_config.json'), 'utf8'));
    expect(tok.eos_token).toBe('<|im_end|>');
    expect(tok.chat_template).toContain('<|im_start|>assistant');
  });

  it('rejects an unknown model name with a readable message', async () => {
    const python = join(await ensureVenv(), 'bin/python');
    const err = await run(python, [
      join(repoRoot, 'scripts/gen_tiny_model.py'),
      '--out',
      dirs[0] as string,
      'nope',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/unknown model\(s\) \['nope'\]/);
  });
});
