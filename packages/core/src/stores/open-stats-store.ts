import type { StoreConfig } from '../config/schema.js';
import { BrokeError } from '../errors.js';
import { MemoryStatsStore } from './memory-stats-store.js';
import { SqliteStatsStore } from './sqlite-stats-store.js';
import type { StatsStore } from './stats-store.js';

/** The store named by `store:` in broke.yaml. */
export function openStatsStore(config: StoreConfig): StatsStore {
  switch (config.kind) {
    case 'memory':
      return new MemoryStatsStore();
    case 'sqlite':
      return new SqliteStatsStore(config.path);
    case 'redis':
      throw new BrokeError('store_unsupported', 'The Redis stats store is not implemented yet', {
        hint: 'use store.kind: sqlite or memory',
      });
  }
}
