import type { SshConnection } from './connection.js';

export interface ModelOnDisk {
  /** `org/name` for the Hugging Face cache, the folder name otherwise. */
  name: string;
  /** Absolute path on the node (a snapshot folder for HF models). */
  path: string;
  source: 'hf-cache' | 'dir';
  sizeBytes?: number;
  /** From config.json `quantization` (MLX), e.g. `4bit`; else torch_dtype. */
  quantization?: string;
  contextLength?: number;
  architecture?: string;
  /** End-of-turn tokens from tokenizer_config.json (eos_token and special end tokens). */
  stopTokens?: string[];
}

export const HF_CACHE_DIR = '~/.cache/huggingface/hub';

/**
 * Walk the roots given as positional args ($@): each root itself, its children and HF
 * `models--*\/snapshots/*`. Files travel base64-encoded so their contents cannot break parsing.
 * `~/` is expanded here, remotely, because quoting disables the shell's own tilde expansion.
 */
const SCAN = `
for root in "$@"; do
  case "$root" in "~/"*) root="$HOME/\${root#\\~/}";; esac
  for d in "$root" "$root"/* "$root"/models--*/snapshots/*; do
    [ -f "$d/config.json" ] || continue
    d=$(cd "$d" && pwd -P 2>/dev/null || echo "$d")
    echo "@@model"; echo "$d"
    echo "@@size"; du -skL "$d" 2>/dev/null | cut -f1
    echo "@@config"; head -c 262144 "$d/config.json" | base64
    if [ -f "$d/tokenizer_config.json" ]; then echo "@@tokcfg"; head -c 4194304 "$d/tokenizer_config.json" | base64; fi
    echo "@@end"
  done
done
`;

export async function listModelsOnDisk(
  conn: SshConnection,
  dirs: readonly string[] = [],
  timeoutMs = 60_000,
): Promise<ModelOnDisk[]> {
  const r = await conn.run(['sh', '-c', SCAN, 'sh', HF_CACHE_DIR, ...dirs], { timeoutMs });
  return parseModelScan(r.stdout);
}

/** Parse SCAN output (exported for tests). Duplicate paths (a root listed twice) are dropped. */
export function parseModelScan(text: string): ModelOnDisk[] {
  const out = new Map<string, ModelOnDisk>();
  let cur: Record<string, string[]> = {};
  let key = '';
  for (const line of text.split('\n')) {
    const m = /^@@(\w+)$/.exec(line.trim());
    if (m?.[1] === 'end') {
      const model = toModel(cur);
      if (model && !out.has(model.path)) out.set(model.path, model);
      cur = {};
      key = '';
    } else if (m?.[1]) {
      key = m[1];
      cur[key] = [];
    } else if (key) cur[key]?.push(line);
  }
  return [...out.values()];
}

function decodeJson(lines: string[] | undefined): Record<string, unknown> | undefined {
  if (!lines) return undefined;
  try {
    return JSON.parse(Buffer.from(lines.join(''), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

function toModel(rec: Record<string, string[]>): ModelOnDisk | undefined {
  const path = rec.model?.[0]?.trim();
  if (!path) return undefined;
  const hf = /\/models--([^/]+)\/snapshots\//.exec(path);
  const name = hf?.[1] ? hf[1].replace('--', '/') : (path.split('/').filter(Boolean).pop() ?? path);
  const model: ModelOnDisk = { name, path, source: hf ? 'hf-cache' : 'dir' };
  const kb = Number(rec.size?.[0]?.trim());
  if (kb > 0) model.sizeBytes = kb * 1024;
  const cfg = decodeJson(rec.config);
  if (cfg) {
    const q = (cfg.quantization ?? cfg.quantization_config) as
      | { bits?: number; group_size?: number }
      | undefined;
    if (q && typeof q.bits === 'number') model.quantization = `${q.bits}bit`;
    else if (typeof cfg.torch_dtype === 'string') model.quantization = cfg.torch_dtype;
    const ctx =
      cfg.max_position_embeddings ??
      (cfg.text_config as Record<string, unknown> | undefined)?.max_position_embeddings;
    if (typeof ctx === 'number' && ctx > 0) model.contextLength = ctx;
    const arch = Array.isArray(cfg.architectures) ? cfg.architectures[0] : cfg.model_type;
    if (typeof arch === 'string') model.architecture = arch;
  }
  const tok = decodeJson(rec.tokcfg);
  if (tok) {
    const stops = stopTokensFromTokenizerConfig(tok);
    if (stops.length) model.stopTokens = stops;
  }
  return model;
}

/** eos_token plus special added tokens that end a turn (`<|im_end|>`, `<|eot_id|>`, `</s>`...). */
export function stopTokensFromTokenizerConfig(tok: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const asText = (v: unknown) => (typeof v === 'string' ? v : (v as { content?: unknown } | null)?.content);
  const eos = asText(tok.eos_token);
  if (typeof eos === 'string' && eos) found.add(eos);
  const added = tok.added_tokens_decoder as
    | Record<string, { content?: string; special?: boolean }>
    | undefined;
  for (const t of Object.values(added ?? {})) {
    if (t?.special && typeof t.content === 'string' && /(end|eot|eos|^<\/s>$)/i.test(t.content))
      found.add(t.content);
  }
  return [...found];
}
