/** Shared pool2d suites: every max/avg pooling version against the naive oracle on one config table. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../_helpers/assert_close.ts";
import { Rng } from "../../../tensor/rng.ts";
import {
  type avgPool2dBackward,
  type avgPool2dForward,
  type maxPool2dBackward,
  type maxPool2dForward,
  pool2dGeometry,
  type Pool2dGeometryInput,
} from "../../../tensor/kernels/pool2d.ts";
import {
  avgPool2dBackwardNaive,
  avgPool2dForwardNaive,
  maxPool2dBackwardNaive,
  maxPool2dForwardNaive,
} from "../../../tensor/kernels/pool2d_naive.ts";

/** A max-pooling version; without `maxBackward` only the forward pass is compared. Names come from the functions. */
export interface MaxPool2dVersion {
  maxForward: typeof maxPool2dForward;
  maxBackward?: typeof maxPool2dBackward;
  skip?: string | false;
}

/** An average-pooling version (forward and backward). */
export interface AvgPool2dVersion {
  avgForward: typeof avgPool2dForward;
  avgBackward: typeof avgPool2dBackward;
  skip?: string | false;
}

/** x [2, 3, 6, 6], 2×2 stride 2: the geometry every config overrides. */
export const base: Pool2dGeometryInput = {
  n: 2,
  c: 3,
  h: 6,
  w: 6,
  kh: 2,
  kw: 2,
  strideH: 2,
  strideW: 2,
  padH: 0,
  padW: 0,
  dilationH: 1,
  dilationW: 1,
  ceilMode: false,
};

/** Undilated configs (max and avg), including planes wide enough for the wasm 2×2 SIMD path and its edges. */
const configs: Array<[string, Partial<Pool2dGeometryInput>]> = [
  ["2×2 stride 2", {}],
  ["3×3 stride 2 padding 1 on 7×7", { kh: 3, kw: 3, padH: 1, padW: 1, h: 7, w: 7 }],
  ["3×3 stride 1 (overlapping)", { kh: 3, kw: 3, strideH: 1, strideW: 1 }],
  ["2×2 stride 3 (gaps)", { strideH: 3, strideW: 3, h: 8, w: 7 }],
  ["3×3 stride 2 ceil_mode on 6×6", { kh: 3, kw: 3, ceilMode: true }],
  ["2×2 stride 2 padding 1 ceil_mode on 5×5 (last window dropped)", {
    padH: 1,
    padW: 1,
    h: 5,
    w: 5,
    ceilMode: true,
  }],
  ["3×3 stride 2 padding 1 ceil_mode on 4×4", {
    kh: 3,
    kw: 3,
    padH: 1,
    padW: 1,
    h: 4,
    w: 4,
    ceilMode: true,
  }],
  ["2×3 kernel, stride (1, 2), padding (1, 0)", {
    kh: 2,
    kw: 3,
    strideH: 1,
    strideW: 2,
    padH: 1,
    padW: 0,
  }],
  ["batch 1, odd 17×5, 3×3 stride 3 ceil_mode", {
    n: 1,
    c: 1,
    h: 17,
    w: 5,
    kh: 3,
    kw: 3,
    strideH: 3,
    strideW: 3,
    ceilMode: true,
  }],
  ["2×2 stride 2 on 24×24 (LeNet, SIMD path)", { n: 3, c: 8, h: 24, w: 24 }],
  ["2×2 stride 2 on odd 13×19 (SIMD path and scalar edges)", { h: 13, w: 19 }],
  ["2×2 stride 2 ceil_mode on 9×21 (partial last window)", { h: 9, w: 21, ceilMode: true }],
  ["2×2 stride 2 on 256×256 planes (chunks of planes)", { n: 2, c: 5, h: 256, w: 256 }],
];

/** Dilated configs: max pooling only (avg pooling has no dilation). */
const maxOnlyConfigs: Array<[string, Partial<Pool2dGeometryInput>]> = [
  ["3×3 dilation 2 padding 1", {
    kh: 3,
    kw: 3,
    dilationH: 2,
    dilationW: 2,
    padH: 1,
    padW: 1,
    h: 9,
    w: 8,
  }],
  ["2×2 dilation (1, 3) ceil_mode", { dilationW: 3, w: 11, ceilMode: true }],
];

/** Uniform values, few levels (many ties), or uniform values sprinkled with NaN and ±∞. */
function values(length: number, rng: Rng, kind = "random values"): Float32Array {
  const out = new Float32Array(length);
  const special = [NaN, Infinity, -Infinity];
  for (let i = 0; i < length; i++) {
    if (kind === "many ties") out[i] = Math.floor(rng.random() * 3);
    else if (kind === "NaN and ±∞" && rng.random() < 0.1) {
      out[i] = special[Math.floor(rng.random() * 3)];
    } else out[i] = rng.uniform(-1, 1);
  }
  return out;
}

/** Registers one test() per version, config and input kind: y and argmax exactly, then gx if there is a backward. */
export function maxPool2dSuite(versions: MaxPool2dVersion[]): void {
  for (const v of versions) {
    const skip = v.skip ?? false;
    const names = v.maxBackward
      ? `${v.maxForward.name}() and ${v.maxBackward.name}() match`
      : `${v.maxForward.name}() matches`;
    for (const [label, overrides] of [...configs, ...maxOnlyConfigs]) {
      const g = pool2dGeometry({ ...base, ...overrides });
      const xSize = g.n * g.c * g.h * g.w, ySize = g.n * g.c * g.hOut * g.wOut;
      for (const kind of ["random values", "many ties", "NaN and ±∞"]) {
        test(`${names} the naive oracle exactly (${kind}): ${label}`, { skip }, () => {
          const rng = new Rng(7);
          const x = values(xSize, rng, kind), gy = values(ySize, rng);
          const y = new Float32Array(ySize).fill(42), yExpected = new Float32Array(ySize);
          const argmax = new Int32Array(ySize).fill(-7), argmaxExpected = new Int32Array(ySize);
          v.maxForward(g, x, y, argmax);
          maxPool2dForwardNaive(g, x, yExpected, argmaxExpected);
          assert.deepEqual(Array.from(y), Array.from(yExpected));
          assert.deepEqual(Array.from(argmax), Array.from(argmaxExpected));
          if (!v.maxBackward) return;
          const gx = new Float32Array(xSize).fill(NaN), gxExpected = new Float32Array(xSize);
          v.maxBackward(g, gy, argmax, gx);
          maxPool2dBackwardNaive(g, gy, argmaxExpected, gxExpected);
          assertClose(gx, gxExpected);
        });
      }
    }
  }
}

/** Registers one test() per version, undilated config, countIncludePad and divisorOverride. */
export function avgPool2dSuite(versions: AvgPool2dVersion[]): void {
  for (const v of versions) {
    const skip = v.skip ?? false;
    for (const [label, overrides] of configs) {
      const g = pool2dGeometry({ ...base, ...overrides });
      const xSize = g.n * g.c * g.h * g.w, ySize = g.n * g.c * g.hOut * g.wOut;
      for (const countIncludePad of [true, false]) {
        for (const divisorOverride of [null, 3]) {
          const options = `countIncludePad=${countIncludePad} divisorOverride=${divisorOverride}`;
          test(
            `${v.avgForward.name}() and ${v.avgBackward.name}() match the naive oracle (${options}): ${label}`,
            { skip },
            () => {
              const rng = new Rng(8);
              const x = values(xSize, rng), gy = values(ySize, rng);
              const y = new Float32Array(ySize).fill(NaN), yExpected = new Float32Array(ySize);
              v.avgForward(g, x, y, countIncludePad, divisorOverride);
              avgPool2dForwardNaive(g, x, yExpected, countIncludePad, divisorOverride);
              assertClose(y, yExpected);
              const gx = new Float32Array(xSize).fill(NaN), gxExpected = new Float32Array(xSize);
              v.avgBackward(g, gy, gx, countIncludePad, divisorOverride);
              avgPool2dBackwardNaive(g, gy, gxExpected, countIncludePad, divisorOverride);
              assertClose(gx, gxExpected);
            },
          );
        }
      }
    }
  }
}
