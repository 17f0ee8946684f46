import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ValidationError } from '../errors.js';
import { type ExportFilter, filterSql, roleKey } from './export-filter.js';
import type { ExportedInteraction, ExportedMessage, InteractionMetadata } from './interaction-schema.js';

const DAY_MS = 86_400_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS interactions (
  route_id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  team TEXT,
  role_key TEXT,
  messages TEXT NOT NULL,
  metadata TEXT NOT NULL,
  rating_sum REAL NOT NULL DEFAULT 0,
  rating_n INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS interactions_at ON interactions(at);
`;

/** One captured request as stored: the export line without its rating (ratings come later). */
export interface CapturedInteraction {
  /** Routed at, ms since the epoch. */
  at: number;
  messages: ExportedMessage[];
  metadata: Omit<InteractionMetadata, 'ratings'>;
}

interface Row {
  messages: string;
  metadata: string;
  rating_sum: number;
  rating_n: number;
}

const expand = (path: string) => (path.startsWith('~/') ? join(homedir(), path.slice(2)) : path);

/**
 * Captured interactions in a SQLite file (better-sqlite3, like the stats store): written by the
 * gateway, read by `export-data`. Ratings are a running sum and count per route, so feedback that
 * arrives later updates the record in place. Rows older than the retention are deleted.
 */
export class InteractionStore {
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement | undefined;
  private readonly rateStmt: Database.Statement | undefined;

  private constructor(db: Database.Database, writable: boolean) {
    this.db = db;
    if (writable) {
      this.insertStmt = db.prepare(
        'INSERT OR IGNORE INTO interactions (route_id, at, team, role_key, messages, metadata) VALUES (?, ?, ?, ?, ?, ?)',
      );
      this.rateStmt = db.prepare(
        'UPDATE interactions SET rating_sum = rating_sum + ?, rating_n = rating_n + 1 WHERE route_id = ?',
      );
    }
  }

  /** The gateway's end: creates the file (and its folder) when missing. */
  static open(path: string): InteractionStore {
    const file = expand(path);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    return new InteractionStore(db, true);
  }

  /** The exporter's end: an existing file, never written to. */
  static openReadOnly(path: string): InteractionStore {
    const file = expand(path);
    if (!existsSync(file))
      throw new ValidationError(`no captured interactions at ${file}`, {
        hint: 'capture is opt-in per team: set capture.teams in broke.yaml and serve requests first, or pass --store',
      });
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
      db.prepare('SELECT 1 FROM interactions LIMIT 1').all();
    } catch (err) {
      throw new ValidationError(`${file} is not a BROKE interactions store: ${(err as Error).message}`, {
        hint: 'pass the file named by capture.store.path',
        cause: err,
      });
    }
    return new InteractionStore(db, false);
  }

  add(record: CapturedInteraction): void {
    const { metadata } = record;
    this.insertStmt?.run(
      metadata.route_id,
      record.at,
      metadata.team,
      metadata.role === null ? null : roleKey(metadata.role),
      JSON.stringify(record.messages),
      JSON.stringify(metadata),
    );
  }

  /** One more rating (0..1) of a captured route; a route that was not captured is ignored. */
  rate(routeId: string, reward: number): void {
    this.rateStmt?.run(reward, routeId);
  }

  /** Deletes what is older than `retentionDays` before `now`; returns how many rows went. */
  prune(retentionDays: number, now = Date.now()): number {
    return this.db.prepare('DELETE FROM interactions WHERE at < ?').run(now - retentionDays * DAY_MS).changes;
  }

  /** Matching interactions, oldest first, read one at a time (an export may be large). */
  *query(filter: ExportFilter = {}): Generator<ExportedInteraction> {
    const { where, params } = filterSql(filter);
    const stmt = this.db.prepare(
      `SELECT messages, metadata, rating_sum, rating_n FROM interactions ${where} ORDER BY at, route_id`,
    );
    for (const row of stmt.iterate(...params) as Iterable<Row>) {
      const metadata = JSON.parse(row.metadata) as Omit<InteractionMetadata, 'ratings'>;
      yield {
        messages: JSON.parse(row.messages) as ExportedMessage[],
        metadata: { ...metadata, ratings: row.rating_n },
        rating: row.rating_n > 0 ? Math.min(1, Math.max(0, row.rating_sum / row.rating_n)) : null,
      };
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
