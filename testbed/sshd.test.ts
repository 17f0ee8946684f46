import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sshd, startSshd } from './sshd.js';

describe('testbed sshd (real OpenSSH on loopback)', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('reports the host key fingerprint ssh-keygen prints', () => {
    const out = execFileSync('ssh-keygen', ['-lf', `${sshd.dir}/host_ed25519.pub`]).toString();
    expect(out).toContain(sshd.hostKeyFingerprint);
    expect(sshd.knownHostsLine).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 AAAA/);
  });

  it('accepts the client key with the OpenSSH client', () => {
    const out = execFileSync('ssh', [
      '-i',
      sshd.privateKeyPath,
      '-p',
      String(sshd.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      `${sshd.user}@127.0.0.1`,
      'echo hello-from-sshd',
    ]).toString();
    expect(out.trim()).toBe('hello-from-sshd');
  });
});
