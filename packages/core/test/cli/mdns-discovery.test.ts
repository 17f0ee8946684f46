import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModel, ensureVenv, offlineEnv } from '../../../../testbed/index.js';
import { type FoundService, hostsFromServices, parseBrokeTxt } from '../../src/cli/mdns-discovery.js';
import { publicModelName } from '../../src/cluster/baselines.js';
import { loadConfig } from '../../src/config/loader.js';
import { CLI, ensureBuilt } from './helpers.js';

const DEFAULTS = [8080, 8081, 8000, 11434];

function service(over: Partial<FoundService>): FoundService {
  return {
    type: 'broke',
    name: 'node',
    host: 'mac-a.local',
    port: 9090,
    addresses: ['192.168.1.20'],
    txt: {},
    ...over,
  };
}

describe('mDNS records → hosts to probe', () => {
  it('reads the _broke._tcp TXT keys, dropping a bad value but not the host', () => {
    expect(parseBrokeTxt({ kind: 'ollama', ports: '8081, 9000' })).toEqual({
      kind: 'ollama',
      ports: [8081, 9000],
    });
    expect(parseBrokeTxt({ kind: 'gpt', ports: '80,99999' })).toEqual({});
    expect(hostsFromServices([service({ txt: { kind: 'gpt' } })], DEFAULTS)).toHaveLength(1);
  });

  it('an advertising node is probed on what it advertised; an _ssh._tcp host on the default ports', () => {
    const hosts = hostsFromServices(
      [
        service({ txt: { ports: '9091', kind: 'vllm' } }),
        service({ type: 'ssh', host: 'mac-b.local.', port: 22, addresses: ['fe80::1', '192.168.1.21'] }),
      ],
      DEFAULTS,
    );
    expect(hosts).toEqual([
      { address: '192.168.1.20', name: 'mac-a', ports: [9090, 9091], via: ['broke'], kindHint: 'vllm' },
      { address: '192.168.1.21', name: 'mac-b', ports: DEFAULTS, via: ['ssh'] },
    ]);
  });

  it('merges the services of one machine, named by its own advertisement', () => {
    const hosts = hostsFromServices(
      [
        service({ type: 'ssh', host: 'MacBook.local', port: 22 }),
        service({ host: 'studio.local', port: 8080 }),
      ],
      DEFAULTS,
    );
    expect(hosts).toEqual([
      { address: '192.168.1.20', name: 'studio', ports: [8080, 8081, 8000, 11434], via: ['ssh', 'broke'] },
    ]);
  });

  it('prefers a routable IPv4 over link-local, falls back to the answer source, skips what has neither', () => {
    const hosts = hostsFromServices(
      [
        service({ addresses: ['169.254.3.4', '10.0.0.7'] }),
        service({ host: 'b.local', addresses: [], referer: '10.0.0.8' }),
        service({ host: 'c.local', addresses: ['fe80::2'] }),
      ],
      DEFAULTS,
    );
    expect(hosts.map((h) => h.address)).toEqual(['10.0.0.7', '10.0.0.8']);
  });
});

/** Can this process create network namespaces? (root or CAP_NET_ADMIN, and iproute2) */
function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  const probe = `broke-probe-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
    return { ok: true };
  } catch (err) {
    const e = err as Error & { stderr?: Buffer };
    const why = e.stderr?.toString().trim() || e.message;
    return { ok: false, reason: `cannot create network namespaces (needs root or CAP_NET_ADMIN): ${why}` };
  }
}

const netns = netnsSupport();
const inCi = process.env.CI === 'true';
const ADVERTISER = fileURLToPath(new URL('./fixtures/mdns-advertise.mjs', import.meta.url));

// REAL PARTS: two private network namespaces joined by a veth pair, a real mlx_lm.server and an mDNS
// advertiser in one, the built CLI in the other. Every multicast packet stays on that veth link;
// nothing here ever browses from the machine's own namespace. CI (root) must be able to run it.
describe.skipIf(!netns.ok && !inCi)(
  `init with no hosts finds an advertised node by mDNS${netns.ok ? '' : ` (${inCi ? 'FAILS in CI' : 'skipped'}: ${netns.reason})`}`,
  () => {
    const id = randomBytes(3).toString('hex');
    const nsNode = `broke-mdns-node-${id}`;
    const nsInit = `broke-mdns-init-${id}`;
    const subnet = `10.231.${randomBytes(1)[0]}`;
    const nodeAddr = `${subnet}.1`;
    const port = 9090;
    const children: ChildProcess[] = [];
    const made: string[] = [];
    let advertiser: ChildProcess | undefined;
    let modelPath = '';
    let mlxLog = '';
    let dir = '';

    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

    /** Runs the built CLI inside the init namespace. */
    const cliInit = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          'ip',
          ['netns', 'exec', nsInit, process.execPath, CLI, ...args],
          { env: { ...process.env, FORCE_COLOR: '0' }, timeout: 120_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      });

    beforeAll(async () => {
      if (!netns.ok) throw new Error(`CI must be able to create network namespaces: ${netns.reason}`);
      ensureBuilt();
      dir = mkdtempSync(join(tmpdir(), 'broke-mdns-'));
      for (const ns of [nsNode, nsInit]) {
        ip('netns', 'add', ns);
        made.push(ns);
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
      ip('link', 'add', `bkn${id}`, 'type', 'veth', 'peer', 'name', `bki${id}`);
      for (const [ns, dev, addr] of [
        [nsNode, `bkn${id}`, nodeAddr],
        [nsInit, `bki${id}`, `${subnet}.2`],
      ] as const) {
        ip('link', 'set', dev, 'netns', ns);
        ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
        ip('-n', ns, 'link', 'set', dev, 'up', 'multicast', 'on');
        // mDNS goes to 224.0.0.251; a namespace with no default route needs this one.
        ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
      }
      const venv = await ensureVenv();
      modelPath = await ensureModel('tiny');
      const mlx = spawn(
        'ip',
        [
          'netns',
          'exec',
          nsNode,
          join(venv, 'bin/mlx_lm.server'),
          '--model',
          modelPath,
          '--host',
          nodeAddr,
          '--port',
          String(port),
        ],
        { env: offlineEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(mlx);
      const log = (d: Buffer) => {
        mlxLog = (mlxLog + d.toString()).slice(-10_000);
      };
      mlx.stdout?.on('data', log);
      mlx.stderr?.on('data', log);
      // The advertiser waits for the server's /health, as a node's start script would, then
      // publishes `_broke._tcp` (the server's port, TXT kind) and `_ssh._tcp` for the same host.
      const spec = {
        host: 'mac-mdns-test.local',
        waitFor: `http://${nodeAddr}:${port}/health`,
        services: [
          { name: 'mac-mdns-test', type: 'broke', port, txt: { kind: 'mlx' } },
          { name: 'mac-mdns-test', type: 'ssh', port: 22 },
        ],
      };
      const adv = spawn('ip', ['netns', 'exec', nsNode, process.execPath, ADVERTISER, JSON.stringify(spec)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      advertiser = adv;
      children.push(adv);
      let advOut = '';
      await new Promise<void>((resolve, reject) => {
        const fail = (why: string) =>
          reject(new Error(`${why}\n--- advertiser ---\n${advOut}\n--- mlx_lm.server ---\n${mlxLog}`));
        const timer = setTimeout(() => fail('advertiser not up within 240 s'), 240_000);
        const onData = (d: Buffer) => {
          advOut += d.toString();
          if (advOut.includes('up broke') && advOut.includes('up ssh')) {
            clearTimeout(timer);
            resolve();
          }
        };
        adv.stdout?.on('data', onData);
        adv.stderr?.on('data', onData);
        adv.once('exit', () => fail('advertiser exited'));
        mlx.once('exit', () => fail('mlx_lm.server exited'));
      });
    }, 300_000);

    afterAll(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      for (const ns of made) {
        // Anything still running in our own namespaces was started by this test.
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/);
        for (const pid of pids.filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {}
        }
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
      }
    });

    it('init --yes --json writes the advertised host with its detected server and model', async () => {
      const cfg = join(dir, 'broke.yaml');
      const r = await cliInit(['-c', cfg, '--json', 'init', '--yes', '--discover-timeout', '3000']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { ok: boolean; hosts: Array<{ host: string; name?: string }> };
      expect(out.ok).toBe(true);
      expect(out.hosts).toMatchObject([{ host: nodeAddr, name: 'mac-mdns-test' }]);
      const config = loadConfig(cfg);
      expect(config.nodes).toHaveLength(1);
      expect(config.nodes[0]).toMatchObject({
        id: 'mac-mdns-test',
        url: `http://${nodeAddr}:${port}`,
        kind: 'mlx',
        models: [{ id: publicModelName(modelPath), servedName: modelPath, path: modelPath }],
      });
      expect(config.models.map((m) => m.id)).toEqual([publicModelName(modelPath)]);
    });

    it('without --yes and no terminal: lists what it found, exits 2 and writes nothing', async () => {
      const cfg = join(dir, 'not-confirmed.yaml');
      const r = await cliInit(['-c', cfg, 'init', '--discover-timeout', '2000']);
      expect(r.code).toBe(2);
      const line = r.stderr.trim().split('\n').pop() ?? '';
      expect(line).toMatch(/^error: found 1 host by mDNS: mac-mdns-test /);
      expect(line).toContain(`${nodeAddr} [_broke._tcp, _ssh._tcp]: mlx ${port} (1 model)`);
      expect(line).toContain('run again with --yes');
      expect(existsSync(cfg)).toBe(false);
    });

    it('bad discovery flags exit 2 before anything is sent', async () => {
      const cfg = join(dir, 'flags.yaml');
      const off = await cliInit(['-c', cfg, 'init', '--no-discover']);
      expect(off.code).toBe(2);
      expect(off.stderr).toMatch(/^error: init needs at least one --host or --node/m);
      const bad = await cliInit(['-c', cfg, 'init', '--discover-timeout', 'abc']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(
        /^error: option '--discover-timeout <ms>' argument 'abc' is invalid\. Expected milliseconds \(a whole number from 100 to 600000\)/m,
      );
      expect(existsSync(cfg)).toBe(false);
    });

    it('with nothing advertised: exits 3 (unreachable) with a one-line error and writes nothing', async () => {
      const adv = advertiser as ChildProcess;
      const gone = new Promise((r) => adv.once('exit', r));
      adv.kill('SIGTERM'); // sends mDNS goodbyes, then exits
      await gone;
      const cfg = join(dir, 'empty.yaml');
      const r = await cliInit(['-c', cfg, 'init', '--yes', '--discover-timeout', '1500']);
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split('\n').pop()).toMatch(
        /^error: no hosts answered mDNS for _broke._tcp, _ssh._tcp within 1500 ms \(name them with --host/,
      );
      expect(existsSync(cfg)).toBe(false);
    });
  },
);
