/** im2col / col2im: the unfolding against its definition, the adjoint identity, and accumulation. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../_helpers/assert_close.ts";
import { Rng } from "../../../tensor/rng.ts";
import {
  type Conv2dGeometry,
  conv2dGeometry,
  type Conv2dGeometryInput,
} from "../../../tensor/kernels/conv2d.ts";
import { col2im, im2col } from "../../../tensor/kernels/im2col.ts";

const base: Conv2dGeometryInput = {
  n: 1,
  cIn: 2,
  h: 5,
  w: 6,
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
};

const configs: Array<[string, Partial<Conv2dGeometryInput>]> = [
  ["3×3 valid", {}],
  ["3×3 padding 1", { padH: 1, padW: 1 }],
  ["padding 2 stride 2", { padH: 2, padW: 2, strideH: 2, strideW: 2 }],
  ["stride (3, 2) dilation (2, 1)", { strideH: 3, strideW: 2, dilationH: 2, dilationW: 1, h: 9 }],
  ["1×1 kernel", { kh: 1, kw: 1 }],
  ["kernel wider than input with padding", { h: 1, w: 2, kh: 3, kw: 5, padH: 1, padW: 2 }],
  ["odd 17×3 input, 2×3 kernel, stride (4, 1), padding (1, 3)", {
    h: 17,
    w: 3,
    kh: 2,
    kw: 3,
    strideH: 4,
    padH: 1,
    padW: 3,
  }],
];

/** cols by the definition: one entry at a time, 0 in the padding. */
function im2colReference(
  x: Float32Array,
  xOffset: number,
  c: number,
  g: Conv2dGeometry,
): Float32Array {
  const { h, w, kh, kw, hOut, wOut } = g;
  const cols = new Float32Array(c * kh * kw * hOut * wOut);
  for (let ci = 0; ci < c; ci++) {
    for (let p = 0; p < kh; p++) {
      for (let q = 0; q < kw; q++) {
        for (let i = 0; i < hOut; i++) {
          for (let j = 0; j < wOut; j++) {
            const ih = i * g.strideH - g.padH + p * g.dilationH;
            const iw = j * g.strideW - g.padW + q * g.dilationW;
            const inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
            cols[(((ci * kh + p) * kw + q) * hOut + i) * wOut + j] = inside
              ? x[xOffset + (ci * h + ih) * w + iw]
              : 0;
          }
        }
      }
    }
  }
  return cols;
}

function fill(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

for (const [label, overrides] of configs) {
  const g = conv2dGeometry({ ...base, ...overrides });
  const c = g.cIn, xSize = c * g.h * g.w, colSize = c * g.kh * g.kw * g.hOut * g.wOut;

  test(`im2col() matches its definition at nonzero offsets: ${label}`, () => {
    const rng = new Rng(5);
    const x = fill(3 + xSize, rng);
    const cols = new Float32Array(4 + colSize + 2).fill(NaN);
    im2col(x, 3, c, g.h, g.w, g, cols, 4);
    assertClose(cols.subarray(4, 4 + colSize), im2colReference(x, 3, c, g));
    for (const i of [0, 1, 2, 3, 4 + colSize, 5 + colSize]) {
      assert.ok(Number.isNaN(cols[i]), `cols[${i}] was written`);
    }
  });

  test(`col2im() is the adjoint of im2col() and accumulates: ${label}`, () => {
    const rng = new Rng(6);
    const x = fill(xSize, rng), colsIn = fill(colSize, rng);
    const cols = new Float32Array(colSize);
    im2col(x, 0, c, g.h, g.w, g, cols, 0);
    const gx = new Float32Array(2 + xSize).fill(1);
    col2im(colsIn, 0, c, g.h, g.w, g, gx, 2);
    // ⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩, where col2im(C) = gx − 1 because gx started at 1.
    let lhs = 0, rhs = 0;
    for (let i = 0; i < colSize; i++) lhs += cols[i] * colsIn[i];
    for (let i = 0; i < xSize; i++) rhs += x[i] * (gx[2 + i] - 1);
    assertClose(rhs, lhs, { rtol: 1e-4, atol: 1e-5 });
    assert.deepEqual([gx[0], gx[1]], [1, 1]);
  });
}

test("im2col() unfolds a hand-checked 3×3 input with a 2×2 kernel", () => {
  const g = conv2dGeometry({ ...base, cIn: 1, h: 3, w: 3, kh: 2, kw: 2 });
  const cols = new Float32Array(16);
  im2col(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 0, 1, 3, 3, g, cols, 0);
  assert.deepEqual(Array.from(cols), [1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9]);
});

test("col2im() sums overlapping windows of a hand-checked 3×3 input", () => {
  const g = conv2dGeometry({ ...base, cIn: 1, h: 3, w: 3, kh: 2, kw: 2 });
  const gx = new Float32Array(9);
  col2im(new Float32Array(16).fill(1), 0, 1, 3, 3, g, gx, 0);
  assert.deepEqual(Array.from(gx), [1, 2, 1, 2, 4, 2, 1, 2, 1]);
});
