import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BrokeConfigSchema } from '../../src/config/schema.js';
import { TIER_RANK, tierForParameters } from '../../src/config/tiers.js';
import { capabilityOf, SIZE_PRIOR_FLOOR_PARAMETERS } from '../../src/learning/cold-start.js';
import { factsFromServer } from '../../src/model-facts/catalog.js';
import { templateRendersTools } from '../../src/model-facts/chat-template.js';
import { factsFromConfigJson } from '../../src/model-facts/config-json.js';
import { GgufFormatError, parametersFromSizeLabel, parseGgufHeader } from '../../src/model-facts/gguf.js';
import { factsFromSafetensors, type SafetensorsHeader } from '../../src/model-facts/safetensors.js';
import { serverModelFacts } from '../../src/model-facts/server-reported.js';
import { tiersFor } from '../../src/model-facts/tiers.js';
import { cli, ensureBuilt } from '../cli/helpers.js';
import { LLAMACPP, OLLAMA, type Routes, serveFixtures, VLLM } from '../drivers/fixtures.js';

// Ollama 0.12 `POST /api/show` for llama3.2:3b (model_info holds the GGUF keys); the fixture
// server answers by path only, so this Ollama lists that one model.
const OLLAMA_WITH_SHOW: Routes = {
  ...OLLAMA,
  'GET /api/tags': {
    json: { models: (OLLAMA['GET /api/tags'] as { json: { models: unknown[] } }).json.models.slice(0, 1) },
  },
  'POST /api/show': {
    json: {
      capabilities: ['completion', 'tools'],
      details: { format: 'gguf', family: 'llama', parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
      model_info: {
        'general.architecture': 'llama',
        'general.parameter_count': 3212749888,
        'llama.context_length': 131072,
        'llama.embedding_length': 3072,
      },
    },
  },
};

describe('tiers from parameters: one mapping', () => {
  it('small < 10B <= medium < 30B <= large', () => {
    expect([0.5, 3, 8, 9.99, 10, 14, 27, 30, 32, 70, 405].map(tierForParameters)).toEqual([
      'small',
      'small',
      'small',
      'small',
      'medium',
      'medium',
      'medium',
      'large',
      'large',
      'large',
      'large',
    ]);
  });

  it('the schema derives a missing tier from parameters; a tier in the file wins', () => {
    const config = BrokeConfigSchema.parse({
      nodes: [{ id: 'n', url: 'http://127.0.0.1:8080' }],
      models: [
        { id: 'big', parameters: 70 },
        { id: 'tagged', parameters: 8, tier: 'large' },
        { id: 'unknown' },
      ],
    });
    expect(config.models.map((m) => m.tier)).toEqual(['large', 'large', 'medium']);
  });

  it('a tier is a size class: parameters place a model inside it, never outside', () => {
    // Derived tier: the log-scaled size as before (70B ≈ 0.95, 8B ≈ 0.62).
    expect(capabilityOf(70, TIER_RANK.large)).toBeCloseTo(0.3 + 0.35 * Math.log10(70), 9);
    expect(capabilityOf(8, TIER_RANK.small)).toBeCloseTo(0.3 + 0.35 * Math.log10(8), 9);
    // The user's tier wins: an 8B they call large counts as at least a 30B, a 70B called small as at most a 10B.
    expect(capabilityOf(8, TIER_RANK.large)).toBeCloseTo(capabilityOf(30, TIER_RANK.large), 9);
    expect(capabilityOf(70, TIER_RANK.small)).toBeCloseTo(capabilityOf(10, TIER_RANK.medium), 9);
    // No parameters: the tier's representative size, as before (3B / 14B / 70B).
    expect(capabilityOf(undefined, TIER_RANK.medium)).toBeCloseTo(capabilityOf(14, TIER_RANK.medium), 9);
  });
});

describe('tiersFor: what scan-models and init write', () => {
  const served = (...ids: string[]) => new Set(ids);

  it('real models keep their absolute tier, however the cluster is made up', () => {
    const models = [
      { id: 'llama-1b', parameters: 1.24 },
      { id: 'qwen-7b', parameters: 7.62 },
    ];
    expect(Object.fromEntries(tiersFor(models, served('llama-1b', 'qwen-7b')))).toEqual({
      'llama-1b': 'small',
      'qwen-7b': 'small',
    });
  });

  it('a cluster of toy models (all below the size prior floor) is ranked within itself', () => {
    expect(SIZE_PRIOR_FLOOR_PARAMETERS).toBeGreaterThan(0.26);
    expect(SIZE_PRIOR_FLOOR_PARAMETERS).toBeLessThan(0.28);
    const models = [
      { id: 'tiny', parameters: 0.000136 },
      { id: 'mini', parameters: 0.000863 },
      { id: 'small', parameters: 0.0241 },
      { id: 'on-disk', parameters: 0.1 },
      { id: 'no-size' },
    ];
    expect(Object.fromEntries(tiersFor(models, served('tiny', 'mini', 'small')))).toEqual({
      tiny: 'small',
      mini: 'medium',
      small: 'large',
      'on-disk': 'large',
    });
    // One real model among them: the absolute tiers stand.
    const mixed = [...models, { id: 'qwen-7b', parameters: 7.62 }];
    expect(tiersFor(mixed, served('tiny', 'small', 'qwen-7b')).get('small')).toBe('small');
    // Sizes within 2× of each other say nothing: absolute (small) for all.
    expect(
      tiersFor(
        [
          { id: 'a', parameters: 0.01 },
          { id: 'b', parameters: 0.015 },
        ],
        served('a', 'b'),
      ).get('b'),
    ).toBe('small');
  });
});

describe('config.json', () => {
  it('counts a dense decoder exactly (Llama 3.1 8B: 8 030 261 248)', () => {
    const llama31 = {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 4096,
      intermediate_size: 14336,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      vocab_size: 128256,
      tie_word_embeddings: false,
      max_position_embeddings: 131072,
      torch_dtype: 'bfloat16',
    };
    expect(factsFromConfigJson(llama31)).toEqual({
      parameters: 8030261248,
      quantization: 'bfloat16',
      contextLength: 131072,
      architecture: 'LlamaForCausalLM',
    });
    // MLX quantisation; multimodal configs nest the language model under text_config.
    expect(
      factsFromConfigJson({ text_config: llama31, quantization: { bits: 4, group_size: 64 } }),
    ).toMatchObject({ parameters: 8030261248, quantization: '4bit', bits: 4, contextLength: 131072 });
    // A shape missing: no count rather than a guess.
    expect(factsFromConfigJson({ hidden_size: 4096 }).parameters).toBeUndefined();
  });

  it('safetensors headers: packed quantised weights count 32/bits weights per element, scales are overhead', () => {
    const header: SafetensorsHeader = {
      __metadata__: { format: 'mlx' },
      'w.weight': { dtype: 'U32', shape: [64, 8], data_offsets: [0, 2048] },
      'w.scales': { dtype: 'F16', shape: [64, 1], data_offsets: [2048, 2176] },
      'w.biases': { dtype: 'F16', shape: [64, 1], data_offsets: [2176, 2304] },
      'norm.weight': { dtype: 'BF16', shape: [64], data_offsets: [2304, 2432] },
    };
    expect(factsFromSafetensors([header], 4)).toEqual({
      parameters: 64 * 64 + 64,
      weightBytes: 2432,
      dtype: 'bfloat16',
    });
  });
});

describe('GGUF header', () => {
  it('rejects what is not GGUF and stops cleanly where the bytes end', () => {
    expect(() => parseGgufHeader(Buffer.from('not a gguf file at all'))).toThrow(GgufFormatError);
    // Magic, version 3, 0 tensors, 2 keys, the first (general.architecture = "llama") complete.
    const u64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return b;
    };
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n);
      return b;
    };
    const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
    const head = Buffer.concat([
      Buffer.from('GGUF'),
      u32(3),
      u64(0),
      u64(2),
      str('general.architecture'),
      u32(8),
      str('llama'),
      str('llama.context_length'),
    ]);
    expect(parseGgufHeader(head)).toEqual({ version: 3, architecture: 'llama' });
  });

  it('reads size labels', () => {
    expect(['8B', '1.5B', '135M', '8x7B', 'big'].map(parametersFromSizeLabel)).toEqual([
      8e9,
      1.5e9,
      135e6,
      56e9,
      undefined,
    ]);
  });
});

describe('tool calling from the chat template', () => {
  it('a template that reads `tools` in a tag takes tools; one that only mentions the word does not', () => {
    const chatml =
      '{%- if tools %}<|im_start|>system\n<tools>{% for tool in tools %}{{ tool | tojson }}{% endfor %}</tools><|im_end|>{% endif %}';
    expect(templateRendersTools(chatml)).toBe(true);
    expect(templateRendersTools('{{- bos_token }}{%- set tools_in_user = false %}')).toBe(false);
    expect(templateRendersTools('{% for m in messages %}You may use tools.{{ m.content }}{% endfor %}')).toBe(
      false,
    );
    // tokenizer_config.json may hold named templates (default, tool_use).
    expect(
      templateRendersTools([
        { name: 'default', template: '{{ messages }}' },
        { name: 'tool_use', template: '{{ tools | tojson }}' },
      ]),
    ).toBe(true);
    expect(templateRendersTools(undefined)).toBe(false);
  });
});

describe('what servers report (recorded responses, for backends the test bed cannot run)', () => {
  it('Ollama /api/tags and /api/show, llama.cpp /v1/models meta and /props, vLLM max_model_len', async () => {
    const [ollama, llamacpp, vllm] = await Promise.all([
      serveFixtures(OLLAMA_WITH_SHOW),
      serveFixtures(LLAMACPP),
      serveFixtures(VLLM),
    ]);
    try {
      const o = await serverModelFacts(ollama.url, 'ollama');
      expect(o.get('llama3.2:3b')).toEqual({
        parameters: 3212749888,
        contextLength: 131072,
        quantization: 'Q4_K_M',
        weightBytes: 2019393189,
        toolCalling: true,
        jsonOutput: true,
      });
      expect(factsFromServer(o.get('llama3.2:3b'))).toEqual({
        parameters: 3.21,
        quantization: 'Q4_K_M',
        contextLength: 131072,
        memoryGb: 1.89,
        capabilities: ['streaming', 'tools', 'json'],
      });
      // An Ollama without /api/show (older): the tags' size label and quantisation level.
      const tagsOnly = await serveFixtures(OLLAMA);
      const t = await serverModelFacts(tagsOnly.url, 'ollama').finally(() => tagsOnly.close());
      expect(t.get('qwen2.5-coder:7b')).toEqual({
        parameters: 7.6e9,
        quantization: 'Q4_K_M',
        weightBytes: 4683087332,
        jsonOutput: true,
      });
      const l = await serverModelFacts(llamacpp.url, 'llamacpp');
      // The context the server was started with (-c 4096), not the one the model was trained for.
      expect(l.get('qwen2.5-7b-instruct-q4_k_m.gguf')).toEqual({
        parameters: 7615616512,
        contextLength: 4096,
        weightBytes: 4677120000,
        jsonOutput: true,
      });
      const v = await serverModelFacts(vllm.url, 'vllm');
      expect(v.get('Qwen/Qwen2.5-7B-Instruct')).toEqual({ contextLength: 32768, jsonOutput: true });
      // mlx_lm.server (an OpenAI-compatible server) reports ids only and ignores response_format.
      expect([...(await serverModelFacts(vllm.url, 'openai')).values()]).toEqual([{ contextLength: 32768 }]);
    } finally {
      await Promise.all([ollama.close(), llamacpp.close(), vllm.close()]);
    }
  });

  it('init --node writes what the server reports: sizes, context, memory, tier', async () => {
    ensureBuilt();
    const ollama = await serveFixtures(OLLAMA_WITH_SHOW);
    const dir = mkdtempSync(join(tmpdir(), 'broke-facts-'));
    try {
      const r = await cli(['-c', join(dir, 'broke.yaml'), 'init', '--node', ollama.url]);
      expect(r.code, r.stderr).toBe(0);
      const models = parse(readFileSync(join(dir, 'broke.yaml'), 'utf8')).models;
      expect(models).toEqual([
        {
          id: 'llama3.2:3b',
          parameters: 3.21,
          quantization: 'Q4_K_M',
          contextLength: 131072,
          memoryGb: 1.89,
          capabilities: ['streaming', 'tools', 'json'],
          tier: 'small',
        },
      ]);
    } finally {
      await ollama.close();
    }
  });
});
