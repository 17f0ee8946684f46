import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { BrokeConfigInput } from '../config/schema.js';

/**
 * Paths typed on the command line (`init --ssh-key ./id --known-hosts ./kh`) are relative to the
 * current folder; in broke.yaml they are relative to the config's folder. Written as given, a
 * config created with `-o elsewhere/broke.yaml` would point at the wrong files.
 */
export function pathsRelativeToConfig(
  raw: BrokeConfigInput,
  configPath: string,
  cwd = process.cwd(),
): BrokeConfigInput {
  const dir = dirname(resolve(cwd, configPath));
  const fix = (p: string) => (p.startsWith('~') || isAbsolute(p) ? p : relative(dir, resolve(cwd, p)) || '.');
  if (!raw.nodes) return raw;
  return {
    ...raw,
    nodes: raw.nodes.map((node) => {
      if (!node.ssh) return node;
      const ssh = { ...node.ssh };
      if (ssh.privateKeyPath !== undefined) ssh.privateKeyPath = fix(ssh.privateKeyPath);
      if (ssh.knownHostsPath !== undefined) ssh.knownHostsPath = fix(ssh.knownHostsPath);
      return { ...node, ssh };
    }),
  };
}
