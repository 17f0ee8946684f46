import type { Logger } from 'pino';
import type { ClusterMonitor } from '../cluster/monitor.js';

/**
 * The monitor's verdicts as log lines: a node up (info) or down (warn, with why), a model that
 * failed its probe generation (warn). Returns the unsubscribe.
 */
export function logMonitorEvents(monitor: ClusterMonitor, logger: Logger): () => void {
  const up = (e: { nodeId: string; state: { validatedModels: string[] | undefined } }) =>
    logger.info({ event: 'node_up', node: e.nodeId, models: e.state.validatedModels ?? [] }, 'node up');
  const down = (e: { nodeId: string; error?: string }) =>
    logger.warn({ event: 'node_down', node: e.nodeId, error: e.error ?? null }, 'node down');
  const validated = (e: { nodeId: string; result: { ok: boolean; modelId: string; error?: string } }) => {
    if (!e.result.ok)
      logger.warn(
        {
          event: 'model_failed_probe',
          node: e.nodeId,
          model: e.result.modelId,
          error: e.result.error ?? null,
        },
        'model failed its probe generation',
      );
  };
  monitor.on('node-up', up);
  monitor.on('node-down', down);
  monitor.on('model-validated', validated);
  return () => {
    monitor.off('node-up', up);
    monitor.off('node-down', down);
    monitor.off('model-validated', validated);
  };
}
