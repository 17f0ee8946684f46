import type { BrokeConfig, MonitorConfig } from '../config/schema.js';
import { baselineBaseDir, loadBaselines, type SeededPerf } from './baselines.js';
import { ClusterState } from './cluster-state.js';
import { ClusterMonitor, type MemoryProbe } from './monitor.js';

export interface ClusterFromConfigOptions {
  /** Path of the loaded config file: relative `baselines` entries resolve from its folder. */
  configPath: string;
  /** Overrides of `config.monitor` (a one-shot look wants no hysteresis). */
  monitor?: Partial<MonitorConfig>;
  memoryProbe?: MemoryProbe;
  /** false skips the poll: every node stays as configured, assumed up (default true). */
  poll?: boolean;
  /** Called before the first poll, so listeners also hear what that poll finds. */
  onMonitor?: (monitor: ClusterMonitor) => void;
}

export interface ClusterFromConfig {
  cluster: ClusterState;
  /** Not started: a long-running caller starts it, a one-shot caller stops it. */
  monitor: ClusterMonitor;
  seeded: SeededPerf[];
}

/**
 * The cluster a command starts from: the configured nodes, baseline priors seeded into their speed
 * estimates, and one poll of the live nodes so the first decision already knows who is up. `serve`
 * and `route` both need exactly this; one function keeps the two from drifting apart.
 */
export async function clusterFromConfig(
  config: BrokeConfig,
  options: ClusterFromConfigOptions,
): Promise<ClusterFromConfig> {
  const cluster = new ClusterState(config.nodes);
  const seeded = await loadBaselines(config.baselines, cluster, {
    baseDir: baselineBaseDir(options.configPath),
    nodes: config.nodes,
  });
  const monitor = new ClusterMonitor({
    nodes: config.nodes,
    monitor: { ...config.monitor, ...options.monitor },
    state: cluster,
    ...(options.memoryProbe ? { memoryProbe: options.memoryProbe } : {}),
  });
  options.onMonitor?.(monitor);
  if (options.poll !== false) await monitor.pollOnce();
  return { cluster, monitor, seeded };
}
