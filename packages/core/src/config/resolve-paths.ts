import { isAbsolute, resolve } from 'node:path';
import type { BrokeConfig } from './schema.js';

/**
 * Relative local paths in a config file mean "next to the config": `store.path`, `capture.store.path`, each node's
 * `ssh.privateKeyPath` and `ssh.knownHostsPath`, and `baselines`. Resolving them once, when the
 * file is loaded, makes `serve`, `route`, `status` and the bridges agree wherever they are started
 * from (learned statistics used to be looked for in the current folder). `~/...` stays as written
 * (expanded where it is opened), and so does SQLite's `:memory:`. Paths on a node's own disk
 * (`nodes[].models[].path`) are not local and are left alone.
 */
export function resolveConfigPaths(config: BrokeConfig, baseDir: string): BrokeConfig {
  const local = (p: string) =>
    p === '' || p === ':memory:' || p.startsWith('~') || isAbsolute(p) ? p : resolve(baseDir, p);
  return {
    ...config,
    store:
      config.store.kind === 'sqlite' ? { ...config.store, path: local(config.store.path) } : config.store,
    baselines: config.baselines.map(local),
    ...(config.capture
      ? { capture: { ...config.capture, store: { path: local(config.capture.store.path) } } }
      : {}),
    nodes: config.nodes.map((node) =>
      node.ssh
        ? {
            ...node,
            ssh: {
              ...node.ssh,
              ...(node.ssh.privateKeyPath !== undefined
                ? { privateKeyPath: local(node.ssh.privateKeyPath) }
                : {}),
              ...(node.ssh.knownHostsPath !== undefined
                ? { knownHostsPath: local(node.ssh.knownHostsPath) }
                : {}),
            },
          }
        : node,
    ),
  };
}
