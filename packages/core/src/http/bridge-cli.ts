import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseConfig } from '../config/loader.js';
import type { BrokeConfig } from '../config/schema.js';
import { BrokeError } from '../errors.js';
import type { GatewayBridge } from './bridge.js';
import { type RunningGateway, startGateway } from './server.js';

/** Reads and validates broke.yaml with the same validator and messages as the CLI. */
export async function readBrokeConfig(path: string): Promise<BrokeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BrokeError('config_unreadable', `cannot read ${path}: ${(err as Error).message}`, {
      status: 400,
    });
  }
  return parseConfig(text, path);
}

/**
 * A bridge serving on its own (`broke-crewai-bridge --config broke.yaml --port 8788`): the bridge's
 * extractor on the root API, and the same API under its prefix so URLs match a shared gateway.
 */
export async function startBridge(
  bridge: GatewayBridge,
  options: Omit<Parameters<typeof startGateway>[0], 'extractor' | 'framework' | 'bridges'>,
): Promise<RunningGateway> {
  return startGateway({
    ...options,
    extractor: bridge.extractor,
    framework: bridge.framework,
    bridges: [bridge],
  });
}

/** The whole `broke-*-bridge` command: flags, config, serve, clean shutdown on signals. */
export async function runBridgeCli(
  bridge: GatewayBridge,
  argv = process.argv.slice(2),
): Promise<RunningGateway> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c', default: 'broke.yaml' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'no-request-log': { type: 'boolean', default: false },
    },
  });
  const config = await readBrokeConfig(values.config as string);
  const gateway = await startBridge(bridge, {
    config,
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    // The same per-request JSON line as `broke-cluster serve`.
    ...(values['no-request-log']
      ? {}
      : { requestLog: (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`) }),
  });
  console.log(`broke ${bridge.framework} bridge listening on ${gateway.url} (base_url ${gateway.url}/v1)`);
  const stop = () => {
    gateway.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return gateway;
}
