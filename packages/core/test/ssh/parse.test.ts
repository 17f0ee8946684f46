import { describe, expect, it } from 'vitest';
import { parseHardware } from '../../src/ssh/hardware.js';
import { parseModelScan, stopTokensFromTokenizerConfig } from '../../src/ssh/models-on-disk.js';

// Recorded shapes of the real commands (macOS 14 on an M2 Ultra, Debian 12).
const MAC = `@@uname
Darwin
arm64
studio
@@memsize
206158430208
@@cpu
Apple M2 Ultra
@@ncpu
24
@@vmstat
Mach Virtual Memory Statistics: (page size of 16384 bytes)
Pages free:                             1234567.
Pages active:                           2345678.
Pages inactive:                         2000000.
Pages speculative:                        10000.
Pages throttled:                              0.
Pages wired down:                        400000.
Pages purgeable:                           5000.
@@pressure
The system has 206158430208 (12582912 pages with a page size of 16384).
System-wide memory free percentage: 62%
`;

const LINUX = `@@uname
Linux
x86_64
box
@@meminfo
MemTotal:       16311400 kB
MemFree:         1105480 kB
MemAvailable:    2000000 kB
@@lscpu
Architecture:                       x86_64
Model name:                         AMD EPYC 7B13
@@ncpu
2
`;

describe('hardware probe parsing', () => {
  it('reads macOS sysctl, vm_stat and memory_pressure', () => {
    const hw = parseHardware(MAC);
    expect(hw).toMatchObject({
      os: 'darwin',
      arch: 'arm64',
      hostname: 'studio',
      cpu: 'Apple M2 Ultra',
      cores: 24,
    });
    expect(hw.memoryGb).toBe(192);
    expect(hw.freeMemoryGb).toBeCloseTo(((1234567 + 2000000 + 10000 + 5000) * 16384) / 1024 ** 3, 1);
    expect(hw.pressure).toBe('normal');
  });

  it('reads Linux /proc/meminfo, lscpu and nproc', () => {
    const hw = parseHardware(LINUX);
    expect(hw).toMatchObject({ os: 'linux', cpu: 'AMD EPYC 7B13', cores: 2, pressure: 'warn' });
    expect(hw.memoryGb).toBeCloseTo(15.56, 1);
  });
});

describe('model scan parsing', () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
  it('reads HF cache snapshots and plain folders', () => {
    const text = [
      '@@model',
      '/Users/a/.cache/huggingface/hub/models--mlx-community--Qwen2.5-7B-Instruct-4bit/snapshots/abc',
      '@@size',
      '4200000',
      '@@config',
      b64({
        quantization: { group_size: 64, bits: 4 },
        max_position_embeddings: 32768,
        architectures: ['Qwen2ForCausalLM'],
      }),
      '@@tokcfg',
      b64({
        eos_token: '<|im_end|>',
        added_tokens_decoder: { 1: { content: '<|endoftext|>', special: true } },
      }),
      '@@end',
      '@@model',
      '/models/tiny',
      '@@size',
      '100',
      '@@config',
      b64({ torch_dtype: 'float16', max_position_embeddings: 2048 }),
      '@@end',
    ].join('\n');
    const models = parseModelScan(text);
    expect(models).toEqual([
      {
        name: 'mlx-community/Qwen2.5-7B-Instruct-4bit',
        path: '/Users/a/.cache/huggingface/hub/models--mlx-community--Qwen2.5-7B-Instruct-4bit/snapshots/abc',
        source: 'hf-cache',
        format: 'safetensors',
        sizeBytes: 4200000 * 1024,
        quantization: '4bit',
        contextLength: 32768,
        architecture: 'Qwen2ForCausalLM',
        stopTokens: ['<|im_end|>', '<|endoftext|>'],
      },
      {
        name: 'tiny',
        path: '/models/tiny',
        source: 'dir',
        format: 'safetensors',
        sizeBytes: 102400,
        quantization: 'float16',
        contextLength: 2048,
      },
    ]);
  });

  it('takes eos tokens in object form', () => {
    expect(stopTokensFromTokenizerConfig({ eos_token: { content: '</s>' } })).toEqual(['</s>']);
  });
});
