// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${NAME} text in broke.yaml
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, locateConfig, notFoundMessage, parseConfig } from '../../src/config/index.js';
import { ValidationError } from '../../src/errors.js';
import { readBrokeConfig } from '../../src/http/bridge-cli.js';

const yaml = (lines: string[]) => `${lines.join('\n')}\n`;

describe('${NAME} in broke.yaml', () => {
  const text = yaml([
    'nodes:',
    '  - id: studio',
    '    url: http://127.0.0.1:8080',
    '    apiKey: ${STUDIO_KEY}',
    '    labels: ["${RACK:-rack-1}", "cost-$${cents}", "${A}${B}"]',
    'gateway:',
    '  apiKeys: ["${GATEWAY_KEY:-local-dev-key}"]',
  ]);

  it('replaces references in string values; a default applies when unset or empty; $${ is literal', () => {
    const config = parseConfig(text, 'broke.yaml', {
      env: { STUDIO_KEY: 'sk-studio', RACK: '', A: 'x', B: 'y' },
    });
    expect(config.nodes[0]?.apiKey).toBe('sk-studio');
    expect(config.nodes[0]?.labels).toEqual(['rack-1', 'cost-${cents}', 'xy']);
    expect(config.gateway.apiKeys).toEqual(['local-dev-key']);
    const set = parseConfig(text, 'broke.yaml', {
      env: { STUDIO_KEY: 'k', A: '', B: '', GATEWAY_KEY: 'from-env-key' },
    });
    expect(set.gateway.apiKeys).toEqual(['from-env-key']);
  });

  it('an unset variable is an error naming it and the config path', () => {
    const run = () => parseConfig(text, 'lab/broke.yaml', { env: { A: '', B: '' } });
    expect(run).toThrow(ValidationError);
    expect(run).toThrow('lab/broke.yaml: nodes[0].apiKey uses ${STUDIO_KEY}, which is not set');
    try {
      run();
    } catch (err) {
      expect((err as ValidationError).hint).toBe(
        'set STUDIO_KEY in the environment, or write ${STUDIO_KEY:-default}',
      );
      expect((err as ValidationError).field).toBe('nodes[0].apiKey');
    }
  });

  it('a malformed reference is an error, not a silent literal', () => {
    const broken = (value: string) =>
      parseConfig(
        yaml(['nodes:', '  - id: a', '    url: http://127.0.0.1:1', `    apiKey: "${value}"`]),
        'b.yaml',
        {
          env: {},
        },
      );
    expect(() => broken('${NOT CLOSED')).toThrow('b.yaml: nodes[0].apiKey: "${" without a closing "}"');
    expect(() => broken('${1BAD}')).toThrow('b.yaml: nodes[0].apiKey: "${1BAD}" is not a variable reference');
  });
});

describe('relative paths resolve against the config file folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'broke-paths-'));
  const file = join(dir, 'lab', 'broke.yaml');
  mkdirSync(join(dir, 'lab'));
  writeFileSync(
    file,
    yaml([
      'nodes:',
      '  - id: studio',
      '    url: http://127.0.0.1:8080',
      '    ssh: { host: 127.0.0.1, user: me, privateKeyPath: keys/id_ed25519, knownHostsPath: ~/.ssh/known_hosts }',
      '  - id: mini',
      '    url: http://127.0.0.1:8081',
      '    ssh: { host: 127.0.0.2, user: me, privateKeyPath: /etc/broke/id, knownHostsPath: ./known_hosts }',
      '    models: [{ id: tiny, path: models/tiny }]',
      'store: { kind: sqlite, path: state/stats.db }',
      'baselines: [baselines/local.json, /srv/shared.json]',
    ]),
  );

  it('loadConfig and readBrokeConfig (the bridges) resolve store, SSH key, known_hosts and baselines', async () => {
    for (const config of [loadConfig(file), await readBrokeConfig(file)]) {
      expect(config.store).toEqual({ kind: 'sqlite', path: join(dir, 'lab/state/stats.db') });
      expect(config.nodes[0]?.ssh?.privateKeyPath).toBe(join(dir, 'lab/keys/id_ed25519'));
      // ~ is expanded where the file is opened; absolute paths stay.
      expect(config.nodes[0]?.ssh?.knownHostsPath).toBe('~/.ssh/known_hosts');
      expect(config.nodes[1]?.ssh?.privateKeyPath).toBe('/etc/broke/id');
      expect(config.nodes[1]?.ssh?.knownHostsPath).toBe(join(dir, 'lab/known_hosts'));
      // A model path is on the node's disk, not here.
      expect(config.nodes[1]?.models[0]?.path).toBe('models/tiny');
      expect(config.baselines).toEqual([join(dir, 'lab/baselines/local.json'), '/srv/shared.json']);
    }
  });

  it("keeps SQLite's :memory:", () => {
    const memory = join(dir, 'memory.yaml');
    writeFileSync(
      memory,
      yaml(['nodes: [{ id: a, url: "http://127.0.0.1:1" }]', 'store: { kind: sqlite, path: ":memory:" }']),
    );
    expect(loadConfig(memory).store).toEqual({ kind: 'sqlite', path: ':memory:' });
  });
});

describe('config discovery: --config, BROKE_CONFIG, ./broke.yaml, the user config folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'broke-locate-'));
  const cwd = join(root, 'work');
  const xdg = join(root, 'xdg');
  const home = join(root, 'home');
  for (const d of [cwd, join(xdg, 'broke'), join(home, '.config', 'broke')])
    mkdirSync(d, { recursive: true });

  it('takes the first that applies, and says where it looked when none exists', () => {
    const env = { XDG_CONFIG_HOME: xdg };
    const none = locateConfig({ env, cwd, home });
    expect(none).toMatchObject({ path: 'broke.yaml', exists: false, from: 'cwd' });
    expect(notFoundMessage(none)).toBe(
      `no config file found: looked at ./broke.yaml and ${join(xdg, 'broke/broke.yaml')} (no --config or BROKE_CONFIG given)`,
    );
    // ~/.config when XDG_CONFIG_HOME is not set.
    writeFileSync(join(home, '.config/broke/broke.yaml'), '');
    expect(locateConfig({ env: {}, cwd, home })).toMatchObject({
      path: join(home, '.config/broke/broke.yaml'),
      from: 'user',
    });
    writeFileSync(join(xdg, 'broke/broke.yaml'), '');
    expect(locateConfig({ env, cwd, home })).toMatchObject({
      path: join(xdg, 'broke/broke.yaml'),
      from: 'user',
    });
    writeFileSync(join(cwd, 'broke.yaml'), '');
    expect(locateConfig({ env, cwd, home })).toMatchObject({ path: 'broke.yaml', exists: true, from: 'cwd' });
    expect(locateConfig({ env: { ...env, BROKE_CONFIG: 'env.yaml' }, cwd, home })).toMatchObject({
      path: 'env.yaml',
      exists: false,
      from: 'env',
    });
    expect(
      locateConfig({ explicit: 'flag.yaml', env: { ...env, BROKE_CONFIG: 'env.yaml' }, cwd, home }),
    ).toMatchObject({ path: 'flag.yaml', from: 'flag' });
    expect(notFoundMessage(locateConfig({ env: { BROKE_CONFIG: 'env.yaml' }, cwd, home }))).toBe(
      'Cannot read config file env.yaml (named by BROKE_CONFIG)',
    );
  });
});
