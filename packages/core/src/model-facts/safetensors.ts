/**
 * Facts from safetensors headers (the JSON before the tensor data: name → dtype, shape,
 * data_offsets). Counting elements is exact for any architecture, unlike a formula over
 * config.json. Packed quantised weights (MLX `uint32` with `.scales`/`.biases`, GPTQ/AWQ
 * `qweight`) count as `32 / bits` weights per element; their scales and zeros are overhead.
 */
export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  data_offsets?: [number, number];
}
export type SafetensorsHeader = Record<string, SafetensorsTensor | Record<string, string>>;

export interface SafetensorsFacts {
  /** Parameter count (not billions). */
  parameters: number;
  /** Bytes of tensor data (what a server loads into memory). */
  weightBytes: number;
  /** The dtype holding most unquantised bytes, as torch names it (`bfloat16`). */
  dtype?: string;
}

const DTYPE_NAMES: Record<string, string> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F8_E4M3: 'float8_e4m3fn',
  F8_E5M2: 'float8_e5m2',
};
const QUANT_OVERHEAD = ['.scales', '.biases', '.qzeros', '.g_idx', '.zeros'];

function isTensor(v: unknown): v is SafetensorsTensor {
  return typeof v === 'object' && v !== null && Array.isArray((v as SafetensorsTensor).shape);
}

/** Sum over the model's shard headers; `bits` is the quantisation from config.json, if any. */
export function factsFromSafetensors(headers: readonly SafetensorsHeader[], bits?: number): SafetensorsFacts {
  let parameters = 0;
  let weightBytes = 0;
  const bytesByDtype = new Map<string, number>();
  for (const header of headers) {
    const names = new Set(Object.keys(header));
    let end = 0;
    for (const [name, tensor] of Object.entries(header)) {
      if (!isTensor(tensor)) continue;
      const elements = tensor.shape.reduce((a, b) => a * b, 1);
      const bytes = tensor.data_offsets ? tensor.data_offsets[1] - tensor.data_offsets[0] : 0;
      end = Math.max(end, tensor.data_offsets?.[1] ?? 0);
      const base = name.replace(/\.(weight|qweight|scales|biases|qzeros|g_idx|zeros)$/, '');
      const packed =
        (tensor.dtype === 'U32' || tensor.dtype === 'I32') &&
        (name.endsWith('.qweight') || names.has(`${base}.scales`));
      if (
        QUANT_OVERHEAD.some((s) => name.endsWith(s)) &&
        (names.has(`${base}.weight`) || names.has(`${base}.qweight`))
      )
        continue;
      if (packed) parameters += (elements * 32) / (bits ?? 4);
      else {
        parameters += elements;
        bytesByDtype.set(tensor.dtype, (bytesByDtype.get(tensor.dtype) ?? 0) + bytes);
      }
    }
    weightBytes += end;
  }
  const facts: SafetensorsFacts = { parameters: Math.round(parameters), weightBytes };
  const top = [...bytesByDtype.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const dtype = top === undefined ? undefined : DTYPE_NAMES[top];
  if (dtype) facts.dtype = dtype;
  return facts;
}

/** Parse one header's JSON text; undefined when it is not a safetensors header. */
export function parseSafetensorsHeader(text: string): SafetensorsHeader | undefined {
  try {
    const header = JSON.parse(text) as unknown;
    return typeof header === 'object' && header !== null && !Array.isArray(header)
      ? (header as SafetensorsHeader)
      : undefined;
  } catch {
    return undefined;
  }
}
