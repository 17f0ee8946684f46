import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hostFromEnv, portFromEnv } from '../config/gateway-env.js';
import { parseConfig } from '../config/loader.js';
import { locateConfig, notFoundMessage } from '../config/locate.js';
import { LOG_LEVELS, type LogLevel } from '../config/observability-schema.js';
import { resolveConfigPaths } from '../config/resolve-paths.js';
import type { BrokeConfig } from '../config/schema.js';
import { BrokeError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import type { GatewayBridge } from './bridge.js';
import { type RunningGateway, startGateway } from './server.js';

/**
 * Reads and validates broke.yaml with the same validator and messages as the CLI: `${NAME}`
 * references replaced from the environment, relative paths resolved against the file's folder.
 */
export async function readBrokeConfig(path: string): Promise<BrokeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BrokeError('config_unreadable', `cannot read ${path}: ${(err as Error).message}`, {
      status: 400,
    });
  }
  return resolveConfigPaths(parseConfig(text, path), dirname(resolve(path)));
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
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'no-request-log': { type: 'boolean', default: false },
      'log-prompts': { type: 'boolean' },
      'log-level': { type: 'string' },
    },
  });
  const level = values['log-level'];
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level))
    throw new BrokeError('invalid_flag', `--log-level ${level}: expected one of ${LOG_LEVELS.join(', ')}`, {
      status: 400,
    });
  // The CLI's order: --config, BROKE_CONFIG, ./broke.yaml, the user config folder.
  const location = locateConfig({ explicit: values.config });
  if (!location.exists)
    throw new BrokeError('config_unreadable', notFoundMessage(location), {
      hint: 'create one with `broke-cluster init`, or pass --config',
      status: 400,
    });
  const read = await readBrokeConfig(location.path);
  const log = read.observability.log;
  const prompts = values['log-prompts'] ?? log.prompts;
  const config = { ...read, observability: { ...read.observability, log: { ...log, prompts } } };
  // The same JSON lines as `broke-cluster serve`, on stdout.
  const logger = createLogger({ level: (level as LogLevel | undefined) ?? log.level, prompts });
  // Flags win over BROKE_HOST/BROKE_PORT, which win over gateway.host/port.
  const port = values.port !== undefined ? Number(values.port) : portFromEnv();
  const host = values.host ?? hostFromEnv();
  const gateway = await startBridge(bridge, {
    config,
    ...(port !== undefined ? { port } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(values['no-request-log'] ? {} : { requestLogger: logger }),
  });
  console.log(`broke ${bridge.framework} bridge listening on ${gateway.url} (base_url ${gateway.url}/v1)`);
  logger.info(
    {
      event: 'gateway_started',
      framework: bridge.framework,
      url: gateway.url,
      nodes: config.nodes.map((n) => n.id),
    },
    'bridge started',
  );
  const stop = () => {
    gateway.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return gateway;
}
