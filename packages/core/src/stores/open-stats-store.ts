import type { StoreConfig } from '../config/schema.js';
import { MemoryStatsStore } from './memory-stats-store.js';
import { RedisStatsStore } from './redis-stats-store.js';
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
      // Connects in loadStats (Router.create): an unreachable Redis fails there, as a BrokeError.
      return new RedisStatsStore({ url: config.url, prefix: config.prefix });
  }
}
