/** Internal: the element types of safetensors and their little-endian conversions to and from float32. */

import type { Tensor } from "../tensor/tensor.ts";

/** Element types this reader understands (every one is converted to float32 on load). */
export type SafetensorsDtype =
  | "F64"
  | "F32"
  | "F16"
  | "BF16"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U8"
  | "BOOL";

/** Element types this writer produces: F32 for weights, I64 for integer buffers such as `num_batches_tracked`. */
export type WritableDtype = "F32" | "I64";

/** Bytes per element. */
export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
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

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian bytes of float32 values (a copy). */
export function float32Bytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

/** Little-endian int64 bytes of integer-valued float32 values; RangeError naming `name` otherwise. */
export function int64Bytes(tensor: Tensor, name: string): Uint8Array {
  const out = new Uint8Array(tensor.size * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < tensor.size; i++) {
    const v = tensor.data[i];
    if (!Number.isInteger(v)) {
      throw new RangeError(
        `Cannot write safetensors: "${name}" is written as I64 but element ${i} is ${v}, not an integer`,
      );
    }
    view.setBigInt64(i * 8, BigInt(v), true);
  }
  return out;
}

/** Decodes `raw` little-endian elements of `dtype` into float32. */
export function toFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const n = raw.length / DTYPE_BYTES[dtype];
  if (dtype === "F32" && LITTLE_ENDIAN_HOST) return new Float32Array(raw.slice().buffer);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  const read = READERS[dtype];
  for (let i = 0; i < n; i++) out[i] = read(view, i);
  return out;
}

const READERS: Record<SafetensorsDtype, (view: DataView, i: number) => number> = {
  F64: (v, i) => v.getFloat64(i * 8, true),
  F32: (v, i) => v.getFloat32(i * 4, true),
  F16: (v, i) => halfToFloat(v.getUint16(i * 2, true)),
  // bfloat16 is the top half of a float32.
  BF16: (v, i) => bf16ToFloat(v.getUint16(i * 2, true)),
  I64: (v, i) => Number(v.getBigInt64(i * 8, true)),
  I32: (v, i) => v.getInt32(i * 4, true),
  I16: (v, i) => v.getInt16(i * 2, true),
  I8: (v, i) => v.getInt8(i),
  U8: (v, i) => v.getUint8(i),
  BOOL: (v, i) => (v.getUint8(i) !== 0 ? 1 : 0),
};

const bf16Scratch = new DataView(new ArrayBuffer(4));
function bf16ToFloat(bits: number): number {
  bf16Scratch.setUint32(0, bits << 16);
  return bf16Scratch.getFloat32(0);
}

/** IEEE 754 binary16 → number: sign, 5-bit exponent (bias 15), 10-bit fraction; subnormals, ±Inf, NaN. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
