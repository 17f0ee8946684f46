import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

// The child imports the store's TypeScript source through tsx, so the test never depends on (or
// silently skips without) a build in dist/.
const source = new URL('../../src/stores/sqlite-stats-store.ts', import.meta.url).href;

describe('SqliteStatsStore survives kill -9', () => {
  it('keeps every acknowledged outcome', async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'broke-crash-')), 'stats.db');
    let stderr = '';
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./crash-writer.mjs', import.meta.url)), dbPath, source],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const acknowledged: string[] = [];
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        acknowledged.push(...lines.filter(Boolean));
        if (acknowledged.length >= 2000 && !child.killed) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    // A writer that could not start (tsx or better-sqlite3 missing) fails here, with its error.
    expect(acknowledged.length, `crash writer stopped early: ${stderr.slice(-2000)}`).toBeGreaterThanOrEqual(
      2000,
    );
    const db = new Database(dbPath);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = new Set(
      (db.prepare('SELECT route_id FROM outcomes').all() as Array<{ route_id: string }>).map(
        (r) => r.route_id,
      ),
    );
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    db.close();
  });
});
