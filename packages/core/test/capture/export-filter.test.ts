import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CapturedInteraction,
  checkFilter,
  ExportedInteractionSchema,
  type ExportFilter,
  INTERACTION_SCHEMA_PATH,
  InteractionStore,
  interactionJsonSchemaText,
  parseTimeBound,
} from '../../src/index.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;

function record(id: string, at: number, team: string | null, role: string | null): CapturedInteraction {
  return {
    at,
    messages: [
      { role: 'user', content: `question ${id}` },
      { role: 'assistant', content: `answer ${id}` },
    ],
    metadata: {
      route_id: id,
      created_at: new Date(at).toISOString(),
      team,
      role,
      session: null,
      framework: null,
      conversation_depth: null,
      task_type: 'chat',
      complexity: 0.1,
      profile: 'balanced',
      node: 'a',
      model: 'm',
      predicted_quality: 0.5,
      temperature: null,
      fallback: false,
      stream: false,
      latency_ms: 10,
      ttft_ms: 10,
      prompt_tokens: 3,
      completion_tokens: 2,
      prompt_captured: true,
      response_captured: true,
    },
  };
}

let dir: string;
let store: InteractionStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'broke-capture-'));
  store = InteractionStore.open(join(dir, 'interactions.db'));
  store.add(record('r1', T0, 'research', 'Writer'));
  store.add(record('r2', T0 + HOUR, 'research', 'reviewer'));
  store.add(record('r3', T0 + 2 * HOUR, 'support', 'writer'));
  store.add(record('r4', T0 + 3 * HOUR, null, null));
  store.rate('r1', 1);
  store.rate('r1', 0.5); // mean 0.75
  store.rate('r2', 0);
  store.rate('r3', 0.9);
  store.rate('nope', 1); // a route that was not captured: ignored
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = (filter: ExportFilter) => [...store.query(filter)].map((l) => l.metadata.route_id);

describe('export filters over the SQLite interactions store', () => {
  it('exports everything oldest first, with mean ratings and counts, each line valid', () => {
    const lines = [...store.query()];
    expect(lines.map((l) => l.metadata.route_id)).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(lines.map((l) => l.rating)).toEqual([0.75, 0, 0.9, null]);
    expect(lines.map((l) => l.metadata.ratings)).toEqual([2, 1, 1, 0]);
    for (const line of lines) expect(ExportedInteractionSchema.parse(line)).toEqual(line);
  });

  it('filters by time (inclusive), team and role (case-insensitive)', () => {
    expect(ids({ since: T0 + HOUR, until: T0 + 2 * HOUR })).toEqual(['r2', 'r3']);
    expect(ids({ team: 'research' })).toEqual(['r1', 'r2']);
    expect(ids({ role: ' WRITER ' })).toEqual(['r1', 'r3']);
    expect(ids({ team: 'research', role: 'writer' })).toEqual(['r1']);
    expect(ids({ team: 'nobody' })).toEqual([]);
  });

  it('filters by rating: bounds are inclusive and leave unrated interactions out', () => {
    expect(ids({ ratedOnly: true })).toEqual(['r1', 'r2', 'r3']);
    expect(ids({ minRating: 0.75 })).toEqual(['r1', 'r3']);
    expect(ids({ maxRating: 0.75 })).toEqual(['r1', 'r2']);
    expect(ids({ minRating: 0, maxRating: 1 })).toEqual(['r1', 'r2', 'r3']);
  });

  it('prunes what is older than the retention', () => {
    const other = InteractionStore.open(join(dir, 'prune.db'));
    other.add(record('old', T0, 't', 'r'));
    other.add(record('new', T0 + 10 * 24 * HOUR, 't', 'r'));
    expect(other.prune(5, T0 + 11 * 24 * HOUR)).toBe(1);
    expect([...other.query()].map((l) => l.metadata.route_id)).toEqual(['new']);
    other.close();
  });

  it('refuses a missing file or one that is not an interactions store, saying which', () => {
    expect(() => InteractionStore.openReadOnly(join(dir, 'missing.db'))).toThrow(
      /no captured interactions at/,
    );
    expect(() => InteractionStore.openReadOnly(INTERACTION_SCHEMA_PATH)).toThrow(
      /not a BROKE interactions store/,
    );
  });
});

describe('time bounds and contradictory filters', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it('reads ISO dates, date-times and ages', () => {
    expect(parseTimeBound('2026-11-30', now)).toBe(Date.parse('2026-11-30T00:00:00Z'));
    expect(parseTimeBound('2026-11-30T10:30:00Z', now)).toBe(Date.parse('2026-11-30T10:30:00Z'));
    expect(parseTimeBound('7d', now)).toBe(now - 7 * 24 * HOUR);
    expect(parseTimeBound('30m', now)).toBe(now - 30 * 60_000);
    for (const bad of ['yesterday', '7', '2026-13-45', '-1d', '1y', ''])
      expect(parseTimeBound(bad, now)).toBeUndefined();
  });

  it('rejects since after until and min above max', () => {
    expect(() => checkFilter({ since: 2, until: 1 })).toThrow(/--since is later than --until/);
    expect(() => checkFilter({ minRating: 0.8, maxRating: 0.2 })).toThrow(
      /--min-rating is above --max-rating/,
    );
    expect(checkFilter({ since: 1, until: 1, minRating: 0.5, maxRating: 0.5 })).toBeDefined();
  });
});

describe('interaction.schema.json', () => {
  it('is the one generated from the zod schema (run node packages/core/dist/capture/write-json-schema.js)', () => {
    const committed = JSON.parse(readFileSync(INTERACTION_SCHEMA_PATH, 'utf8'));
    expect(committed).toEqual(JSON.parse(interactionJsonSchemaText()));
  });
});
