import { isIPv4 } from 'node:net';
import Bonjour from 'bonjour-service';
import { z } from 'zod';
import { type DriverKind, DriverKindSchema } from '../config/schema.js';
import { BrokeError } from '../errors.js';

/**
 * DNS-SD service types `init` browses for: `_broke._tcp` (a node advertising its model server)
 * and `_ssh._tcp` (macOS Remote Login advertises it, so every Mac with SSH on shows up).
 */
export const DISCOVERY_TYPES = ['broke', 'ssh'] as const;
export type DiscoveryType = (typeof DISCOVERY_TYPES)[number];

const portList = z
  .string()
  .transform((s) => s.split(',').map((p) => Number(p.trim())))
  .pipe(z.array(z.number().int().min(1).max(65535)));

/**
 * TXT keys of a `_broke._tcp` record (docs/cli.md). The SRV port is the model server's port.
 * Each key is read on its own: a bad value drops that key, never the host.
 */
export const BrokeTxtSchema = z.object({
  /** Backend, used when probing can only tell "some OpenAI-compatible server". */
  kind: DriverKindSchema.optional(),
  /** More model-server ports on the same host, comma-separated. */
  ports: portList.optional(),
});
export type BrokeTxt = z.infer<typeof BrokeTxtSchema>;

/** One service instance as the browser assembled it from PTR, SRV, TXT and A/AAAA records. */
export interface FoundService {
  type: DiscoveryType;
  /** Instance name, e.g. `Mac Studio`. */
  name: string;
  /** SRV target, e.g. `mac-studio.local`. */
  host: string;
  port: number;
  addresses: string[];
  /** Source address of the answer, used when the responder sent no A record. */
  referer?: string;
  txt: Record<string, string>;
}

/** A host to probe: one per address, whatever it advertised. */
export interface DiscoveredHost {
  address: string;
  /** The host's mDNS name without `.local`, used as the node id. */
  name: string;
  /** Ports to probe: advertised `_broke._tcp` ports first, then the defaults for `_ssh._tcp` hosts. */
  ports: number[];
  via: DiscoveryType[];
  kindHint?: DriverKind;
}

export function parseBrokeTxt(txt: Record<string, string>): BrokeTxt {
  const out: BrokeTxt = {};
  const kind = BrokeTxtSchema.shape.kind.safeParse(txt.kind);
  if (kind.success && kind.data) out.kind = kind.data;
  const ports = BrokeTxtSchema.shape.ports.safeParse(txt.ports);
  if (ports.success && ports.data) out.ports = ports.data;
  return out;
}

/** IPv4 we can put in a URL: routable ones before link-local 169.254/16; else the answer's source. */
function pickAddress(s: FoundService): string | undefined {
  const v4 = s.addresses.filter((a) => isIPv4(a));
  return (
    v4.find((a) => !a.startsWith('169.254.')) ??
    v4[0] ??
    (s.referer && isIPv4(s.referer) ? s.referer : undefined)
  );
}

function shortName(s: FoundService): string {
  const host = s.host.replace(/\.$/, '').replace(/\.local$/i, '');
  return host || s.name;
}

/** Merges what the browser found into one host per address, with the ports worth probing there. */
export function hostsFromServices(services: FoundService[], defaultPorts: number[]): DiscoveredHost[] {
  const hosts = new Map<string, DiscoveredHost & { advertised: number[]; ssh: boolean }>();
  for (const s of services) {
    const address = pickAddress(s);
    if (!address) continue;
    let h = hosts.get(address);
    if (!h) {
      h = { address, name: shortName(s), ports: [], via: [], advertised: [], ssh: false };
      hosts.set(address, h);
    }
    if (!h.via.includes(s.type)) h.via.push(s.type);
    if (s.type === 'ssh') h.ssh = true;
    else {
      const txt = parseBrokeTxt(s.txt);
      if (Number.isInteger(s.port) && s.port > 0) h.advertised.push(s.port);
      h.advertised.push(...(txt.ports ?? []));
      if (txt.kind) h.kindHint = txt.kind;
      // A node's own advertisement names it better than the SSH service of the same machine.
      h.name = shortName(s);
    }
  }
  return [...hosts.values()].map(({ advertised, ssh, ...h }) => ({
    ...h,
    // An `_ssh._tcp`-only host gets the default ports; an advertising node only what it advertised.
    ports: [...new Set([...advertised, ...(ssh ? defaultPorts : [])])],
  }));
}

/** The mDNS socket could not be opened (port 5353 taken without SO_REUSEADDR, no permission). */
export class MdnsError extends BrokeError {
  constructor(message: string, cause: unknown) {
    super('mdns_unavailable', message, {
      hint: 'name the hosts instead: --host ADDRESS or --node URL',
      cause,
    });
  }
}

function toFound(type: DiscoveryType, s: Bonjour.Service): FoundService {
  const txt: Record<string, string> = {};
  for (const [k, v] of Object.entries((s.txt ?? {}) as Record<string, unknown>))
    txt[k.toLowerCase()] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return {
    type,
    name: s.name,
    host: s.host ?? '',
    port: s.port,
    addresses: s.addresses ?? [],
    ...(s.referer?.address ? { referer: s.referer.address } : {}),
    txt,
  };
}

/**
 * Browses the local link (IPv4 multicast 224.0.0.251:5353) for `timeoutMs` and returns every
 * instance of the discovery types that answered. Queries again at 1 s, 2 s, 4 s… as RFC 6762
 * asks, so a responder that missed the first query still answers within the window.
 */
export function browseServices(timeoutMs: number): Promise<FoundService[]> {
  return new Promise((resolve, reject) => {
    let failed: unknown;
    const bonjour = new Bonjour({}, (err: unknown) => {
      failed ??= err;
    });
    const found = new Map<string, FoundService>();
    const browsers = DISCOVERY_TYPES.map((type) =>
      bonjour.find({ type }, (s) => {
        found.set(`${type}:${s.fqdn}`, toFound(type, s));
      }),
    );
    const timers: NodeJS.Timeout[] = [];
    for (let at = 1000; at < timeoutMs; at *= 2)
      timers.push(
        setTimeout(() => {
          for (const b of browsers) b.update();
        }, at),
      );
    timers.push(
      setTimeout(() => {
        for (const t of timers) clearTimeout(t);
        for (const b of browsers) b.stop();
        bonjour.destroy(() => {
          if (failed) reject(new MdnsError(`mDNS browsing failed: ${(failed as Error).message}`, failed));
          else resolve([...found.values()]);
        });
      }, timeoutMs),
    );
  });
}
