/**
 * A GGUF header reader (llama.cpp's format, also Ollama's blobs): magic, version, key/value
 * metadata, tensor infos. Reads from the file's first bytes and stops cleanly where the buffer
 * ends, so a few MiB are enough for the keys that matter; tensor infos follow the tokenizer
 * arrays and are counted only when the buffer reaches them.
 */
export interface GgufFacts {
  version: number;
  architecture?: string;
  name?: string;
  /** `general.parameter_count`, else every tensor's elements (when read to the end), else the size label. */
  parameters?: number;
  sizeLabel?: string;
  contextLength?: number;
  /** llama.cpp's file type name (`Q4_K_M`, `F16`). */
  fileType?: string;
}

export class GgufFormatError extends Error {
  override readonly name = 'GgufFormatError';
}

/** llama_ftype names (llama.h), by number. */
const FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
};

/** Value types (gguf.h). */
const T = {
  U8: 0,
  I8: 1,
  U16: 2,
  I16: 3,
  U32: 4,
  I32: 5,
  F32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  U64: 10,
  I64: 11,
  F64: 12,
};
const FIXED_SIZE: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

class Truncated extends Error {}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.bytes.byteLength) throw new Truncated();
    this.offset += n;
    return at;
  }
  u32 = () => this.view.getUint32(this.need(4), true);
  u64 = () => Number(this.view.getBigUint64(this.need(8), true));
  string(): string {
    const length = this.u64();
    const at = this.need(length);
    return Buffer.from(this.bytes.subarray(at, at + length)).toString('utf8');
  }
  /** A scalar (numbers, bool, string) or undefined for an array, which is skipped. */
  value(type: number): number | string | boolean | undefined {
    switch (type) {
      case T.STRING:
        return this.string();
      case T.ARRAY: {
        const itemType = this.u32();
        const count = this.u64();
        const size = FIXED_SIZE[itemType];
        if (size !== undefined) this.need(size * count);
        else for (let i = 0; i < count; i++) this.value(itemType);
        return undefined;
      }
      case T.U8:
        return this.view.getUint8(this.need(1));
      case T.I8:
        return this.view.getInt8(this.need(1));
      case T.U16:
        return this.view.getUint16(this.need(2), true);
      case T.I16:
        return this.view.getInt16(this.need(2), true);
      case T.U32:
        return this.u32();
      case T.I32:
        return this.view.getInt32(this.need(4), true);
      case T.F32:
        return this.view.getFloat32(this.need(4), true);
      case T.BOOL:
        return this.view.getUint8(this.need(1)) !== 0;
      case T.U64:
        return this.u64();
      case T.I64:
        return Number(this.view.getBigInt64(this.need(8), true));
      case T.F64:
        return this.view.getFloat64(this.need(8), true);
      default:
        throw new GgufFormatError(`unknown GGUF value type ${type}`);
    }
  }
}

/** `8B`, `1.5B`, `135M`, `8x7B` → parameters. */
export function parametersFromSizeLabel(label: string): number | undefined {
  const m = /^(?:(\d+)x)?(\d+(?:\.\d+)?)([KMBT])$/i.exec(label.trim());
  if (!m) return undefined;
  const scale = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[(m[3] as string).toUpperCase() as 'K' | 'M' | 'B' | 'T'];
  return Math.round(Number(m[1] ?? 1) * Number(m[2]) * scale);
}

/** Read what the first bytes of a GGUF file say. Throws GgufFormatError when it is not GGUF. */
export function parseGgufHeader(bytes: Uint8Array): GgufFacts {
  if (bytes.byteLength < 8 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== 'GGUF')
    throw new GgufFormatError('not a GGUF file (no GGUF magic)');
  const r = new Reader(bytes);
  r.u32();
  const version = r.u32();
  if (version < 2) throw new GgufFormatError(`GGUF version ${version} is not supported (2 and up)`);
  const facts: GgufFacts = { version };
  const kv = new Map<string, number | string | boolean>();
  try {
    const tensors = r.u64();
    const keys = r.u64();
    for (let i = 0; i < keys; i++) {
      const key = r.string();
      const value = r.value(r.u32());
      if (value !== undefined) kv.set(key, value);
    }
    let elements = 0;
    for (let i = 0; i < tensors; i++) {
      r.string();
      const dims = r.u32();
      let n = 1;
      for (let d = 0; d < dims; d++) n *= r.u64();
      r.u32();
      r.u64();
      elements += n;
    }
    if (tensors > 0) kv.set('broke.tensor_elements', elements);
  } catch (err) {
    if (!(err instanceof Truncated)) throw err;
  }
  const str = (k: string) => (typeof kv.get(k) === 'string' ? (kv.get(k) as string) : undefined);
  const int = (k: string) =>
    typeof kv.get(k) === 'number' && (kv.get(k) as number) > 0 ? (kv.get(k) as number) : undefined;
  const architecture = str('general.architecture');
  if (architecture) facts.architecture = architecture;
  const name = str('general.name');
  if (name) facts.name = name;
  const sizeLabel = str('general.size_label');
  if (sizeLabel) facts.sizeLabel = sizeLabel;
  const parameters =
    int('general.parameter_count') ??
    int('broke.tensor_elements') ??
    (sizeLabel ? parametersFromSizeLabel(sizeLabel) : undefined);
  if (parameters !== undefined) facts.parameters = parameters;
  const context = architecture ? int(`${architecture}.context_length`) : undefined;
  if (context !== undefined) facts.contextLength = context;
  const fileType = kv.get('general.file_type');
  if (typeof fileType === 'number') facts.fileType = FILE_TYPES[fileType] ?? `type-${fileType}`;
  return facts;
}
