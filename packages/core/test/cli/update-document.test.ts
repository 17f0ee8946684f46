// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${NAME} text in broke.yaml
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { formatOf, updateDocument } from '../../src/cli/update-document.js';

// biome-ignore lint/suspicious/noExplicitAny: the config's plain value, edited freely as commands do
type Raw = Record<string, any>;

/** What a command does to broke.yaml: read it, change the plain value, write the document back. */
function rewrite(source: string, change: (raw: Raw) => void): string {
  const raw = parseDocument(source).toJS() as Raw;
  change(raw);
  const doc = parseDocument(source);
  updateDocument(doc, raw);
  return doc.toString(formatOf(source));
}

const commented = `# Lab cluster. Keep this note.
cluster:
  name: lab # trailing note

# the nodes
nodes:
  # the big one
  - id: studio
    url: "http://127.0.0.1:8080"
    apiKey: \${STUDIO_KEY}
    models: [] # filled by scan-models
  - id: mini
    url: http://127.0.0.1:8081
    models:
      - id: tiny # the small model
gateway:
  apiKeys:
    - \${GATEWAY_KEY:-local-dev-key}
`;

describe('updateDocument: rewriting broke.yaml keeps what the user wrote', () => {
  it('writes an unchanged file back byte for byte', () => {
    expect(rewrite(commented, () => {})).toBe(commented);
  });

  it('keeps comments, quoting and ${NAME} text, and changes only what changed', () => {
    const out = rewrite(commented, (raw) => {
      raw.nodes[0].models.push({ id: 'big', servedName: '/models/big' });
      raw.nodes[1].models[0].servedName = '/models/tiny';
      raw.models = [{ id: 'big', quantization: '4bit' }];
      raw.baselines = ['baselines/local.json'];
    });
    for (const line of commented.split('\n').filter((l) => l.includes('#') || l.includes('${')))
      expect(out).toContain(line.includes('models: []') ? '# filled by scan-models' : line);
    expect(out).toContain(
      '    models:\n      # filled by scan-models\n      - id: big\n        servedName: /models/big\n',
    );
    // Stable: the next rewrite changes nothing.
    expect(rewrite(out, () => {})).toBe(out);
    expect(out).toContain('      - id: tiny # the small model\n        servedName: /models/tiny\n');
    expect(
      out.endsWith('models:\n  - id: big\n    quantization: 4bit\nbaselines:\n  - baselines/local.json\n'),
    ).toBe(true);
  });

  it('matches list items by id, so a comment stays with its node when another one goes', () => {
    const out = rewrite(commented, (raw) => {
      raw.nodes = [raw.nodes[1], raw.nodes[0]]
        .filter((n) => n.id !== 'mini')
        .concat([{ id: 'new', url: 'http://x' }]);
    });
    expect(out).toContain('  # the big one\n  - id: studio\n');
    expect(out).not.toContain('mini');
    expect(out).not.toContain('the small model');
  });

  it("keeps the file's indentation step and list style", () => {
    const fourSpaces = `cluster:
    name: lab
nodes:
    - id: studio
      url: http://127.0.0.1:8080
      ssh:
          host: 127.0.0.1 # four spaces here
          user: me
`;
    expect(rewrite(fourSpaces, () => {})).toBe(fourSpaces);
    expect(
      rewrite(fourSpaces, (raw) => {
        raw.nodes[0].ssh.port = 2222;
        raw.nodes[0].labels = ['m2'];
      }),
    ).toBe(`${fourSpaces}          port: 2222
      labels:
          - m2
`);
    const flush = 'nodes:\n- id: studio\n  url: http://127.0.0.1:8080\n';
    expect(
      rewrite(flush, (raw) => {
        raw.nodes[0].labels = ['m2'];
      }),
    ).toBe(`${flush}  labels:\n  - m2\n`);
  });
});
