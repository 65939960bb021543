/**
 * kernels.wat's im2col and col2im (its `im2col` export, add 0 and 1), which the blas version's
 * convolutions call (tensor/kernels/blas/conv2d_blas.ts), against im2col.ts's: the same values
 * bit for bit, over geometries where every window is inside the image (the row-copy path),
 * with padding, strides along rows or columns only, dilation, and rows not a multiple of four.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { col2im, im2col } from "../../../tensor/kernels/im2col.ts";
import { conv2dGeometry } from "../../../tensor/kernels/conv2d.ts";
import { bestInstance, windowArgs, WORK_END } from "../../../tensor/kernels/wasm/_instance.ts";
import { Rng } from "../../../tensor/rng.ts";

const skip = bestInstance === null ? "this runtime has no WebAssembly SIMD" : false;

const GEOMETRIES: [string, Partial<Parameters<typeof conv2dGeometry>[0]>][] = [
  ["every window inside, 5×5 on 12×12 (rows of 8)", { cIn: 3, h: 12, w: 12, kh: 5, kw: 5 }],
  ["every window inside, rows of 7", { cIn: 2, h: 9, w: 11, kh: 3, kw: 5 }],
  ["every window inside, stride 2 down, 1 across", { cIn: 2, h: 13, w: 10, strideH: 2 }],
  ["padding 1", { cIn: 2, h: 8, w: 9, padH: 1, padW: 1 }],
  ["padding 1, rows of 10 (nine copied: a ragged end)", { cIn: 2, h: 6, w: 10, padH: 1, padW: 1 }],
  ["padding 2 on a 5×5 kernel, rows of 3", { cIn: 1, h: 3, w: 3, kh: 5, kw: 5, padH: 2, padW: 2 }],
  ["stride 2 with padding", { cIn: 2, h: 10, w: 10, strideH: 2, strideW: 2, padH: 1, padW: 1 }],
  ["stride 1 down, 3 across", { cIn: 1, h: 7, w: 13, strideW: 3 }],
  ["dilation 2", { cIn: 2, h: 11, w: 12, dilationH: 2, dilationW: 2, padH: 1, padW: 2 }],
  ["a kernel wider than the padded image's inside", {
    cIn: 1,
    h: 2,
    w: 2,
    kh: 3,
    kw: 3,
    padH: 1,
    padW: 1,
  }],
];

for (const [name, overrides] of GEOMETRIES) {
  test(`kernels.wat im2col and col2im = im2col.ts's: ${name}`, { skip }, () => {
    const g = conv2dGeometry({
      n: 1,
      cIn: 1,
      h: 8,
      w: 8,
      cOut: 1,
      kh: 3,
      kw: 3,
      strideH: 1,
      strideW: 1,
      padH: 0,
      padW: 0,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
      ...overrides,
    });
    const instance = bestInstance!;
    const rng = new Rng(7);
    const c = g.cIn, hwIn = g.h * g.w, rows = c * g.kh * g.kw, hw = g.hOut * g.wOut;
    const x = Float32Array.from({ length: c * hwIn }, () => rng.normal());
    const xAt = WORK_END >> 2, colsAt = xAt + Math.ceil((c * hwIn) / 4) * 4;
    const heap = instance.reserve(4 * (colsAt + rows * hw));
    const call = (add: number) =>
      instance.exports.im2col(
        4 * xAt,
        c,
        g.h,
        g.w,
        ...windowArgs(g),
        g.hOut,
        g.wOut,
        4 * colsAt,
        add,
      );

    const expected = new Float32Array(rows * hw);
    im2col(x, 0, c, g.h, g.w, g, expected, 0);
    heap.set(x, xAt);
    heap.fill(NaN, colsAt, colsAt + rows * hw); // every entry must be written, padding too
    call(0);
    assert.deepEqual(heap.slice(colsAt, colsAt + rows * hw), expected);

    // col2im adds onto what dL/dx holds: same sums, same order.
    const cols = Float32Array.from({ length: rows * hw }, () => rng.normal());
    const gx = Float32Array.from({ length: c * hwIn }, () => rng.normal());
    const folded = gx.slice();
    col2im(cols, 0, c, g.h, g.w, g, folded, 0);
    heap.set(gx, xAt);
    heap.set(cols, colsAt);
    call(1);
    assert.deepEqual(heap.slice(xAt, xAt + c * hwIn), folded);
    assert.notDeepEqual(folded, gx);
  });
}
