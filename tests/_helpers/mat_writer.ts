/**
 * A small MATLAB level-5 MAT-file writer for tests (the reader's round trips and hostile
 * files): either byte order, optional miCOMPRESSED, and hooks to make files lie (storage
 * type, flags, declared sizes, header fields).
 */

/** Data element types (MAT-File Format, table 1-1). */
export const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
} as const;

/** Array class codes (table 1-3). */
export const MX = {
  cell: 1,
  struct: 2,
  char: 4,
  sparse: 5,
  double: 6,
  single: 7,
  int8: 8,
  uint8: 9,
  int16: 10,
  uint16: 11,
  int32: 12,
  uint32: 13,
  int64: 14,
} as const;

const STORAGE: Record<number, number> = {
  6: MI.DOUBLE,
  7: MI.SINGLE,
  8: MI.INT8,
  9: MI.UINT8,
  10: MI.INT16,
  11: MI.UINT16,
  12: MI.INT32,
  13: MI.UINT32,
  14: MI.INT64,
};
const WIDTH: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 2,
  5: 4,
  6: 4,
  7: 4,
  9: 8,
  12: 8,
  13: 8,
};

/** One variable to write. */
export interface MatVar {
  name: string;
  /** Class name (`"double"`, `"uint8"`, …) or any class code (hostile files). */
  class: keyof typeof MX | number;
  dims: number[];
  /** Values in column-major order. */
  data: ArrayLike<number>;
  /** Storage type of the values. @default the class's own (uint8 → miUINT8) */
  storage?: number;
  /** Extra array-flag bits: 0x800 complex, 0x400 global, 0x200 logical. */
  flags?: number;
  /** Byte count written in the real part's tag instead of the true one (a lying size). */
  declaredBytes?: number;
  /** Write the values (≤ 4 bytes) in the small element format, as MATLAB does for scalars. */
  smallData?: boolean;
}

/** Options of {@link encodeMat}. */
export interface EncodeMatOptions {
  /** @default true */
  littleEndian?: boolean;
  /** Wrap each variable in miCOMPRESSED (zlib). @default false */
  compress?: boolean;
  /** Header text. @default "MATLAB 5.0 MAT-file, written by shardgrad tests" */
  text?: string;
  /** Header version. @default 0x0100 */
  version?: number;
}

/** A whole MAT-file: header plus one element per variable. */
export async function encodeMat(
  vars: MatVar[],
  options: EncodeMatOptions = {},
): Promise<Uint8Array> {
  const le = options.littleEndian ?? true;
  const parts = [matHeader(options)];
  for (const v of vars) {
    const element = matrixElement(v, le);
    parts.push(options.compress ? await compressElement(element, le) : element);
  }
  return concat(parts);
}

/** The 128-byte header: text, blank subsystem offset, version and endian indicator. */
export function matHeader(options: EncodeMatOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const h = new Uint8Array(128).fill(0x20, 0, 124);
  h.set(
    new TextEncoder().encode(options.text ?? "MATLAB 5.0 MAT-file, written by shardgrad tests"),
  );
  new DataView(h.buffer).setUint16(124, options.version ?? 0x0100, le);
  h.set(new TextEncoder().encode(le ? "IM" : "MI"), 126);
  return h;
}

/** One tagged miMATRIX element for `v` (names of ≤ 4 bytes in the small element format, as MATLAB writes them). */
export function matrixElement(v: MatVar, le: boolean): Uint8Array {
  const classCode = typeof v.class === "number" ? v.class : MX[v.class];
  const flags = new Uint8Array(8);
  new DataView(flags.buffer).setUint32(0, classCode | (v.flags ?? 0), le);
  const dims = new Uint8Array(4 * v.dims.length);
  v.dims.forEach((d, i) => new DataView(dims.buffer).setInt32(4 * i, d, le));
  const name = new TextEncoder().encode(v.name);
  const storage = v.storage ?? STORAGE[classCode] ?? MI.DOUBLE;
  const values = encodeValues(v.data, storage, le);
  return element(
    MI.MATRIX,
    le,
    concat([
      element(MI.UINT32, le, flags),
      element(MI.INT32, le, dims),
      name.length <= 4 && name.length > 0
        ? smallElement(MI.INT8, le, name)
        : element(MI.INT8, le, name),
      v.smallData
        ? smallElement(storage, le, values)
        : element(storage, le, values, v.declaredBytes),
    ]),
  );
}

/** A miCOMPRESSED element holding `inner` (a whole tagged element) as a zlib stream. */
export async function compressElement(inner: Uint8Array, le: boolean): Promise<Uint8Array> {
  const z = await zlib(inner);
  const tag = new Uint8Array(8);
  const view = new DataView(tag.buffer);
  view.setUint32(0, MI.COMPRESSED, le);
  view.setUint32(4, z.length, le);
  return concat([tag, z]);
}

/** zlib-wrapped deflate (CompressionStream "deflate"). */
export async function zlib(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A tagged element: type, byte count (or `declared`), data, zero padding to 8 bytes. */
export function element(
  type: number,
  le: boolean,
  data: Uint8Array,
  declared?: number,
): Uint8Array {
  const out = new Uint8Array(8 + Math.ceil(data.length / 8) * 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, le);
  view.setUint32(4, declared ?? data.length, le);
  out.set(data, 8);
  return out;
}

/** The small data element format: ≤ 4 bytes packed into the tag. */
export function smallElement(type: number, le: boolean, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, (data.length << 16) | type, le);
  out.set(data, 4);
  return out;
}

function encodeValues(data: ArrayLike<number>, storage: number, le: boolean): Uint8Array {
  const width = WIDTH[storage];
  const out = new Uint8Array(data.length * width);
  const v = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const x = data[i], at = i * width;
    switch (storage) {
      case MI.INT8:
        v.setInt8(at, x);
        break;
      case MI.UINT8:
        v.setUint8(at, x);
        break;
      case MI.INT16:
        v.setInt16(at, x, le);
        break;
      case MI.UINT16:
        v.setUint16(at, x, le);
        break;
      case MI.INT32:
        v.setInt32(at, x, le);
        break;
      case MI.UINT32:
        v.setUint32(at, x, le);
        break;
      case MI.SINGLE:
        v.setFloat32(at, x, le);
        break;
      case MI.DOUBLE:
        v.setFloat64(at, x, le);
        break;
      case MI.INT64:
        v.setBigInt64(at, BigInt(x), le);
        break;
      default:
        v.setBigUint64(at, BigInt(x), le);
    }
  }
  return out;
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.length;
  return out;
}
