import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, loadConfig, parseConfig } from '../../src/config/index.js';
import { ValidationError } from '../../src/errors.js';

const valid = `
nodes:
  - id: studio
    url: http://192.168.1.20:8080
    models: [{ id: qwen-7b }]
models:
  - id: qwen-7b
    tier: medium
routing:
  defaultProfile: latency
`;

function errorOf(text: string): ValidationError {
  try {
    parseConfig(text);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseConfig / loadConfig', () => {
  it('parses YAML and applies defaults', () => {
    const config = parseConfig(valid);
    expect(config.nodes[0]?.maxConcurrency).toBe(4);
    expect(config.routing.defaultProfile).toBe('latency');
    expect(config.routing.explorationRate).toBe(0.1);
  });

  it('reports zod problems as path: message', () => {
    const error = errorOf('nodes:\n  - id: x\n    url: not-a-url\n');
    expect(error.message).toContain('nodes[0].url: Invalid URL');
    expect(error.field).toBe('nodes[0].url');
    expect(error.status).toBe(400);
    expect(errorOf('nodes: []').message).toContain('nodes: a cluster needs at least one node');
    expect(errorOf(`${valid}\n  explorationRate: 0.9`).message).toContain('routing.explorationRate');
  });

  it('profiles are objectives: custom ones parse, old scorer weights are a clear error', () => {
    const config = parseConfig(
      `${valid}\n  profiles:\n    careful: { latencyWeight: 0.01 }\n  objectiveFor:\n    /chat: { latencyWeight: 1 }`,
    );
    expect(config.routing.profiles.careful).toEqual({ latencyWeight: 0.01 });
    expect(config.routing.objectiveFor['/chat']).toEqual({ latencyWeight: 1 });
    const old = errorOf(`${valid}\n  profiles:\n    careful: { tier-fit: 0.5 }`);
    expect(old.message).toContain('routing.profiles.careful');
    expect(old.message).toContain('tier-fit');
  });

  it('reports YAML syntax errors with a line', () => {
    expect(errorOf('nodes:\n  - id: [unclosed\n').message).toMatch(/not valid YAML \(line \d+/);
  });

  it('rejects duplicates and an exposed gateway without keys', () => {
    const dup = `nodes:\n  - { id: a, url: 'http://h:1' }\n  - { id: a, url: 'http://h:2' }\n`;
    expect(errorOf(dup).message).toContain('nodes[1].id: duplicate node id "a"');
    expect(errorOf(`${valid}gateway:\n  host: 0.0.0.0\n`).message).toContain('gateway.apiKeys');
  });

  it('loads from a file and names the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'broke-config-'));
    const path = join(dir, 'broke.yaml');
    writeFileSync(path, valid);
    expect(loadConfig(path).nodes[0]?.id).toBe('studio');
    writeFileSync(path, 'nodes: 3');
    expect(() => loadConfig(path)).toThrow(path);
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(ValidationError);
  });

  it('ships a JSON Schema generated from the zod schema', () => {
    const shipped = readFileSync(new URL('../../schema/broke-config.schema.json', import.meta.url), 'utf8');
    // Regenerate with: npx tsc -b packages/core && node packages/core/dist/config/write-json-schema.js
    // (then `npx biome format --write packages/core/schema`); compared as data, not text.
    const schema = JSON.parse(shipped);
    expect(schema).toEqual(configJsonSchema());
    expect(schema.required).toEqual(['nodes']);
    expect(schema.properties.nodes.items.properties.url.format).toBe('uri');
  });
});
