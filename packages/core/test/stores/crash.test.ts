import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const built = fileURLToPath(new URL('../../dist/stores/sqlite-stats-store.js', import.meta.url));

describe('SqliteStatsStore survives kill -9', () => {
  it.skipIf(!existsSync(built))('keeps every acknowledged outcome', async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'broke-crash-')), 'stats.db');
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./crash-writer.mjs', import.meta.url)), dbPath, built],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
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
    expect(acknowledged.length).toBeGreaterThanOrEqual(2000);
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
