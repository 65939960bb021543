/** conv2d on WebAssembly SIMD (tensor/kernels/wasm/conv2d_wasm.ts) against the naive oracle. */

import { test } from "node:test";
import { assertClose } from "../../_helpers/assert_close.ts";
import { base, conv2dSuite, fill, sizes } from "./_conv2d_suite.ts";
import { conv2dGeometry, type Conv2dGeometryInput } from "../../../tensor/kernels/conv2d.ts";
import {
  conv2dBackwardInputNaive,
  conv2dBackwardWeightNaive,
  conv2dForwardNaive,
} from "../../../tensor/kernels/conv2d_naive.ts";
import {
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
} from "../../../tensor/kernels/wasm/conv2d_wasm.ts";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";
import { Rng } from "../../../tensor/rng.ts";

const skip = wasmSimdSupported() ? false : "this runtime has no WebAssembly SIMD";

conv2dSuite([{
  forward: conv2dForwardWasm,
  backwardInput: conv2dBackwardInputWasm,
  backwardWeight: conv2dBackwardWeightWasm,
  skip,
}]);

/**
 * Shapes for the paths of conv2d_wasm.ts the shared table does not reach: batches large enough
 * to be split into several sample blocks (about 100 KiB per sample here against 512 KiB blocks,
 * so blocks of 5 and a last partial block), group counts whose outputs per group are not a
 * multiple of the 4-row tile, outputs computed on their real rows rather than flat over the
 * padded ones, and backward-input geometries that fall back to im2col.
 */
const wasmConfigs: Array<[string, Partial<Conv2dGeometryInput>]> = [
  ["37 samples in blocks, padding 1", { n: 37, cIn: 8, cOut: 12, h: 24, w: 24, padH: 1, padW: 1 }],
  ["37 samples in blocks, 2 groups of 4 → 6, no padding", {
    n: 37,
    cIn: 8,
    cOut: 12,
    groups: 2,
    h: 24,
    w: 24,
  }],
  ["dilation 2 with padding 2, C_in 4", {
    n: 3,
    cIn: 4,
    cOut: 5,
    h: 9,
    w: 11,
    padH: 2,
    padW: 2,
    dilationH: 2,
    dilationW: 2,
  }],
  ["padding larger than (k − 1)·dilation (im2col backward input)", {
    cIn: 4,
    h: 5,
    w: 5,
    padH: 3,
    padW: 1,
  }],
  ["1×1 with padding 1, C_in 4", { cIn: 4, kh: 1, kw: 1, padH: 1, padW: 1 }],
  ["C_out 1, 5×5", { n: 9, cIn: 4, cOut: 1, kh: 5, kw: 5, h: 12, w: 12 }],
  // forward and weight gradient on the real 8-wide output rows of 12-wide planes, backward input
  // on im2col (gy 8×8 padded to 16×16 by the 5×5 kernel: 3× the taps of the real work)
  ["mnist-cnn conv2 at N 5: 16 → 32, 5×5, 12×12", {
    n: 5,
    cIn: 16,
    cOut: 32,
    kh: 5,
    kw: 5,
    h: 12,
    w: 12,
  }],
  // real output rows 7 wide (weight gradient: rounded up to 8 with a zero column), C_out 6 a
  // 4-output block and two single outputs
  ["output rows 7 wide, C_out 6, 5×5", { n: 3, cIn: 4, cOut: 6, kh: 5, kw: 5, h: 13, w: 11 }],
];

const tol = { rtol: 1e-4, atol: 1e-5 };
// gw sums up to 37·24·24 ≈ 2·10⁴ products of magnitude ≤ 1: float32 rounding of partial sums
// near 10² is ~1e-5, so a cancelling total is only that close in absolute terms.
const gwTol = { rtol: 1e-4, atol: 1e-4 };

for (const [label, overrides] of wasmConfigs) {
  const g = conv2dGeometry({ ...base, ...overrides });
  const size = sizes(g);

  test(`conv2dForwardWasm() matches conv2dForwardNaive: ${label}`, { skip }, () => {
    const rng = new Rng(4);
    const x = fill(size.x, rng), weight = fill(size.weight, rng), bias = fill(g.cOut, rng);
    const actual = new Float32Array(size.y).fill(NaN), expected = new Float32Array(size.y);
    conv2dForwardWasm(g, x, weight, bias, actual);
    conv2dForwardNaive(g, x, weight, bias, expected);
    assertClose(actual, expected, tol);
  });

  test(`conv2dBackwardInputWasm() matches conv2dBackwardInputNaive: ${label}`, { skip }, () => {
    const rng = new Rng(5);
    const gy = fill(size.y, rng), weight = fill(size.weight, rng);
    const actual = new Float32Array(size.x).fill(NaN), expected = new Float32Array(size.x);
    conv2dBackwardInputWasm(g, gy, weight, actual);
    conv2dBackwardInputNaive(g, gy, weight, expected);
    assertClose(actual, expected, tol);
  });

  test(`conv2dBackwardWeightWasm() matches conv2dBackwardWeightNaive: ${label}`, { skip }, () => {
    const rng = new Rng(6);
    const x = fill(size.x, rng), gy = fill(size.y, rng);
    const gw = fill(size.weight, rng), gb = fill(g.cOut, rng);
    const gwExpected = gw.slice(), gbExpected = gb.slice();
    conv2dBackwardWeightWasm(g, x, gy, gw, gb);
    conv2dBackwardWeightNaive(g, x, gy, gwExpected, gbExpected);
    assertClose(gw, gwExpected, gwTol);
    assertClose(gb, gbExpected, gwTol);
  });
}
