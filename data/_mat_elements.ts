/**
 * Internal: the tagged data elements of a level-5 MAT-file (MAT-File Format, sections
 * 1-2 and 1-3): tags in the normal and small formats, and one miMATRIX decoded into a
 * real numeric array, every size checked against the bytes present before allocating.
 */

import type { MatClass, MatData, MatVariable } from "./mat.ts";

/** Data element types (MAT-File Format, table 1-1). */
// deno-fmt-ignore
export const MI = {
  INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9,
  INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18,
} as const;
/** Bytes per value of each numeric storage type. */
// deno-fmt-ignore
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8 };
const MI_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(MI).map(([k, v]) => [v, `mi${k}`]),
);
/** Array class codes (table 1-3), for messages. */
const CLASS_NAMES = (",cell array,struct,object,char array,sparse array,double,single,int8,uint8," +
  "int16,uint16,int32,uint32,int64,uint64,function handle,opaque object").split(",");
/** Numeric class code → [name, typed array, the storage type that holds it unconverted]. */
// deno-fmt-ignore
const NUMERIC: Record<number, [MatClass, TypedArrayOf, number]> = {
  6: ["double", Float64Array, MI.DOUBLE], 7: ["single", Float32Array, MI.SINGLE],
  8: ["int8", Int8Array, MI.INT8], 9: ["uint8", Uint8Array, MI.UINT8],
  10: ["int16", Int16Array, MI.INT16], 11: ["uint16", Uint16Array, MI.UINT16],
  12: ["int32", Int32Array, MI.INT32], 13: ["uint32", Uint32Array, MI.UINT32],
};
type TypedArrayOf = {
  new (length: number): MatData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): MatData;
  readonly BYTES_PER_ELEMENT: number;
};
const FLAG_COMPLEX = 0x800;
const FLAG_LOGICAL = 0x200;

/** A data element's tag: its type and where its data lies. */
interface Tag {
  type: number;
  data: number;
  size: number;
  /** Where the next element starts (data padded to 8 bytes, or 8 for the small format). */
  next: number;
}

/** Reads tagged elements out of one buffer (the file, or one decompressed element). */
export class Elements {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
    readonly name: string,
    readonly context: string,
    /** The buffer is ours (inflated here): arrays may be views of it instead of copies. */
    readonly owned: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(pos: number, what: string): never {
    throw new SyntaxError(`Cannot read ${this.name}: ${this.context}at byte ${pos}: ${what}`);
  }

  /** The tag at `pos`; its data must end by `limit`. The small format packs ≤ 4 bytes into the tag. */
  tag(pos: number, limit: number, allowSmall: boolean): Tag {
    if (limit - pos < 8) {
      this.fail(pos, `truncated: a data element tag needs 8 bytes, ${limit - pos} remain`);
    }
    const first = this.view.getUint32(pos, this.le);
    if (first >>> 16 !== 0) {
      const size = first >>> 16;
      if (!allowSmall || size > 4) {
        this.fail(pos, `invalid data element tag 0x${first.toString(16)}`);
      }
      return { type: first & 0xffff, data: pos + 4, size, next: pos + 8 };
    }
    const size = this.view.getUint32(pos + 4, this.le);
    if (size > limit - pos - 8) {
      this.fail(
        pos,
        `truncated or lying size: ${typeName(first)} element declares ${size} bytes, ` +
          `only ${limit - pos - 8} remain`,
      );
    }
    return {
      type: first,
      data: pos + 8,
      size,
      next: Math.min(limit, pos + 8 + Math.ceil(size / 8) * 8),
    };
  }

  /** One miMATRIX whose content is `[start, end)`: flags, dimensions, name, real part. */
  matrix(start: number, end: number): MatVariable {
    const flagsTag = this.tag(start, end, true);
    if (flagsTag.type !== MI.UINT32 || flagsTag.size !== 8) {
      this.fail(
        start,
        `expected the array flags (miUINT32, 8 bytes), found ${
          typeName(flagsTag.type)
        } of ${flagsTag.size} bytes`,
      );
    }
    const flags = this.view.getUint32(flagsTag.data, this.le);
    const classCode = flags & 0xff;
    const dimsTag = this.tag(flagsTag.next, end, true);
    if (dimsTag.type !== MI.INT32 || dimsTag.size % 4 !== 0 || dimsTag.size < 8) {
      this.fail(
        flagsTag.next,
        `expected the dimensions (miINT32, at least 2), found ${
          typeName(dimsTag.type)
        } of ${dimsTag.size} bytes`,
      );
    }
    const dims: number[] = [];
    for (let at = dimsTag.data; at < dimsTag.data + dimsTag.size; at += 4) {
      const d = this.view.getInt32(at, this.le);
      if (d < 0) this.fail(at, `negative dimension ${d}`);
      dims.push(d);
    }
    const nameTag = this.tag(dimsTag.next, end, true);
    if (nameTag.type !== MI.INT8 && nameTag.type !== MI.UINT8) {
      this.fail(dimsTag.next, `expected the array name (miINT8), found ${typeName(nameTag.type)}`);
    }
    if (nameTag.size > 4096) this.fail(dimsTag.next, `an array name of ${nameTag.size} bytes`);
    const name = latin1(this.bytes.subarray(nameTag.data, nameTag.data + nameTag.size));
    const what = `variable "${name}" [${dims.join(", ")}]`;
    const numeric = NUMERIC[classCode];
    if (numeric === undefined) {
      throw new TypeError(
        `Cannot read ${this.name}: ${this.context}${what} is ${
          CLASS_NAMES[classCode] ? `a ${CLASS_NAMES[classCode]}` : `of unknown class ${classCode}`
        }; only real numeric arrays (double, single, int8–uint32) are supported`,
      );
    }
    if (flags & FLAG_COMPLEX) {
      throw new TypeError(
        `Cannot read ${this.name}: ${this.context}${what} is complex; only real arrays are supported`,
      );
    }
    const realTag = this.tag(nameTag.next, end, true);
    const width = MI_SIZE[realTag.type];
    if (width === undefined) {
      this.fail(nameTag.next, `${what}: expected numeric data, found ${typeName(realTag.type)}`);
    }
    const count = dims.reduce((a, b) => a * b, 1);
    if (count * width !== realTag.size) {
      this.fail(
        nameTag.next,
        `${what} needs ${count} elements (${count * width} bytes of ${typeName(realTag.type)}), ` +
          `its data element holds ${realTag.size} bytes`,
      );
    }
    const [cls, ArrayOf, storedAs] = numeric;
    const data = this.#convert(realTag, count, ArrayOf, storedAs, `${what} (${cls})`);
    return { name, class: cls, dims, data, logical: (flags & FLAG_LOGICAL) !== 0 };
  }

  /** The `count` stored values as the class's array, refusing any value that does not fit. */
  #convert(
    tag: Tag,
    count: number,
    ArrayOf: TypedArrayOf,
    storedAs: number,
    what: string,
  ): MatData {
    const { type, data, size } = tag;
    const width = ArrayOf.BYTES_PER_ELEMENT;
    if (type === storedAs && (width === 1 || this.le === LITTLE_ENDIAN_HOST)) {
      // As stored: a view of an inflated buffer (no second copy of a 1.6 GB array), else a copy.
      const at = this.bytes.byteOffset + data;
      if (this.owned && at % width === 0) return new ArrayOf(this.bytes.buffer, at, count);
      const out = new ArrayOf(count);
      new Uint8Array(out.buffer).set(this.bytes.subarray(data, data + size));
      return out;
    }
    const out = new ArrayOf(count);
    const float = out instanceof Float64Array || out instanceof Float32Array;
    const step = MI_SIZE[type];
    const read = READ[type];
    for (let i = 0; i < count; i++) {
      const x = read(this.view, data + i * step, this.le);
      out[i] = x;
      if (out[i] !== x && !(float && Number.isNaN(x))) {
        this.fail(
          data + i * step,
          `${what}: element ${i} is ${x}, which does not fit the array's class`,
        );
      }
    }
    return out;
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads one stored value of each numeric storage type. */
// deno-fmt-ignore
const READ: Record<number, (v: DataView, at: number, le: boolean) => number> = {
  [MI.INT8]: (v, at) => v.getInt8(at), [MI.UINT8]: (v, at) => v.getUint8(at),
  [MI.INT16]: (v, at, le) => v.getInt16(at, le), [MI.UINT16]: (v, at, le) => v.getUint16(at, le),
  [MI.INT32]: (v, at, le) => v.getInt32(at, le), [MI.UINT32]: (v, at, le) => v.getUint32(at, le),
  [MI.SINGLE]: (v, at, le) => v.getFloat32(at, le), [MI.DOUBLE]: (v, at, le) => v.getFloat64(at, le),
  [MI.INT64]: (v, at, le) => Number(v.getBigInt64(at, le)),
  [MI.UINT64]: (v, at, le) => Number(v.getBigUint64(at, le)),
};

export function typeName(type: number): string {
  return MI_NAME[type] ?? `unknown type ${type}`;
}

export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
