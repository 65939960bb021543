/**
 * Builds safetensors files byte by byte, independently of train/safetensors.ts, the way
 * PyTorch's `safetensors.torch.save_file` lays them out (header, then each tensor's
 * little-endian bytes in order). F16/BF16 values are given as raw 16-bit patterns.
 */

export interface FixtureTensor {
  name: string;
  dtype: string;
  shape: number[];
  values: number[];
}

const SIZES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

function writeValue(view: DataView, at: number, dtype: string, v: number): void {
  switch (dtype) {
    case "F64":
      return view.setFloat64(at, v, true);
    case "F32":
      return view.setFloat32(at, v, true);
    case "F16":
    case "BF16":
      return view.setUint16(at, v, true);
    case "I64":
      return view.setBigInt64(at, BigInt(v), true);
    case "I32":
      return view.setInt32(at, v, true);
    case "I16":
      return view.setInt16(at, v, true);
    case "I8":
      return view.setInt8(at, v);
    default:
      return view.setUint8(at, v);
  }
}

/**
 * @param rawHeader replaces the generated header text entirely (for broken JSON)
 * @param mutate edits the header object after the offsets are computed (for broken entries)
 */
export function buildSafetensors(
  tensors: FixtureTensor[],
  metadata?: Record<string, string>,
  rawHeader?: string,
  mutate?: (header: Record<string, unknown>) => void,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.values.length * SIZES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  mutate?.(header);
  const headerBytes = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    for (const v of t.values) {
      writeValue(view, at, t.dtype, v);
      at += SIZES[t.dtype];
    }
  }
  return out;
}
