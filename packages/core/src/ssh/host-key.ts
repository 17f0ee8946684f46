import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { HostKeyError } from './errors.js';

/** `SHA256:<base64, no padding>` of a raw host key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type (`ssh-ed25519`, ...) is the first length-prefixed string of the blob. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1');
}

/** known_hosts names a host as `host` for port 22 and `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

interface KnownHostEntry {
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string[];
  type: string;
  key: Buffer;
}

function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (parts[0] === '@revoked' || parts[0] === '@cert-authority')
      marker = parts.shift() as KnownHostEntry['marker'];
    const [hosts, type, b64] = parts;
    if (!hosts || !type || !b64) continue;
    out.push({ marker, patterns: hosts.split(','), type, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** Plain names match exactly; hashed `|1|salt|hmac` names by HMAC-SHA1. Wildcards are not supported. */
function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('!')) return false;
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern === name;
}

export interface HostKeyPolicy {
  host: string;
  port: number;
  hostKeyFingerprint?: string | undefined;
  knownHostsPath?: string | undefined;
  trustOnFirstUse?: boolean | undefined;
}

export const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';

/**
 * Decide whether to trust `key` for host:port. Pinned fingerprint wins; otherwise known_hosts.
 * Unknown keys are refused unless trustOnFirstUse, which records them. Throws HostKeyError.
 */
export function verifyHostKey(key: Buffer, policy: HostKeyPolicy): void {
  const fp = fingerprintOf(key);
  const target = `${policy.host}:${policy.port}`;
  if (policy.hostKeyFingerprint) {
    const pinned = policy.hostKeyFingerprint.trim().replace(/=+$/, '');
    if (pinned === fp) return;
    throw new HostKeyError(
      target,
      'mismatch',
      fp,
      `host key of ${target} is ${fp}, not the pinned ${pinned}`,
      'the server key changed or someone is in the middle; update ssh.hostKeyFingerprint only if you know why',
    );
  }
  const path = expandHome(policy.knownHostsPath ?? DEFAULT_KNOWN_HOSTS);
  const name = knownHostsName(policy.host, policy.port);
  const entries = existsSync(path)
    ? parseKnownHosts(readFileSync(path, 'utf8')).filter((e) =>
        e.patterns.some((p) => patternMatches(p, name)),
      )
    : [];
  const type = keyTypeOf(key);
  for (const e of entries) {
    if (e.marker === '@revoked' && e.key.equals(key))
      throw new HostKeyError(
        target,
        'revoked',
        fp,
        `host key of ${target} (${fp}) is revoked in ${path}`,
        'do not connect',
      );
  }
  const plain = entries.filter((e) => e.marker === '');
  if (plain.some((e) => e.key.equals(key))) return;
  if (plain.some((e) => e.type === type))
    throw new HostKeyError(
      target,
      'mismatch',
      fp,
      `host key of ${target} changed: got ${fp}, ${path} records a different ${type} key`,
      `if the server was reinstalled, remove the old line with: ssh-keygen -R '${name}' -f ${path}`,
    );
  if (policy.trustOnFirstUse) {
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, `${name} ${type} ${key.toString('base64')}\n`, { mode: 0o600 });
    return;
  }
  throw new HostKeyError(
    target,
    'unknown',
    fp,
    `host key of ${target} is unknown (${fp}); refusing to connect`,
    `verify it on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then pin it with ssh.hostKeyFingerprint: ${fp} or set ssh.trustOnFirstUse: true`,
  );
}
