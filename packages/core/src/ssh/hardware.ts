import type { SshConnection } from './connection.js';

export interface HardwareInfo {
  os: 'darwin' | 'linux' | 'unknown';
  hostname?: string;
  arch?: string;
  cpu?: string;
  cores?: number;
  memoryGb?: number;
  freeMemoryGb?: number;
  pressure?: 'normal' | 'warn' | 'critical';
}

const GIB = 1024 ** 3;
const round = (n: number) => Math.round(n * 100) / 100;

/** One round trip: each section is introduced by a `@@name` line so parsing needs no guessing. */
const PROBE = [
  'echo @@uname; uname -s; uname -m; hostname',
  'if [ "$(uname -s)" = Darwin ]; then',
  '  echo @@memsize; sysctl -n hw.memsize',
  '  echo @@cpu; sysctl -n machdep.cpu.brand_string',
  '  echo @@ncpu; sysctl -n hw.ncpu',
  '  echo @@vmstat; vm_stat',
  '  echo @@pressure; memory_pressure -Q 2>/dev/null || true',
  'else',
  '  echo @@meminfo; cat /proc/meminfo',
  '  echo @@lscpu; lscpu 2>/dev/null || true',
  '  echo @@ncpu; nproc',
  'fi',
].join('\n');

export async function probeHardware(conn: SshConnection, timeoutMs = 15_000): Promise<HardwareInfo> {
  const r = await conn.run(['sh', '-c', PROBE], { timeoutMs });
  return parseHardware(r.stdout);
}

function sections(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^@@(\w+)$/.exec(line.trim());
    if (m?.[1]) {
      cur = [];
      map.set(m[1], cur);
    } else cur?.push(line);
  }
  return map;
}

/** Parse the probe output of either OS (exported for fixture tests). */
export function parseHardware(text: string): HardwareInfo {
  const s = sections(text);
  const [osName, arch, hostname] = (s.get('uname') ?? []).map((l) => l.trim());
  const info: HardwareInfo = {
    os: osName === 'Darwin' ? 'darwin' : osName === 'Linux' ? 'linux' : 'unknown',
  };
  if (arch) info.arch = arch;
  if (hostname) info.hostname = hostname;
  const ncpu = Number.parseInt(s.get('ncpu')?.[0] ?? '', 10);
  if (Number.isFinite(ncpu)) info.cores = ncpu;
  if (info.os === 'darwin') {
    const mem = Number(s.get('memsize')?.[0]?.trim());
    if (mem > 0) info.memoryGb = round(mem / GIB);
    const cpu = s.get('cpu')?.[0]?.trim();
    if (cpu) info.cpu = cpu;
    const vm = (s.get('vmstat') ?? []).join('\n');
    const pageSize = Number(/page size of (\d+) bytes/.exec(vm)?.[1] ?? 16384);
    const pages = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(vm)?.[1] ?? 0);
    const free =
      pages('Pages free') + pages('Pages inactive') + pages('Pages speculative') + pages('Pages purgeable');
    if (free > 0) info.freeMemoryGb = round((free * pageSize) / GIB);
    const pct = /free percentage:\s*(\d+)%/.exec((s.get('pressure') ?? []).join('\n'))?.[1];
    if (pct !== undefined) info.pressure = pressureFromFreePercent(Number(pct));
  } else if (info.os === 'linux') {
    const meminfo = (s.get('meminfo') ?? []).join('\n');
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? Number.NaN);
    const total = kb('MemTotal');
    const avail = kb('MemAvailable');
    if (total > 0) info.memoryGb = round((total * 1024) / GIB);
    if (avail >= 0) info.freeMemoryGb = round((avail * 1024) / GIB);
    if (total > 0 && avail >= 0) info.pressure = pressureFromFreePercent((avail / total) * 100);
    const model = /^Model name:\s*(.+)$/m.exec((s.get('lscpu') ?? []).join('\n'))?.[1]?.trim();
    if (model) info.cpu = model;
  }
  return info;
}

/** Same thresholds as macOS's memory_pressure levels, roughly. */
function pressureFromFreePercent(pct: number): HardwareInfo['pressure'] {
  return pct < 10 ? 'critical' : pct < 25 ? 'warn' : 'normal';
}
