import type { Command } from 'commander';
import { publicModelName } from '../../cluster/baselines.js';
import type { BrokeConfigInput, DriverKind, NodeConfig } from '../../config/schema.js';
import { BrokeError, NodeError, ValidationError } from '../../errors.js';
import { addFacts, factsFromServer, factsOnDisk, fillTiers, modelFacts } from '../../model-facts/catalog.js';
import { type ServerModelFacts, serverModelFacts } from '../../model-facts/server-reported.js';
import { SshConnection, type SshTarget } from '../../ssh/connection.js';
import { type HardwareInfo, probeHardware } from '../../ssh/hardware.js';
import { listModelsOnDisk, type ModelOnDisk } from '../../ssh/models-on-disk.js';
import { writeConfigFile } from '../config-file.js';
import { pathsRelativeToConfig } from '../config-relative.js';
import { collect, globals } from '../context.js';
import { DEFAULT_PORTS, detectServer, type FoundServer } from '../discovery.js';
import { errorLine } from '../exit-codes.js';
import { milliseconds, port, portList, wholeNumber } from '../flags.js';
import { type DiscoverOptions, discoverForInit, type OfferedHost } from '../init-discovery.js';
import { table } from '../output.js';
import { PartialFailureError, type TargetFailure } from '../partial-failure.js';

interface InitOptions extends DiscoverOptions {
  host: string[];
  node: string[];
  ports?: number[];
  sshUser?: string;
  sshPort?: number;
  sshKey?: string;
  sshFingerprint: string[];
  knownHosts?: string;
  trustOnFirstUse?: boolean;
  modelDir: string[];
  out?: string;
  force?: boolean;
  timeout: number;
  allowPartial?: boolean;
}

export interface HostReport {
  host: string;
  /** mDNS name of a discovered host: the node id when SSH gives no hostname. */
  name?: string;
  ssh?: { ok: boolean; fingerprint?: string; error?: string };
  hardware?: HardwareInfo;
  servers: FoundServer[];
  /** What each server reports about its models (size, context), by server URL then served name. */
  reported?: Record<string, Record<string, ServerModelFacts>>;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('build broke.yaml from the hosts you name: check SSH, probe hardware, find model servers')
    .option('--host <host>', 'a host to look for model servers on (repeatable)', collect, [])
    .option('--node <url>', 'a model server URL to add as is (repeatable)', collect, [])
    .option('--ports <list>', `ports to probe on each --host (default ${DEFAULT_PORTS.join(',')})`, portList)
    .option('--ssh-user <user>', 'SSH user; enables SSH checks and the hardware probe')
    .option('--ssh-port <port>', 'SSH port', port, 22)
    .option('--ssh-key <path>', 'SSH private key')
    .option(
      '--ssh-fingerprint <fp>',
      'pinned host key SHA256:..., or HOST=SHA256:... per host (repeatable)',
      collect,
      [],
    )
    .option('--known-hosts <path>', 'known_hosts file to verify host keys against')
    .option('--trust-on-first-use', 'accept and record unknown host keys')
    .option('--model-dir <dir>', 'folder on the nodes holding MLX models (repeatable)', collect, [])
    .option('-o, --out <path>', 'where to write the config (default: --config path)')
    .option('--force', 'overwrite an existing file')
    .option('--timeout <ms>', 'per-probe timeout', milliseconds, 1500)
    .option(
      '--allow-partial',
      'write the config even when a host fails (SSH, no server, no models); the failures become warnings',
    )
    .option(
      '--discover-timeout <ms>',
      'with no --host/--node: how long to browse mDNS',
      wholeNumber('milliseconds', 100, 600_000),
      3000,
    )
    .option('--no-discover', 'with no --host/--node: fail instead of browsing mDNS')
    .option('-y, --yes', 'add every discovered host without asking')
    .action(async (opts: InitOptions, cmd: Command) => {
      const g = globals(cmd);
      const out = opts.out ?? g.configTarget;
      const ports = opts.ports ?? DEFAULT_PORTS;
      const timeoutMs = opts.timeout;
      // No hosts named: find them on the local link (mDNS), probed and confirmed before anything is written.
      const discovered: OfferedHost[] =
        !opts.host.length && !opts.node.length ? await discoverForInit(opts, ports, timeoutMs, g.out) : [];
      for (const url of opts.node) {
        if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
          throw new ValidationError(`--node ${url} is not a URL`, {
            hint: 'e.g. --node http://10.0.0.5:8080',
          });
      }
      const reports: HostReport[] = [];
      const bar = g.out.progress(opts.host.length + opts.node.length + discovered.length, 'probing hosts');
      for (const d of discovered) {
        reports.push({ ...(await probeHost(d.address, ports, opts, timeoutMs, d.servers)), name: d.name });
        bar.tick(d.name);
      }
      for (const host of opts.host) {
        reports.push(await probeHost(host, ports, opts, timeoutMs));
        bar.tick(host);
      }
      // Every host's problems, collected while probing: each one fails the command unless
      // --allow-partial turns it into a warning.
      const failures: TargetFailure[] = reports.flatMap((r) => hostFailures(r, ports));
      for (const url of opts.node) {
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          bar.stop();
          throw new ValidationError(`--node ${url} is not a URL`, {
            hint: 'e.g. --node http://10.0.0.5:8080',
          });
        }
        const found = await detectServer(url, timeoutMs);
        if (!found)
          failures.push({
            where: url,
            error: new NodeError(parsed.hostname, `no model server answers at ${url}`, {
              code: 'node_unreachable',
              hint: 'is it running? check the address and port',
            }),
          });
        else if (!found.models.length) failures.push({ where: url, error: noModels(url) });
        reports.push({
          host: parsed.hostname,
          servers: [found ?? { url: url.replace(/\/+$/, ''), kind: 'openai', models: [] }],
          ...(found
            ? {
                reported: {
                  [found.url]: Object.fromEntries(
                    await serverModelFacts(found.url, found.kind, { timeoutMs }),
                  ),
                },
              }
            : {}),
        });
        bar.tick(url);
      }
      bar.stop();
      const targets = opts.host.length + opts.node.length + discovered.length;
      if (failures.length && !opts.allowPartial) throw new PartialFailureError(failures, targets, 'host');
      for (const f of failures) g.out.warn(`${f.where}: ${errorLine(f.error)}`);
      const raw = buildConfig(reports, opts);
      if (!raw.nodes?.length)
        throw new NodeError(
          reports[0]?.host ?? '',
          `no model servers found on ${reports.map((r) => r.host).join(', ')} (ports ${ports.join(',')})`,
          { code: 'node_unreachable', hint: 'start a model server there, or name its port with --ports' },
        );
      writeConfigFile(out, pathsRelativeToConfig(raw, out), { force: Boolean(opts.force) });
      const rows = (raw.nodes ?? []).map((n) => [
        n.id,
        n.kind ?? 'mlx',
        n.url,
        (n.models ?? []).map((m) => m.id).join(', '),
        n.memoryGb ? `${n.memoryGb} GiB` : '',
      ]);
      g.out.result(
        { ok: true, path: out, nodes: raw.nodes, models: raw.models, hosts: reports },
        `wrote ${out}\n${table(['node', 'kind', 'url', 'models', 'memory'], rows)}`,
      );
    });
}

/**
 * SSH errors per probed host (one command per process), kept as thrown so the exit code matches
 * the failure: 3 unreachable or refused, 4 host key, 2 a missing or unusable key file.
 */
const sshErrors = new Map<string, unknown>();

function noModels(where: string): BrokeError {
  return new BrokeError('no_models', `the model server at ${where} serves no models`, {
    hint: 'load a model on it first',
  });
}

/** What went wrong on one host: SSH, no model server on any probed port, or a server with no models. */
function hostFailures(r: HostReport, ports: readonly number[]): TargetFailure[] {
  const out: TargetFailure[] = [];
  const ssh = sshErrors.get(r.host);
  if (ssh !== undefined) out.push({ where: r.host, error: ssh });
  if (!r.servers.length)
    out.push({
      where: r.host,
      error: new NodeError(r.host, `no model server answers on ports ${ports.join(',')}`, {
        code: 'node_unreachable',
        hint: 'start one, or name its port with --ports',
      }),
    });
  for (const s of r.servers) if (!servedModels(s).length) out.push({ where: r.host, error: noModels(s.url) });
  return out;
}

export function sshTargetFor(
  host: string,
  opts: Omit<InitOptions, 'host' | 'node' | 'timeout'>,
): SshTarget | undefined {
  if (!opts.sshUser) return undefined;
  const perHost = opts.sshFingerprint.find((f) => f.startsWith(`${host}=`))?.slice(host.length + 1);
  const global = opts.sshFingerprint.find((f) => f.startsWith('SHA256:'));
  return {
    host,
    port: opts.sshPort ?? 22,
    user: opts.sshUser,
    ...(opts.sshKey ? { privateKeyPath: opts.sshKey } : {}),
    ...((perHost ?? global) ? { hostKeyFingerprint: perHost ?? global } : {}),
    ...(opts.knownHosts ? { knownHostsPath: opts.knownHosts } : {}),
    ...(opts.trustOnFirstUse ? { trustOnFirstUse: true } : {}),
  };
}

async function probeHost(
  host: string,
  ports: number[],
  opts: InitOptions,
  timeoutMs: number,
  known?: FoundServer[],
): Promise<HostReport> {
  const report: HostReport = { host, servers: [] };
  const urlHost = host.includes(':') ? `[${host}]` : host;
  // Discovered hosts were probed already (on their advertised ports too).
  const found =
    known ?? (await Promise.all(ports.map((p) => detectServer(`http://${urlHost}:${p}`, timeoutMs))));
  report.servers = found.filter((f): f is FoundServer => f !== undefined);
  report.reported = Object.fromEntries(
    await Promise.all(
      report.servers.map(async (s) => [
        s.url,
        Object.fromEntries(await serverModelFacts(s.url, s.kind, { timeoutMs })),
      ]),
    ),
  );
  const target = sshTargetFor(host, opts);
  const disk: ModelOnDisk[] = [];
  if (target) {
    // Served MLX model folders are scanned too, for their quantisation and context length.
    const servedDirs = report.servers.flatMap((s) =>
      servedModels(s).flatMap((m) => (m.path ? [m.path] : [])),
    );
    try {
      const conn = await SshConnection.connect(target);
      try {
        report.ssh = { ok: true, fingerprint: conn.hostKeyFingerprint };
        report.hardware = await probeHardware(conn);
        disk.push(...(await listModelsOnDisk(conn, [...opts.modelDir, ...servedDirs]).catch(() => [])));
      } finally {
        conn.close();
      }
    } catch (err) {
      sshErrors.set(host, err);
      report.ssh = {
        ok: false,
        error: (err as Error & { toLine?: () => string }).toLine?.() ?? (err as Error).message,
      };
    }
  }
  (report as HostReport & { disk?: ModelOnDisk[] }).disk = disk;
  return report;
}

/** Models a server actually serves: for mlx_lm.server the absolute path of its --model. */
function servedModels(s: FoundServer): Array<{ id: string; servedName?: string; path?: string }> {
  if (s.kind === 'mlx') {
    return s.models
      .filter((m) => m.startsWith('/'))
      .map((p) => ({ id: publicModelName(p), servedName: p, path: p }));
  }
  return s.models.map((m) => ({ id: m }));
}

function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'node';
}

export function buildConfig(
  reports: HostReport[],
  opts: Omit<InitOptions, 'host' | 'node' | 'timeout'>,
): BrokeConfigInput {
  const nodes: NonNullable<BrokeConfigInput['nodes']> = [];
  const catalog: NonNullable<BrokeConfigInput['models']> = [];
  const ids = new Set<string>();
  for (const r of reports) {
    const disk = (r as HostReport & { disk?: ModelOnDisk[] }).disk ?? [];
    const target = r.ssh?.ok ? sshTargetFor(r.host, opts) : undefined;
    for (const s of r.servers) {
      const port = new URL(s.url).port;
      let id = safeId(r.hardware?.hostname ?? r.name ?? r.host);
      if (ids.has(id)) id = safeId(`${r.host}-${port}`);
      while (ids.has(id)) id = `${id}-x`;
      ids.add(id);
      const models = servedModels(s);
      for (const m of models) {
        const reported = factsFromServer(r.reported?.[s.url]?.[m.servedName ?? m.id]);
        addFacts(catalog, m.id, modelFacts(reported, factsOnDisk(disk.find((x) => x.path === m.path))));
      }
      const node: Partial<NodeConfig> & { id: string; url: string; kind: DriverKind } = {
        id,
        url: s.url,
        kind: s.kind,
        models,
      };
      if (r.hardware?.memoryGb) node.memoryGb = r.hardware.memoryGb;
      const labels = [r.hardware?.os, r.hardware?.arch].filter((x): x is string => Boolean(x));
      if (labels.length) node.labels = labels;
      if (target) {
        // Pin the key we just verified, so later commands refuse a changed one.
        node.ssh = {
          ...target,
          port: target.port ?? 22,
          hostKeyFingerprint: r.ssh?.fingerprint ?? target.hostKeyFingerprint,
          trustOnFirstUse: false,
          connectTimeoutMs: 10_000,
        } as NodeConfig['ssh'];
      }
      nodes.push(node as NodeConfig);
    }
  }
  // Sizes become tiers here, so routing by complexity works without editing the file.
  return fillTiers({ cluster: { name: 'broke' }, nodes, models: catalog });
}
