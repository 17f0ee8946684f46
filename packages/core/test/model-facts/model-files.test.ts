import { execFile } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModel, ensureVenv, offlineEnv } from '../../../../testbed/index.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { factsFromConfigJson } from '../../src/model-facts/config-json.js';
import { factsFromSafetensors, type SafetensorsHeader } from '../../src/model-facts/safetensors.js';
import { SshConnection } from '../../src/ssh/connection.js';
import { listModelsOnDisk, type ModelOnDisk } from '../../src/ssh/models-on-disk.js';

const run = promisify(execFile);

/** A safetensors file's header, read as the format says: 8-byte little-endian length, then JSON. */
function header(file: string): SafetensorsHeader {
  const fd = openSync(file, 'r');
  const size = Buffer.alloc(8);
  readSync(fd, size, 0, 8, 0);
  const json = Buffer.alloc(Number(size.readBigUInt64LE()));
  readSync(fd, json, 0, json.length, 8);
  return JSON.parse(json.toString('utf8'));
}

// Integration: model files written by the real tools (the generator, mlx_lm's 4-bit converter,
// mlx_lm's GGUF writer) and read back over a real loopback sshd, as scan-models reads a node.
describe('model facts from real model files', () => {
  let sshd: Sshd;
  let tiny: string;
  const dir = mkdtempSync(join(tmpdir(), 'broke-model-files-'));

  beforeAll(async () => {
    const [venv, model, server] = await Promise.all([ensureVenv(), ensureModel('tiny'), startSshd()]);
    tiny = model;
    sshd = server;
    const script = `
import json, sys, mlx.core as mx
from pathlib import Path
from mlx_lm.convert import convert
from mlx_lm.gguf import convert_to_gguf
src, out = Path(sys.argv[1]), Path(sys.argv[2])
convert(str(src), mlx_path=str(out / "tiny-4bit"), quantize=True, q_bits=4, q_group_size=64)
convert_to_gguf(src, mx.load(str(src / "model.safetensors")), json.load(open(src / "config.json")), str(out / "tiny-f16.gguf"))
`;
    await run(join(venv, 'bin/python'), ['-c', script, tiny, dir], { env: offlineEnv(), timeout: 300_000 });
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("the generator's models: counting tensors and counting config.json's shapes agree", async () => {
    for (const name of ['tiny', 'mini', 'small']) {
      const path = await ensureModel(name);
      const fromConfig = factsFromConfigJson(JSON.parse(readFileSync(join(path, 'config.json'), 'utf8')));
      const fromHeader = factsFromSafetensors([header(join(path, 'model.safetensors'))]);
      expect(fromHeader.parameters, name).toBe(fromConfig.parameters);
      expect(fromHeader.dtype).toBe('float32');
    }
  });

  it('over SSH: a 4-bit MLX model and a GGUF file of the same model report the same size', async () => {
    const conn = await SshConnection.connect({
      host: '127.0.0.1',
      port: sshd.port,
      user: sshd.user,
      privateKeyPath: sshd.privateKeyPath,
      hostKeyFingerprint: sshd.hostKeyFingerprint,
    });
    let models: ModelOnDisk[];
    try {
      models = await listModelsOnDisk(conn, [dir, tiny]);
    } finally {
      conn.close();
    }
    const plain = models.find((m) => m.path === tiny);
    const quantized = models.find((m) => m.name === 'tiny-4bit');
    const gguf = models.find((m) => m.name === 'tiny-f16');
    expect(plain).toMatchObject({ format: 'safetensors', parameters: 0.000136, quantization: 'float32' });
    expect(quantized).toMatchObject({ format: 'safetensors', parameters: 0.000136, quantization: '4bit' });
    expect(gguf).toMatchObject({
      format: 'gguf',
      parameters: 0.000136,
      quantization: 'F16',
      contextLength: 4096,
      architecture: 'llama',
      path: join(dir, 'tiny-f16.gguf'),
    });
    // Weights: 4-bit packs ~5 bits per weight (with scales) against float32's 32.
    expect(quantized?.weightBytes).toBeLessThan((plain?.weightBytes ?? 0) / 4);
    expect(gguf?.weightBytes).toBe(gguf?.sizeBytes);
    expect(plain?.sizeBytes).toBeGreaterThan(plain?.weightBytes ?? Infinity);
  });
});
