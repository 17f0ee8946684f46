import { templateRendersTools } from '../model-facts/chat-template.js';
import { factsFromConfigJson } from '../model-facts/config-json.js';
import { billions } from '../model-facts/facts.js';
import { GgufFormatError, parseGgufHeader } from '../model-facts/gguf.js';
import type { ModelOnDisk } from '../model-facts/on-disk.js';
import {
  factsFromSafetensors,
  parseSafetensorsHeader,
  type SafetensorsHeader,
} from '../model-facts/safetensors.js';
import type { SshConnection } from './connection.js';

export type { ModelOnDisk } from '../model-facts/on-disk.js';

export const HF_CACHE_DIR = '~/.cache/huggingface/hub';

/**
 * Walk the roots given as positional args ($@): each root itself, its children and HF
 * `models--*\/snapshots/*`; model folders (with config.json) and GGUF files. Files travel
 * base64-encoded so their contents cannot break parsing: config.json, tokenizer_config.json,
 * chat_template.jinja, the safetensors index and each safetensors header (the JSON after its
 * 8-byte length, capped at 16 MiB), a GGUF file's first 2 MiB (its metadata). `~/` is expanded here, remotely, because
 * quoting disables the shell's own tilde expansion.
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
    if [ -f "$d/chat_template.jinja" ]; then echo "@@tmpl"; head -c 1048576 "$d/chat_template.jinja" | base64; fi
    if [ -f "$d/model.safetensors.index.json" ]; then echo "@@stindex"; head -c 8388608 "$d/model.safetensors.index.json" | base64; fi
    for f in "$d"/*.safetensors; do
      [ -f "$f" ] || continue
      n=$(head -c 8 "$f" | od -An -tu8 | tr -d ' \\n')
      case "$n" in ''|*[!0-9]*) continue;; esac
      [ "$n" -gt 0 ] && [ "$n" -le 16777216 ] || continue
      echo "@@sthead"; head -c $((8 + n)) "$f" | tail -c "$n" | base64
    done
    echo "@@end"
  done
  for f in "$root"/*.gguf "$root"/*/*.gguf "$root"/models--*/snapshots/*/*.gguf; do
    [ -f "$f" ] || continue
    f=$(cd "$(dirname "$f")" && echo "$(pwd -P)/$(basename "$f")")
    echo "@@gguf"; echo "$f"
    echo "@@bytes"; wc -c < "$f" | tr -d ' '
    echo "@@ggufhead"; head -c 2097152 "$f" | base64
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
      // A repeated key (one safetensors header per shard) starts a new block after a blank line.
      const seen = cur[key];
      if (seen) seen.push('');
      else cur[key] = [];
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
  if (rec.gguf) return ggufModel(rec);
  const path = rec.model?.[0]?.trim();
  if (!path) return undefined;
  const hf = /\/models--([^/]+)\/snapshots\//.exec(path);
  const name = hf?.[1] ? hf[1].replace('--', '/') : (path.split('/').filter(Boolean).pop() ?? path);
  const model: ModelOnDisk = { name, path, source: hf ? 'hf-cache' : 'dir', format: 'safetensors' };
  const kb = Number(rec.size?.[0]?.trim());
  if (kb > 0) model.sizeBytes = kb * 1024;
  const cfg = decodeJson(rec.config);
  const fromConfig = cfg ? factsFromConfigJson(cfg) : {};
  if (fromConfig.quantization) model.quantization = fromConfig.quantization;
  if (fromConfig.contextLength) model.contextLength = fromConfig.contextLength;
  if (fromConfig.architecture) model.architecture = fromConfig.architecture;
  // Shard headers count every tensor (any architecture); config.json's shapes are the fallback.
  const headers = (rec.sthead ?? [])
    .join('\n')
    .split('\n\n')
    .map((block) => parseSafetensorsHeader(Buffer.from(block.replace(/\s+/g, ''), 'base64').toString('utf8')))
    .filter((h): h is SafetensorsHeader => h !== undefined);
  const fromHeaders = headers.length ? factsFromSafetensors(headers, fromConfig.bits) : undefined;
  const count = fromHeaders?.parameters || fromConfig.parameters;
  if (count) model.parameters = billions(count);
  const total = Number(
    (decodeJson(rec.stindex)?.metadata as { total_size?: unknown } | undefined)?.total_size,
  );
  const weightBytes = fromHeaders?.weightBytes || (total > 0 ? total : undefined);
  if (weightBytes) model.weightBytes = weightBytes;
  if (!model.quantization && fromHeaders?.dtype) model.quantization = fromHeaders.dtype;
  const tok = decodeJson(rec.tokcfg);
  if (tok) {
    const stops = stopTokensFromTokenizerConfig(tok);
    if (stops.length) model.stopTokens = stops;
  }
  // Newer repositories keep the template in chat_template.jinja instead of tokenizer_config.json.
  const jinja = rec.tmpl ? Buffer.from(rec.tmpl.join(''), 'base64').toString('utf8') : undefined;
  if (templateRendersTools(tok?.chat_template) || templateRendersTools(jinja)) model.toolCalling = true;
  return model;
}

/** A GGUF file: its header's parameter count, context length and file type; the file is the weights. */
function ggufModel(rec: Record<string, string[]>): ModelOnDisk | undefined {
  const path = rec.gguf?.[0]?.trim();
  if (!path) return undefined;
  const hf = /\/models--([^/]+)\/snapshots\//.exec(path);
  const file = path.split('/').pop() ?? path;
  const name = hf?.[1] ? `${hf[1].replace('--', '/')}/${file}` : file.replace(/\.gguf$/i, '');
  const model: ModelOnDisk = { name, path, source: hf ? 'hf-cache' : 'dir', format: 'gguf' };
  const bytes = Number(rec.bytes?.[0]?.trim());
  if (bytes > 0) {
    model.sizeBytes = bytes;
    model.weightBytes = bytes;
  }
  try {
    const facts = parseGgufHeader(Buffer.from((rec.ggufhead ?? []).join(''), 'base64'));
    if (facts.parameters) model.parameters = billions(facts.parameters);
    if (facts.contextLength) model.contextLength = facts.contextLength;
    if (facts.fileType) model.quantization = facts.fileType;
    if (facts.architecture) model.architecture = facts.architecture;
  } catch (err) {
    if (!(err instanceof GgufFormatError)) throw err;
    return undefined;
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
