import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeIdx, parseIdx, parseIdxImages, parseIdxLabels } from "../../data/idx.ts";

function header(type: number, dims: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length);
  out[2] = type;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return out;
}

test("parseIdx() reads uint8 images [N, H, W] as a view without copying", () => {
  const file = encodeIdx([2, 2, 3], Uint8Array.from({ length: 12 }, (_, i) => i * 10));
  const { images, n, h, w } = parseIdxImages(file, "imgs");
  assert.deepEqual([n, h, w], [2, 2, 3]);
  assert.deepEqual(Array.from(images), Array.from({ length: 12 }, (_, i) => i * 10));
  assert.equal(images.buffer, file.buffer);
});

test("parseIdx() decodes big-endian int32 and float32", () => {
  const ints = parseIdx(encodeIdx([3], Int32Array.from([-1, 70000, 5]), "int32"));
  assert.equal(ints.dtype, "int32");
  assert.deepEqual(Array.from(ints.data), [-1, 70000, 5]);
  const floats = parseIdx(encodeIdx([2], Float32Array.from([1.5, -2.25]), "float32"));
  assert.deepEqual(Array.from(floats.data), [1.5, -2.25]);
});

test("parseIdx() header claiming 2^31 items is a RangeError naming file, claim and size (no allocation)", () => {
  const file = new Uint8Array(16 + 784 * 2);
  file.set(header(0x08, [2 ** 31, 28, 28]));
  assert.throws(() => parseIdx(file, "huge-images-idx3-ubyte"), (e: Error) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /huge-images-idx3-ubyte/);
    assert.match(e.message, /\[2147483648, 28, 28\]/);
    assert.match(e.message, /1568 data bytes/);
    return true;
  });
});

test("parseIdx() header claiming 2^32-1 in every dimension is rejected, not allocated", () => {
  const file = header(0x08, [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
  assert.throws(() => parseIdx(file, "f"), RangeError);
});

test("parseIdx() truncated labels file names the claim and the actual size", () => {
  const file = new Uint8Array(8 + 3);
  file.set(header(0x08, [5]));
  assert.throws(
    () => parseIdxLabels(file, "labels.idx"),
    /labels\.idx.*5 items \(5 data bytes\).*holds 3 data bytes/,
  );
});

test("parseIdx() bad magic (still gzipped) is a SyntaxError", () => {
  assert.throws(
    () => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), "x.gz"),
    SyntaxError,
  );
  assert.throws(() => parseIdx(new Uint8Array([0, 0]), "short"), SyntaxError);
});

test("parseIdx() header declaring more dims than the file holds is a RangeError", () => {
  assert.throws(
    () => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]), "f"),
    /declares 3 dimensions/,
  );
});

test("parseIdxLabels() rejects a label ≥ numClasses", () => {
  assert.throws(
    () => parseIdxLabels(encodeIdx([3], Uint8Array.from([1, 10, 2])), "l", 10),
    /label 1 is 10/,
  );
});

test("parseIdxImages() rejects a labels file (wrong rank)", () => {
  assert.throws(() => parseIdxImages(encodeIdx([3], Uint8Array.from([1, 2, 3])), "l"), TypeError);
});
