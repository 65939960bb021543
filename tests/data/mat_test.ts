import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { type MatFile, parseMat } from "../../data/mat.ts";
import {
  compressElement,
  concat,
  element,
  encodeMat,
  matHeader,
  matrixElement,
  type MatVar,
  MI,
  MX,
  zlib,
} from "../_helpers/mat_writer.ts";

const fixture = (name: string) =>
  readFile(new URL(`./fixtures/${name}`, import.meta.url)).then((b) => new Uint8Array(b));

/** What tests/data/fixtures/make_mat_fixtures.py saved in scipy_mixed*.mat, column-major. */
const SCIPY_MIXED: Record<
  string,
  { class: string; dims: number[]; data: number[]; logical?: boolean }
> = {
  a: { class: "double", dims: [2, 3], data: [1, 4, 2, 5, 3, 6.5] },
  u8: {
    class: "uint8",
    dims: [2, 3, 4],
    // numpy arange(24).reshape(2, 3, 4)[i, j, k] = 12i + 4j + k, listed with i fastest.
    data: Array.from(
      { length: 24 },
      (_, n) => 12 * (n % 2) + 4 * (Math.floor(n / 2) % 3) + Math.floor(n / 6),
    ),
  },
  i32: { class: "int32", dims: [3, 1], data: [-7, 0, 2 ** 31 - 1] },
  f32: { class: "single", dims: [1, 2], data: [1.5, -2.25] },
  flag: { class: "uint8", dims: [1, 2], data: [1, 0], logical: true },
  x: { class: "double", dims: [1, 1], data: [3] },
  i16: { class: "int16", dims: [1, 2], data: [-300, 300] },
  u16: { class: "uint16", dims: [1, 1], data: [65535] },
  i8: { class: "int8", dims: [1, 2], data: [-128, 127] },
  u32: { class: "uint32", dims: [1, 1], data: [4294967295] },
  empty: { class: "double", dims: [0, 3], data: [] },
};

function assertMixed(mat: MatFile, file: string): void {
  assert.deepEqual([...mat.variables.keys()], Object.keys(SCIPY_MIXED), file);
  for (const [name, want] of Object.entries(SCIPY_MIXED)) {
    const v = mat.variables.get(name)!;
    assert.equal(v.class, want.class, `${file} ${name} class`);
    assert.deepEqual(v.dims, want.dims, `${file} ${name} dims`);
    assert.deepEqual(Array.from(v.data), want.data, `${file} ${name} data`);
    assert.equal(v.logical, want.logical ?? false, `${file} ${name} logical`);
  }
}

for (const file of ["scipy_mixed.mat", "scipy_mixed_compressed.mat"]) {
  test(`parseMat() reads SciPy's ${file}: 11 variables of 8 classes, values column-major`, async () => {
    const mat = await parseMat(await fixture(file), file);
    assert.ok(mat.littleEndian);
    assert.match(mat.description, /^MATLAB 5\.0 MAT-file Platform: posix/);
    assertMixed(mat, file);
    assert.ok(mat.variables.get("a")!.data instanceof Float64Array);
    assert.ok(mat.variables.get("i16")!.data instanceof Int16Array);
  });
}

for (const file of ["scipy_svhn_like.mat", "scipy_svhn_like_uncompressed.mat"]) {
  test(`parseMat() reads SciPy's ${file}: X uint8 [32, 32, 3, 3] column-major, y double [3, 1]`, async () => {
    const mat = await parseMat(await fixture(file), file);
    const x = mat.variables.get("X")!;
    assert.equal(x.class, "uint8");
    assert.deepEqual(x.dims, [32, 32, 3, 3]);
    for (const [r, c, ch, i] of [[0, 0, 0, 0], [5, 9, 1, 2], [31, 30, 2, 1], [17, 0, 0, 1]]) {
      assert.equal(
        x.data[r + 32 * c + 1024 * ch + 3072 * i],
        (r * 7 + c * 3 + ch * 50 + i * 11) % 256,
      );
    }
    const y = mat.variables.get("y")!;
    assert.equal(y.class, "double");
    assert.deepEqual(y.dims, [3, 1]);
    assert.deepEqual(Array.from(y.data), [10, 1, 7]);
  });
}

test("parseMat() refuses SciPy's cell array and struct with a TypeError naming the variable", async () => {
  await assert.rejects(parseMat(await fixture("scipy_cell.mat"), "scipy_cell.mat"), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(
      e.message,
      /^Cannot read scipy_cell\.mat: variable "c" \[1, 2\] is a cell array; only real numeric/,
    );
    return true;
  });
  await assert.rejects(
    parseMat(await fixture("scipy_struct.mat"), "scipy_struct.mat"),
    /scipy_struct\.mat: in the compressed element at byte 128, variable "s" \[1, 1\] is a struct/,
  );
});

const ALL_CLASSES: MatVar[] = [
  { name: "d", class: "double", dims: [2, 2], data: [0.1, -1e300, NaN, Infinity] },
  { name: "s", class: "single", dims: [1, 3], data: [0.5, -3.25, NaN] },
  { name: "i8", class: "int8", dims: [2, 1], data: [-128, 127] },
  { name: "u8", class: "uint8", dims: [1, 3], data: [0, 128, 255] },
  { name: "i16", class: "int16", dims: [1, 2], data: [-32768, 32767] },
  { name: "u16", class: "uint16", dims: [1, 2], data: [0, 65535] },
  { name: "long_name_int32", class: "int32", dims: [1, 2, 1], data: [-(2 ** 31), 2 ** 31 - 1] },
  { name: "u32", class: "uint32", dims: [1, 1], data: [2 ** 32 - 1] },
  { name: "scalar", class: "uint8", dims: [1, 1], data: [42], smallData: true },
  { name: "narrow", class: "double", dims: [3, 1], data: [10, 1, 7], storage: MI.UINT8 },
];

for (const littleEndian of [true, false]) {
  for (const compress of [false, true]) {
    test(`parseMat() round-trips every numeric class (${littleEndian ? "little" : "big"}-endian, ${compress ? "compressed" : "uncompressed"})`, async () => {
      const bytes = await encodeMat(ALL_CLASSES, { littleEndian, compress });
      const mat = await parseMat(bytes, "t.mat");
      assert.equal(mat.littleEndian, littleEndian);
      for (const v of ALL_CLASSES) {
        const got = mat.variables.get(v.name)!;
        assert.equal(got.class, v.class, v.name);
        assert.deepEqual(got.dims, v.dims, v.name);
        assert.deepEqual(Array.from(got.data), Array.from(v.data), v.name);
      }
      assert.ok(
        mat.variables.get("narrow")!.data instanceof Float64Array,
        "miUINT8 storage widened to double",
      );
    });
  }
}

test("parseMat() results never share memory with the input (uncompressed uint8 is copied)", async () => {
  const bytes = await encodeMat([{ name: "X", class: "uint8", dims: [2, 2], data: [1, 2, 3, 4] }]);
  const before = bytes.slice();
  const x = (await parseMat(bytes, "t.mat")).variables.get("X")!;
  x.data.fill(9);
  assert.deepEqual(bytes, before);
});

const u8 = (data: number[]): MatVar => ({
  name: "X",
  class: "uint8",
  dims: [1, data.length],
  data,
});

test("parseMat() refuses a stored value that does not fit the class (300 or 1.5 as uint8, NaN as int32)", async () => {
  for (
    const [v, shown] of [
      [{ ...u8([0]), data: [300], storage: MI.DOUBLE }, "300"],
      [{ ...u8([0]), data: [1.5], storage: MI.DOUBLE }, "1.5"],
      [{ name: "k", class: "int32", dims: [1, 2], data: [1, NaN], storage: MI.DOUBLE }, "NaN"],
    ] as [MatVar, string][]
  ) {
    await assert.rejects(
      parseMat(await encodeMat([v]), "t.mat"),
      new RegExp(`\\(\\w+\\): element \\d is ${shown}, which does not fit the array's class`),
    );
  }
});

test("parseMat() refuses sparse, char, int64 and complex arrays by name (TypeError)", async () => {
  for (
    const [v, what] of [
      [{ ...u8([1]), class: MX.sparse }, "a sparse array"],
      [{ ...u8([1]), class: MX.char, storage: MI.UINT16 }, "a char array"],
      [{ ...u8([1]), class: MX.int64, storage: MI.INT64 }, "a int64"],
      [{ ...u8([1]), class: 99 }, "of unknown class 99"],
      [{ ...u8([1, 2]), class: "double", flags: 0x800 }, "complex"],
    ] as [MatVar, string][]
  ) {
    await assert.rejects(parseMat(await encodeMat([v]), "t.mat"), (e: Error) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.ok(e.message.startsWith(`Cannot read t.mat: variable "X" [1, `), e.message);
      assert.ok(e.message.includes(what), e.message);
      return true;
    });
  }
});

test("parseMat() names a truncated file at every cut inside a variable (compressed and not)", async () => {
  for (const compress of [false, true]) {
    const bytes = await encodeMat([u8([1, 2, 3, 4, 5]), { ...u8([7, 8]), name: "Y" }], {
      compress,
    });
    const boundary = 128 + (compress ? 8 + new DataView(bytes.buffer).getUint32(132, true) : 64);
    for (let cut = 129; cut < bytes.length; cut++) {
      if (cut === boundary) continue; // a whole first variable is a valid file
      await assert.rejects(
        parseMat(bytes.subarray(0, cut), "cut.mat"),
        (e: Error) =>
          e instanceof SyntaxError &&
          /^Cannot read cut\.mat: .*at byte \d+: truncated/.test(e.message),
        `cut at ${cut} (compressed: ${compress})`,
      );
    }
  }
});

test("parseMat() refuses lying sizes before allocating: tag of 4 GB, dims of 2^31 × 2^31, too few bytes", async () => {
  const huge = concat([matHeader(), element(MI.MATRIX, true, new Uint8Array(8), 2 ** 32 - 1)]);
  await assert.rejects(
    parseMat(huge, "t.mat"),
    /at byte 128: truncated or lying size: miMATRIX element declares 4294967295 bytes, only 8 remain/,
  );
  const dims = await encodeMat([{ ...u8([1, 2]), dims: [2 ** 31 - 1, 2 ** 31 - 1] }]);
  await assert.rejects(
    parseMat(dims, "t.mat"),
    /variable "X" \[2147483647, 2147483647\] needs 4611686\d+ elements .* holds 2 bytes/,
  );
  const short = await encodeMat([{ ...u8([1, 2, 3]), declaredBytes: 2 }]);
  await assert.rejects(
    parseMat(short, "t.mat"),
    /needs 3 elements \(3 bytes of miUINT8\), its data element holds 2 bytes/,
  );
  const long = await encodeMat([{ ...u8([1, 2, 3]), declaredBytes: 200 }]);
  await assert.rejects(
    parseMat(long, "t.mat"),
    /miUINT8 element declares 200 bytes, only \d+ remain/,
  );
  const negative = await encodeMat([{ ...u8([]), dims: [-1, 0] }]);
  await assert.rejects(parseMat(negative, "t.mat"), /negative dimension -1/);
});

test("parseMat() bounds compressed elements: a 4 GB inner tag, maxBytes, more data than declared, corrupt zlib", async () => {
  const bomb = new Uint8Array(16);
  new DataView(bomb.buffer).setUint32(0, MI.MATRIX, true);
  new DataView(bomb.buffer).setUint32(4, 2 ** 32 - 9, true);
  const bombFile = concat([matHeader(), await compressElement(bomb, true)]);
  await assert.rejects(parseMat(bombFile, "bomb.mat"), (e: Error) => {
    assert.ok(e instanceof RangeError, String(e));
    assert.match(
      e.message,
      /^Cannot read bomb\.mat: the compressed element at byte 128 declares 4294967295 bytes once decompressed, more than the limit of \d+/,
    );
    return true;
  });
  const ok = await encodeMat([u8(Array.from({ length: 1000 }, (_, i) => i % 7))], {
    compress: true,
  });
  assert.equal((await parseMat(ok, "t.mat")).variables.get("X")!.data.length, 1000);
  await assert.rejects(
    parseMat(ok, "t.mat", { maxBytes: 500 }),
    /declares 10\d\d bytes once decompressed, more than the limit of 500/,
  );
  // The inner tag claims 8 bytes less than the stream holds.
  const inner = matrixElement(u8([1, 2, 3]), true);
  new DataView(inner.buffer).setUint32(4, inner.length - 16, true);
  const tooLong = concat([matHeader(), await compressElement(inner, true)]);
  await assert.rejects(
    parseMat(tooLong, "t.mat"),
    /decompresses to more than the \d+ bytes its tag declares/,
  );
  const z = await zlib(matrixElement(u8([1, 2, 3]), true));
  z[2] = 0x07; // first deflate block of the reserved type 3
  const corrupt = concat([matHeader(), element(MI.COMPRESSED, true, z).subarray(0, 8 + z.length)]);
  await assert.rejects(
    parseMat(corrupt, "t.mat"),
    (e: Error) => e instanceof SyntaxError && /byte 128 is not valid zlib data/.test(e.message),
  );
});

test("parseMat() refuses v7.3 (HDF5) files by header text, version 0x0200 and HDF5 signature", async () => {
  const v73 = matHeader({
    text: "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: x HDF5 schema 1.00 .",
  });
  await assert.rejects(
    parseMat(v73, "v73.mat"),
    /^SyntaxError: Cannot read v73\.mat: it is a MATLAB v7\.3 \(HDF5\) file/,
  );
  await assert.rejects(
    parseMat(matHeader({ version: 0x0200 }), "t.mat"),
    /v7\.3 \(HDF5\) file \(header version 0x0200\)/,
  );
  const hdf5 = concat([
    matHeader(),
    new Uint8Array(384),
    Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a),
  ]);
  await assert.rejects(parseMat(hdf5, "t.mat"), /v7\.3 \(HDF5\) file/);
});

test("parseMat() refuses non-v5 headers: short file, wrong endian indicator, unknown version, bad subsystem offset", async () => {
  await assert.rejects(
    parseMat(new Uint8Array(100), "t.mat"),
    /it is 100 bytes, shorter than the 128-byte MAT-file header/,
  );
  const v4 = matHeader();
  v4.set([0, 0], 126);
  await assert.rejects(
    parseMat(v4, "t.mat"),
    /endian indicator at byte 126 is "\\u0000\\u0000", expected "IM" or "MI" \(a MAT v4 file/,
  );
  await assert.rejects(
    parseMat(matHeader({ version: 0x0300 }), "t.mat"),
    /unknown header version 0x0300, expected 0x0100/,
  );
  const sub = matHeader();
  new DataView(sub.buffer).setBigUint64(116, 4096n, true);
  await assert.rejects(
    parseMat(sub, "t.mat"),
    /subsystem data offset 4096 lies outside the file \(128 bytes\)/,
  );
});

test("parseMat() refuses a duplicate variable name and a top-level element that is not a variable", async () => {
  await assert.rejects(
    parseMat(await encodeMat([u8([1]), u8([2])]), "t.mat"),
    /variable "X" appears twice/,
  );
  const stray = concat([matHeader(), element(MI.DOUBLE, true, new Uint8Array(8))]);
  await assert.rejects(
    parseMat(stray, "t.mat"),
    /at byte 128: expected a variable \(miMATRIX or miCOMPRESSED\), found miDOUBLE/,
  );
});

test("parseMat() reads a header-only file as no variables, and ignores trailing zero padding", async () => {
  assert.equal((await parseMat(matHeader(), "t.mat")).variables.size, 0);
  const padded = concat([await encodeMat([u8([5])]), new Uint8Array(4)]);
  assert.deepEqual(Array.from((await parseMat(padded, "t.mat")).variables.get("X")!.data), [5]);
});

test("parseMat() checks its call: bytes must be a Uint8Array, options only maxBytes (an integer ≥ 0)", async () => {
  const file = await encodeMat([u8([1])]);
  await assert.rejects(
    parseMat([1, 2] as never),
    /Cannot run parseMat: expected the file's bytes as a Uint8Array, got/,
  );
  await assert.rejects(
    parseMat(file, "t.mat", { maxByte: 5 } as never),
    /unknown option "maxByte" \(did you mean "maxBytes"\?/,
  );
  await assert.rejects(
    parseMat(file, "t.mat", { maxBytes: -1 }),
    /expected maxBytes to be an integer ≥ 0, got -1/,
  );
  await assert.rejects(
    (parseMat as (...a: unknown[]) => Promise<unknown>)(file, "t.mat", {}, 4),
    /expected at most 3 arguments, got 4/,
  );
});
