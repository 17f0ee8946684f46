import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@cfworker/json-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExportedInteractionSchema,
  INTERACTION_SCHEMA_PATH,
  interactionJsonSchemaText,
} from '../../src/index.js';
import { cli, ensureBuilt } from '../cli/helpers.js';
import { type MlxCluster, startMlxCluster } from '../http/support/mlx-cluster.js';

/**
 * Capture and export end to end: real mlx_lm.server nodes behind the real gateway, capture on for
 * one team only, chat (streamed and not), feedback, then the built `broke-cluster export-data`;
 * every line must validate against the committed JSON Schema.
 */
let c: MlxCluster;
let dir: string;
let config: string;
const EMAIL = 'ana.lopez@example.org';

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'broke-export-'));
  const store = join(dir, 'interactions.db');
  c = await startMlxCluster({
    nodes: 1,
    config: { capture: { teams: ['research'], store: { path: store }, redact: ['emails'] } },
  });
  // The CLI reads the same capture block from a config file.
  config = join(dir, 'broke.yaml');
  writeFileSync(
    config,
    [
      'nodes:',
      `  - { id: a, url: "${c.nodes[0]?.url}", kind: mlx, models: [{ id: tiny-a }] }`,
      'capture:',
      '  teams: [research]',
      `  store: { path: "${store}" }`,
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await c?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One chat through the gateway; returns the route id and the answer's text as the client saw it. */
async function chat(team: string, role: string, stream: boolean, text: string) {
  const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-broke-team': team, 'x-broke-role': role },
    body: JSON.stringify({
      model: 'broke-auto',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: text },
      ],
      max_tokens: 8,
      stream,
    }),
  });
  expect(res.status).toBe(200);
  const routeId = res.headers.get('x-broke-route-id') as string;
  const body = await res.text();
  if (!stream)
    return {
      routeId,
      answer: (JSON.parse(body) as { choices: [{ message: { content: string } }] }).choices[0].message
        .content,
    };
  let answer = '';
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const chunk = JSON.parse(line.slice(6)) as { choices: Array<{ delta?: { content?: string } }> };
    answer += chunk.choices[0]?.delta?.content ?? '';
  }
  return { routeId, answer };
}

async function rate(routeId: string, body: Record<string, unknown>) {
  const res = await fetch(`${c.gateway.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ route_id: routeId, ...body }),
  });
  expect(res.status).toBe(200);
}

const linesOf = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('broke-cluster export-data over real nodes', () => {
  let plain: { routeId: string; answer: string };
  let streamed: { routeId: string; answer: string };
  let other: { routeId: string; answer: string };

  beforeAll(async () => {
    plain = await chat('research', 'writer', false, `Summarise the mail from ${EMAIL} please`);
    streamed = await chat('research', 'Reviewer', true, 'Review this draft');
    other = await chat('support', 'writer', false, `A private support ticket from ${EMAIL}`);
    await rate(plain.routeId, { score: 0.9 });
    await rate(streamed.routeId, { thumbs: 'down' });
    await rate(other.routeId, { score: 1 });
  });

  it('exports the captured team only, redacted, rated, every line valid against the committed JSON Schema', async () => {
    // The tiny models do answer: there is text whose capture can be checked.
    expect(plain.answer.length).toBeGreaterThan(0);
    expect(streamed.answer.length).toBeGreaterThan(0);
    const out = join(dir, 'all.jsonl');
    const r = await cli(['--config', config, 'export-data', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(2 interactions)');
    const text = readFileSync(out, 'utf8');
    // The committed schema is the generated one, and a real JSON Schema validator accepts each line.
    const schema = JSON.parse(readFileSync(INTERACTION_SCHEMA_PATH, 'utf8'));
    expect(schema).toEqual(JSON.parse(interactionJsonSchemaText()));
    const validator = new Validator(schema, '2020-12');
    const lines = linesOf(text);
    for (const line of lines) {
      expect(validator.validate(line).errors).toEqual([]);
      expect(ExportedInteractionSchema.parse(line)).toEqual(line);
    }
    const byId = new Map(lines.map((l) => [(l.metadata as { route_id: string }).route_id, l]));
    expect([...byId.keys()].sort()).toEqual([plain.routeId, streamed.routeId].sort());
    // The uncaptured team is absent altogether, and the e-mail address never reached the file.
    expect(text).not.toContain(other.routeId);
    expect(text).not.toContain('private support ticket');
    expect(text).not.toContain(EMAIL);
    expect(text).toContain('[email]');

    const first = ExportedInteractionSchema.parse(byId.get(plain.routeId));
    expect(first.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Summarise the mail from [email] please' },
      { role: 'assistant', content: plain.answer },
    ]);
    expect(first.rating).toBe(0.9);
    expect(first.metadata).toMatchObject({
      team: 'research',
      role: 'writer',
      node: 'a',
      model: 'tiny-a',
      stream: false,
      fallback: false,
      ratings: 1,
    });
    const second = ExportedInteractionSchema.parse(byId.get(streamed.routeId));
    // The streamed answer is assembled from its chunks: the same text the client read.
    expect(second.messages.at(-1)).toEqual({ role: 'assistant', content: streamed.answer });
    expect(second.metadata.stream).toBe(true);
    expect(second.metadata.role).toBe('Reviewer');
    expect(second.rating).toBe(0);
  });

  it('filters by team, role, rating and time on the command line (stdout)', async () => {
    const run = async (...args: string[]) => {
      const r = await cli(['--config', config, 'export-data', ...args]);
      expect(r.code).toBe(0);
      return linesOf(r.stdout).map((l) => (l.metadata as { route_id: string }).route_id);
    };
    expect(await run('--min-rating', '0.5')).toEqual([plain.routeId]);
    expect(await run('--max-rating', '0.5', '--rated-only')).toEqual([streamed.routeId]);
    expect(await run('--role', 'reviewer')).toEqual([streamed.routeId]);
    expect(await run('--team', 'support')).toEqual([]);
    expect((await run('--since', '1h', '--team', 'research')).sort()).toEqual(
      [plain.routeId, streamed.routeId].sort(),
    );
    expect(await run('--until', '2020-01-01')).toEqual([]);
  });

  it('bad flags and failures exit non-zero with one readable line and leave the output file as it was', async () => {
    const out = join(dir, 'kept.jsonl');
    writeFileSync(out, 'previous export\n');
    const cases: Array<[string[], number, RegExp]> = [
      [['--min-rating', '2'], 2, /--min-rating.*Expected a rating from 0 to 1/],
      [['--since', 'yesterday'], 2, /--since.*Expected an ISO 8601 date/],
      [['--since', '2026-11-30', '--until', '2026-11-01'], 2, /--since is later than --until/],
      [['--store', join(dir, 'missing.db')], 2, /no captured interactions at/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(['--config', config, 'export-data', '-o', out, ...args]);
      expect(r.code).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(readFileSync(out, 'utf8')).toBe('previous export\n');
    }
    // A config without capture says so instead of exporting nothing.
    const off = join(dir, 'off.yaml');
    writeFileSync(
      off,
      `nodes:\n  - { id: a, url: "${c.nodes[0]?.url}", kind: mlx, models: [{ id: tiny-a }] }\n`,
    );
    const r = await cli(['--config', off, 'export-data']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/capture is off in/);
    expect(r.stdout).toBe('');
  });
});
