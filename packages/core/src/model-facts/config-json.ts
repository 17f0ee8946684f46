/**
 * What a Hugging Face / MLX `config.json` says about a model: parameter count (from the
 * architecture's shapes), quantisation, context length. Decoder-only transformers (Llama, Qwen,
 * Mistral, Gemma, Phi-3, Mixtral…) are counted exactly up to biases; anything the formula does
 * not know is left out rather than guessed.
 */
export interface ConfigJsonFacts {
  /** Parameter count (not billions). */
  parameters?: number;
  /** `4bit`, `8bit` (MLX / GPTQ / AWQ bits), else the weights' dtype (`bfloat16`). */
  quantization?: string;
  /** Bits per weight when quantised. */
  bits?: number;
  contextLength?: number;
  architecture?: string;
}

type Json = Record<string, unknown>;

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;

/** Feed-forward blocks with two matrices (up, down) instead of the gated three. */
const UNGATED_MLP = new Set([
  'gpt2',
  'gpt_neox',
  'gptj',
  'gpt_bigcode',
  'starcoder2',
  'phi',
  'falcon',
  'opt',
  'bloom',
]);

export function factsFromConfigJson(config: Json): ConfigJsonFacts {
  // Multimodal configs nest the language model's shape under text_config.
  const text = (
    typeof config.text_config === 'object' && config.text_config !== null
      ? { ...config, ...(config.text_config as Json) }
      : config
  ) as Json;
  const facts: ConfigJsonFacts = {};
  const parameters = countParameters(text);
  if (parameters !== undefined) facts.parameters = parameters;
  const q = (config.quantization ?? config.quantization_config) as Json | undefined;
  const bits = num(q?.bits) ?? num(q?.w_bit);
  if (bits !== undefined) {
    facts.bits = bits;
    facts.quantization = `${bits}bit`;
  } else {
    const dtype = config.torch_dtype ?? config.dtype ?? text.torch_dtype;
    if (typeof dtype === 'string') facts.quantization = dtype;
  }
  const context =
    num(text.max_position_embeddings) ??
    num(text.n_positions) ??
    num(text.max_sequence_length) ??
    num(text.seq_length);
  if (context !== undefined) facts.contextLength = Math.round(context);
  const architecture = Array.isArray(config.architectures) ? config.architectures[0] : config.model_type;
  if (typeof architecture === 'string') facts.architecture = architecture;
  return facts;
}

/** Weights of a decoder-only transformer from its shapes; undefined when a shape is missing. */
function countParameters(c: Json): number | undefined {
  const hidden = num(c.hidden_size) ?? num(c.n_embd) ?? num(c.d_model);
  const layers = num(c.num_hidden_layers) ?? num(c.n_layer) ?? num(c.num_layers);
  const vocab = num(c.vocab_size);
  const heads = num(c.num_attention_heads) ?? num(c.n_head);
  if (!hidden || !layers || !vocab || !heads) return undefined;
  const kvHeads = num(c.num_key_value_heads) ?? num(c.num_kv_heads) ?? heads;
  const headDim = num(c.head_dim) ?? hidden / heads;
  const attention = hidden * heads * headDim * 2 + hidden * kvHeads * headDim * 2;
  const modelType = typeof c.model_type === 'string' ? c.model_type : '';
  const matrices = UNGATED_MLP.has(modelType) ? 2 : 3;
  const experts = num(c.num_local_experts) ?? num(c.num_experts) ?? num(c.n_routed_experts);
  let mlp: number;
  if (experts) {
    const expertSize = num(c.moe_intermediate_size) ?? num(c.intermediate_size) ?? 4 * hidden;
    const shared = num(c.shared_expert_intermediate_size) ?? 0;
    mlp = matrices * hidden * expertSize * experts + hidden * experts + matrices * hidden * shared;
  } else mlp = matrices * hidden * (num(c.intermediate_size) ?? num(c.n_inner) ?? 4 * hidden);
  const norms = 2 * hidden;
  const embeddings = vocab * hidden * (c.tie_word_embeddings === true ? 1 : 2);
  return Math.round(layers * (attention + mlp + norms) + hidden + embeddings);
}
