import { createInterface } from 'node:readline/promises';
import { BrokeError, ValidationError } from '../errors.js';
import { detectServer, type FoundServer } from './discovery.js';
import { browseServices, DISCOVERY_TYPES, type DiscoveredHost, hostsFromServices } from './mdns-discovery.js';
import type { Output } from './output.js';

/** A discovered host with the model servers found on it. */
export interface OfferedHost extends DiscoveredHost {
  servers: FoundServer[];
}

export interface DiscoverOptions {
  discover?: boolean;
  discoverTimeout: number;
  yes?: boolean;
}

/** Nothing answered on the local link, or nothing that answered runs a model server. */
export class NothingDiscoveredError extends BrokeError {
  constructor(message: string) {
    // The `node_` code prefix makes the CLI exit 3 (unreachable), like "no servers found" on --host.
    super('node_discovery_empty', message, {
      hint: 'name them with --host ADDRESS or --node URL; mDNS only reaches the local link',
    });
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function describe(h: OfferedHost): string {
  const servers = h.servers.map(
    (s) => `${s.kind} ${new URL(s.url).port} (${plural(s.models.length, 'model')})`,
  );
  return `${h.name} ${h.address} [${h.via.map((t) => `_${t}._tcp`).join(', ')}]: ${servers.join(', ')}`;
}

/** Probes each discovered host's ports; a `_broke._tcp` kind hint names a generic server's backend. */
export async function probeDiscovered(hosts: DiscoveredHost[], timeoutMs: number): Promise<OfferedHost[]> {
  return Promise.all(
    hosts.map(async (h) => {
      const found = await Promise.all(
        h.ports.map((p) => detectServer(`http://${h.address}:${p}`, timeoutMs)),
      );
      const servers = found
        .filter((s): s is FoundServer => s !== undefined)
        .map((s) => (s.kind === 'openai' && h.kindHint ? { ...s, kind: h.kindHint } : s));
      return { ...h, servers };
    }),
  );
}

async function confirm(hosts: OfferedHost[], out: Output): Promise<OfferedHost[]> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const chosen: OfferedHost[] = [];
    for (const h of hosts) {
      const answer = (await rl.question(`add ${describe(h)}? [Y/n] `)).trim().toLowerCase();
      if (answer === '' || answer === 'y' || answer === 'yes') chosen.push(h);
    }
    if (!chosen.length) out.info('no host chosen');
    return chosen;
  } finally {
    rl.close();
  }
}

/**
 * `init` with no hosts: browse mDNS on the local link, probe what answered for model servers and
 * offer the hosts that run one (asking on a terminal, all of them with --yes).
 */
export async function discoverForInit(
  opts: DiscoverOptions,
  ports: number[],
  probeTimeoutMs: number,
  out: Output,
): Promise<OfferedHost[]> {
  if (opts.discover === false)
    throw new ValidationError('init needs at least one --host or --node', {
      hint: 'e.g. broke-cluster init --host 192.168.1.20 --ssh-user me',
    });
  // Checked by its flag's parser (flags.ts), like every numeric flag.
  const timeoutMs = opts.discoverTimeout;
  const types = DISCOVERY_TYPES.map((t) => `_${t}._tcp`).join(', ');
  out.info(`no --host or --node: browsing mDNS on the local link for ${types} (${timeoutMs} ms)`);
  const hosts = hostsFromServices(await browseServices(timeoutMs), ports);
  if (!hosts.length)
    throw new NothingDiscoveredError(`no hosts answered mDNS for ${types} within ${timeoutMs} ms`);
  const probed = await probeDiscovered(hosts, probeTimeoutMs);
  const offered = probed.filter((h) => h.servers.length);
  if (!offered.length)
    throw new NothingDiscoveredError(
      `no model server on the ${plural(hosts.length, 'host')} found by mDNS (${hosts.map((h) => `${h.name} ${h.address}`).join(', ')}; ports ${[...new Set(hosts.flatMap((h) => h.ports))].join(',')})`,
    );
  if (opts.yes) return offered;
  if (!process.stdin.isTTY)
    throw new ValidationError(
      `found ${plural(offered.length, 'host')} by mDNS: ${offered.map(describe).join('; ')}`,
      { hint: 'run again with --yes to add them, or name hosts with --host' },
    );
  const chosen = await confirm(offered, out);
  if (!chosen.length) throw new BrokeError('cancelled', 'no discovered host chosen; nothing written');
  return chosen;
}
