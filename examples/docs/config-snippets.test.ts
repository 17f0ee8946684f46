import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BrokeConfigSchema } from '../../packages/core/src/config/schema.js';

/**
 * The broke.yaml fragments in docs/ (```yaml fences) are config a reader copies: each must pass
 * the real schema, completed with one node and model when the fragment shows only its own section.
 */
const docs = resolve(import.meta.dirname, '../../docs');
const MINIMAL = {
  nodes: [{ id: 'n1', url: 'http://127.0.0.1:8080', models: [{ id: 'm1' }] }],
  models: [{ id: 'm1' }],
};

const fragments = readdirSync(docs)
  .filter((f) => f.endsWith('.md'))
  .flatMap((file) =>
    [...readFileSync(join(docs, file), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, i) => ({
      name: `${file} #${i + 1}`,
      text: m[1] as string,
    })),
  );

describe('config snippets in docs/', () => {
  it('finds them, and most are broke.yaml', () => {
    const known = Object.keys(BrokeConfigSchema.shape);
    expect(known).toContain('nodes');
    const config = fragments.filter((f) =>
      Object.keys((parse(f.text.replaceAll('${CLOUD_KEY}', 'x')) as object) ?? {}).every((k) =>
        known.includes(k),
      ),
    );
    expect(config.length).toBeGreaterThanOrEqual(3);
    expect(fragments.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^escalation\.md/),
        expect.stringMatching(/^warm-up\.md/),
        expect.stringMatching(/^data-export\.md/),
      ]),
    );
  });

  it.each(fragments.map((f) => [f.name, f.text] as const))('%s passes the config schema', (_name, text) => {
    const fragment = parse(text.replaceAll('${CLOUD_KEY}', 'sk-test-key')) as Record<string, unknown>;
    // Only broke.yaml fragments: a fence of another file (a compose file, a CI job) is not config.
    const known = Object.keys(BrokeConfigSchema.shape);
    if (!Object.keys(fragment ?? {}).every((k) => known.includes(k))) return;
    const config = fragment.nodes ? fragment : { ...MINIMAL, ...fragment };
    const result = BrokeConfigSchema.safeParse(config);
    expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).toBe(true);
  });
});
