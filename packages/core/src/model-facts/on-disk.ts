/** What a model folder or GGUF file on a machine holds (ssh/models-on-disk.ts lists them). */
export interface ModelOnDisk {
  /** `org/name` for the Hugging Face cache, the folder name otherwise. */
  name: string;
  /** Absolute path on the node (a snapshot folder for HF models). */
  path: string;
  source: 'hf-cache' | 'dir';
  /** A model folder (config.json, safetensors) or one GGUF file. */
  format: 'safetensors' | 'gguf';
  /** Everything on disk: the folder, or the GGUF file. */
  sizeBytes?: number;
  /** Bytes of weights (safetensors tensor data, the index's total_size, or the GGUF file). */
  weightBytes?: number;
  /** Billions: counted from safetensors headers, else config.json's shapes, else the GGUF header. */
  parameters?: number;
  /** From config.json `quantization` (MLX), e.g. `4bit`, the GGUF file type (`Q4_K_M`); else the dtype. */
  quantization?: string;
  contextLength?: number;
  architecture?: string;
  /** End-of-turn tokens from tokenizer_config.json (eos_token and special end tokens). */
  stopTokens?: string[];
  /** Its chat template renders an OpenAI `tools` list (model-facts/chat-template.ts). */
  toolCalling?: boolean;
}
