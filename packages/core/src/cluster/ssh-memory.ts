import type { NodeConfig } from '../config/schema.js';
import { probeHardware } from '../ssh/hardware.js';
import type { SshPool } from '../ssh/pool.js';
import type { MemoryProbe } from './monitor.js';

/**
 * Memory for nodes whose server cannot report it (mlx_lm.server): the SSH hardware probe
 * (vm_stat / memory_pressure on macOS, /proc/meminfo on Linux). Nodes without `ssh` report nothing.
 */
export function sshMemoryProbe(pool: SshPool, timeoutMs = 5000): MemoryProbe {
  return async (node: NodeConfig) => {
    if (!node.ssh) return undefined;
    const hw = await probeHardware(await pool.get(node.ssh), timeoutMs);
    return {
      ...(hw.memoryGb !== undefined ? { totalGb: hw.memoryGb } : {}),
      ...(hw.freeMemoryGb !== undefined ? { freeGb: hw.freeMemoryGb } : {}),
      ...(hw.pressure ? { pressure: hw.pressure } : {}),
    };
  };
}
