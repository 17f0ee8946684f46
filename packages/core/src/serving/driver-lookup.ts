import type { BrokeConfig, NodeConfig } from '../config/schema.js';
import { createDriver } from '../drivers/factory.js';
import type { NodeDriver } from '../spec/index.js';

/** Drivers by node id, or a factory of them. */
export type DriverSource = ReadonlyMap<string, NodeDriver> | ((node: NodeConfig) => NodeDriver);

/** The driver of each node, made lazily, once per node, so an unused node costs nothing. */
export function driverLookup(
  config: Pick<BrokeConfig, 'nodes' | 'models'>,
  source: DriverSource | undefined,
): (nodeId: string) => NodeDriver | undefined {
  if (source && typeof source !== 'function') return (id: string) => source.get(id);
  const cache = new Map<string, NodeDriver>();
  const nodes = new Map(config.nodes.map((n) => [n.id, n]));
  return (id: string) => {
    let driver = cache.get(id);
    if (!driver) {
      const node = nodes.get(id);
      if (!node) return undefined;
      driver = source ? source(node) : createDriver(node, { models: config.models });
      cache.set(id, driver);
    }
    return driver;
  };
}
