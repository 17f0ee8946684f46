import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostKeyError } from '../../src/ssh/errors.js';
import { fingerprintOf, keyTypeOf, verifyHostKey } from '../../src/ssh/host-key.js';

function fakeKey(type = 'ssh-ed25519'): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, randomBytes(36)]);
}

const dir = mkdtempSync(join(tmpdir(), 'broke-kh-'));

describe('host key verification', () => {
  it('computes OpenSSH fingerprints and key types', () => {
    const key = fakeKey();
    expect(fingerprintOf(key)).toBe(
      `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`,
    );
    expect(keyTypeOf(key)).toBe('ssh-ed25519');
  });

  it('accepts a pinned fingerprint and refuses another', () => {
    const key = fakeKey();
    expect(() =>
      verifyHostKey(key, { host: 'h', port: 22, hostKeyFingerprint: fingerprintOf(key) }),
    ).not.toThrow();
    const err = (() => {
      try {
        verifyHostKey(fakeKey(), { host: 'h', port: 22, hostKeyFingerprint: fingerprintOf(key) });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).code).toBe('host_key_mismatch');
  });

  it('refuses unknown keys, records them only with trustOnFirstUse', () => {
    const kh = join(dir, 'tofu');
    const key = fakeKey();
    expect(() => verifyHostKey(key, { host: '127.0.0.1', port: 2222, knownHostsPath: kh })).toThrow(
      /unknown/,
    );
    verifyHostKey(key, { host: '127.0.0.1', port: 2222, knownHostsPath: kh, trustOnFirstUse: true });
    expect(readFileSync(kh, 'utf8')).toContain(`[127.0.0.1]:2222 ssh-ed25519 ${key.toString('base64')}`);
    expect(() => verifyHostKey(key, { host: '127.0.0.1', port: 2222, knownHostsPath: kh })).not.toThrow();
    // A changed key is refused even with trustOnFirstUse.
    expect(() =>
      verifyHostKey(fakeKey(), { host: '127.0.0.1', port: 2222, knownHostsPath: kh, trustOnFirstUse: true }),
    ).toThrow(/changed/);
  });

  it('matches hashed known_hosts entries and plain port-22 names', () => {
    const kh = join(dir, 'hashed');
    const key = fakeKey();
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('example.lan').digest('base64');
    writeFileSync(
      kh,
      `# comment\n|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${key.toString('base64')}\n`,
    );
    expect(() => verifyHostKey(key, { host: 'example.lan', port: 22, knownHostsPath: kh })).not.toThrow();
    expect(() => verifyHostKey(key, { host: 'other.lan', port: 22, knownHostsPath: kh })).toThrow(
      HostKeyError,
    );
  });
});
