import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BrokeConfigSchema, configJsonSchema, loadConfig, parseConfig } from '../../src/config/index.js';
import { closestKey, editDistance } from '../../src/config/unknown-keys.js';
import { ValidationError } from '../../src/errors.js';
import { readBrokeConfig } from '../../src/http/bridge-cli.js';
import { cli, ensureBuilt } from '../cli/helpers.js';

const node = { id: 'studio', url: 'http://127.0.0.1:9', models: [{ id: 'm' }] };

function messageOf(config: unknown): string {
  try {
    parseConfig(stringify(config));
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('strict config: unknown keys are errors that say what was meant', () => {
  it('the three typos of issue 14', () => {
    expect(messageOf({ nodes: [node], gatway: { port: 1 } })).toContain(
      'gatway: unknown key; did you mean "gateway"?',
    );
    expect(messageOf({ nodes: [{ ...node, maxconcurrency: 2 }] })).toContain(
      'nodes[0].maxconcurrency: unknown key; did you mean "maxConcurrency"?',
    );
    expect(
      messageOf({ nodes: [{ ...node, ssh: { host: 'h', user: 'u', trustOnFirstUSE: true } }] }),
    ).toContain('nodes[0].ssh.trustOnFirstUSE: unknown key; did you mean "trustOnFirstUse"?');
  });

  it('a misspelled apiKeys is an error, wherever the config is parsed, so no gateway starts open', async () => {
    const config = { nodes: [node], gateway: { apikeys: ['secret-key-1'] } };
    expect(messageOf(config)).toContain('gateway.apikeys: unknown key; did you mean "apiKeys"?');
    // Libraries and the bridges parse with the schema itself: rejected there too, key named.
    const result = BrokeConfigSchema.safeParse(config);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('unknown key "apikeys"; did you mean "apiKeys"?');
    const path = join(mkdtempSync(join(tmpdir(), 'broke-strict-')), 'broke.yaml');
    writeFileSync(path, stringify(config));
    await expect(readBrokeConfig(path)).rejects.toThrow(/apikeys.*did you mean "apiKeys"/);
    expect(() => loadConfig(path)).toThrow('gateway.apikeys: unknown key; did you mean "apiKeys"?');
  });

  it('every unknown key is its own line with its full path; far-off keys get no guess', () => {
    const message = messageOf({
      nodes: [{ ...node, models: [{ id: 'm', servdName: 'x' }], colour: 'red' }],
      models: [{ id: 'm', Tier: 'small' }],
      routing: {
        roleRules: [{ role: 'coder', perfer: ['large'] }],
        profiles: { fast: { latencyWeigth: 1 } },
      },
      monitor: { intervalms: 500 },
      store: { kind: 'redis', prefx: 'b:' },
      cluster: { nmae: 'x' },
      defaultContext: { rol: 'x' },
    });
    for (const line of [
      'nodes[0].models[0].servdName: unknown key; did you mean "servedName"?',
      'nodes[0].colour: unknown key\n',
      'models[0].Tier: unknown key; did you mean "tier"?',
      'routing.roleRules[0].perfer: unknown key; did you mean "prefer"?',
      'routing.profiles.fast.latencyWeigth: unknown key; did you mean "latencyWeight"?',
      'monitor.intervalms: unknown key; did you mean "intervalMs"?',
      'store.prefx: unknown key; did you mean "prefix"?',
      'cluster.nmae: unknown key; did you mean "name"?',
      'defaultContext.rol: unknown key; did you mean "role"?',
    ])
      expect(`${message}\n`).toContain(line);
    // The store's branch is read from `kind`: a memory store has no `prefix` to suggest.
    expect(messageOf({ nodes: [node], store: { kind: 'memory', prefx: 'b:' } })).toMatch(
      /store\.prefx: unknown key$/,
    );
  });

  it('open by design: profile and objectiveFor names, and prior scores by model id', () => {
    const config = parseConfig(
      stringify({
        nodes: [node],
        routing: { profiles: { 'my-profile': { latencyWeight: 1 } }, objectiveFor: { 'team/role': {} } },
        defaultContext: { priorScores: { 'any-model-id': 0.5 } },
      }),
    );
    expect(config.routing.profiles['my-profile']).toEqual({ latencyWeight: 1 });
    expect(config.defaultContext?.priorScores).toEqual({ 'any-model-id': 0.5 });
  });

  it('the JSON Schema rejects unknown keys too (additionalProperties: false)', () => {
    const schema = configJsonSchema() as {
      additionalProperties?: unknown;
      properties: Record<
        string,
        { additionalProperties?: unknown; items?: { additionalProperties?: unknown } }
      >;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.gateway?.additionalProperties).toBe(false);
    expect(schema.properties.nodes?.items?.additionalProperties).toBe(false);
  });

  it('suggestions: case, up to two edits or a swap, nothing for short or distant keys', () => {
    expect(editDistance('gatway', 'gateway')).toBe(1);
    expect(editDistance('rotuing', 'routing')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestKey('APIKEYS', ['host', 'apiKeys'])).toBe('apiKeys');
    expect(closestKey('rotuing', ['routing', 'nodes'])).toBe('routing');
    expect(closestKey('x', ['id'])).toBeUndefined();
    expect(closestKey('colour', ['url', 'kind', 'labels'])).toBeUndefined();
  });
});

describe('profiles: the schema rejects a name neither built in nor defined', () => {
  it('defaultProfile and role-rule profiles', () => {
    expect(messageOf({ nodes: [node], routing: { defaultProfile: 'fastest' } })).toContain(
      'routing.defaultProfile: unknown profile "fastest"; use one of quality, balanced, latency or define it under routing.profiles',
    );
    expect(messageOf({ nodes: [node], routing: { defaultProfile: 'latncy' } })).toContain(
      'unknown profile "latncy" (did you mean "latency"?)',
    );
    expect(
      messageOf({ nodes: [node], routing: { roleRules: [{ role: 'coder', profile: 'careful' }] } }),
    ).toContain('routing.roleRules[0].profile: unknown profile "careful"');
    const ok = parseConfig(
      stringify({
        nodes: [node],
        routing: {
          defaultProfile: 'careful',
          profiles: { careful: { latencyWeight: 0.01 } },
          roleRules: [{ role: 'coder', profile: 'quality' }],
        },
      }),
    );
    expect(ok.routing.defaultProfile).toBe('careful');
    expect(BrokeConfigSchema.safeParse({ nodes: [node], routing: { defaultProfile: 'nope' } }).success).toBe(
      false,
    );
  });
});

describe('broke-cluster: validate and serve share one validator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'broke-strict-cli-'));
  beforeAll(() => ensureBuilt());

  it('validate --config-only and serve reject an unknown defaultProfile with the same line', async () => {
    const path = join(dir, 'profile.yaml');
    writeFileSync(
      path,
      stringify({ nodes: [node], routing: { defaultProfile: 'fastest' }, store: { kind: 'memory' } }),
    );
    const validate = await cli(['-c', path, 'validate', '--config-only'], { timeoutMs: 60_000 });
    const serve = await cli(['-c', path, 'serve', '--port', '0'], { timeoutMs: 60_000 });
    for (const r of [validate, serve]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: .*routing\.defaultProfile: unknown profile "fastest"/);
    }
    expect(serve.stderr).toBe(validate.stderr);
  });

  it('serve refuses a config whose apiKeys is misspelled, on one line with exit code 2', async () => {
    const path = join(dir, 'apikeys.yaml');
    writeFileSync(
      path,
      stringify({ nodes: [node], gateway: { apikeys: ['secret-key-1'] }, store: { kind: 'memory' } }),
    );
    for (const args of [
      ['validate', '--config-only'],
      ['serve', '--port', '0'],
    ]) {
      const r = await cli(['-c', path, ...args], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('gateway.apikeys: unknown key; did you mean "apiKeys"?');
    }
  });
});
