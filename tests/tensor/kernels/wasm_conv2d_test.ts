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
import { bestInstance } from "../../../tensor/kernels/wasm/_instance.ts";
import {
  winogradBackwardWeight,
  winogradWeightPays,
} from "../../../tensor/kernels/wasm/_conv2d_winograd_weight.ts";
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
  // Winograd F(2×2, 3×3) for forward and backward input (winogradPays estimates 0.7 to 0.85 for
  // each of these; winogradBackwardWeight runs on them below, where the taps would be chosen):
  // 2×2 tiles overhanging odd output edges and tile columns rounded up to 4, 8 + 5 samples per
  // block, outputs that fill the tiles exactly (16×16 from 18×18 unpadded, whose backward input
  // pads gy by 2), padding 2 (backward input unpadded), groups, odd channel counts
  ["Winograd: 13 samples in blocks, 16 → 24, 11×13, padding 1", {
    n: 13,
    cIn: 16,
    cOut: 24,
    h: 11,
    w: 13,
    padH: 1,
    padW: 1,
  }],
  ["Winograd: 16 → 16, 18×18, no padding", { n: 3, cIn: 16, cOut: 16, h: 18, w: 18 }],
  ["Winograd: 24 → 24, 9×10, padding 2", {
    n: 3,
    cIn: 24,
    cOut: 24,
    h: 9,
    w: 10,
    padH: 2,
    padW: 2,
  }],
  ["Winograd: 2 groups of 16 → 24, 12×12, padding 1", {
    n: 3,
    cIn: 32,
    cOut: 48,
    groups: 2,
    h: 12,
    w: 12,
    padH: 1,
    padW: 1,
  }],
  ["Winograd: 7 samples 16 → 26, 7×7, padding 1", {
    n: 7,
    cIn: 16,
    cOut: 26,
    h: 7,
    w: 7,
    padH: 1,
    padW: 1,
  }],
  ["Winograd: 30 → 34, 10×9, padding 1", {
    n: 3,
    cIn: 30,
    cOut: 34,
    h: 10,
    w: 9,
    padH: 1,
    padW: 1,
  }],
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

// winogradBackwardWeight itself on every Winograd shape above (winogradWeightPays leaves these
// small layers to the taps; CIFAR conv2 below reaches it through conv2dBackwardWeightWasm), onto a
// non-zero gw and gb.
for (const [label, overrides] of wasmConfigs.filter(([label]) => label.startsWith("Winograd"))) {
  const g = conv2dGeometry({ ...base, ...overrides });
  const size = sizes(g);

  test(`winogradBackwardWeight() matches conv2dBackwardWeightNaive: ${label}`, { skip }, () => {
    const rng = new Rng(8);
    const x = fill(size.x, rng), gy = fill(size.y, rng);
    const gw = fill(size.weight, rng), gb = fill(g.cOut, rng);
    const gwExpected = gw.slice(), gbExpected = gb.slice();
    winogradBackwardWeight(bestInstance!, g, x, gy, gw, gb);
    conv2dBackwardWeightNaive(g, x, gy, gwExpected, gbExpected);
    assertClose(gw, gwExpected, gwTol);
    assertClose(gb, gbExpected, gwTol);
  });
}

/**
 * max |actual − reference| / max |reference| of a float32 result against its float64 reference.
 */
function relativeError(actual: Float32Array, reference: Float64Array): number {
  let error = 0, scale = 0;
  for (let i = 0; i < actual.length; i++) {
    error = Math.max(error, Math.abs(actual[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return error / scale;
}

// Winograd's transforms add rounding error over the direct sum; on CIFAR conv2's channels and
// image size (random normal data) it must stay within float32 noise as PyTorch's own (~1e-6 for
// y and gx, ~2e-6 for gw), in all three passes (gw over 2 sample blocks).
test("conv2d*Wasm() on Winograd stay within 2e-6 of float64: CIFAR conv2 at N 4", { skip }, () => {
  const g = conv2dGeometry({ ...base, n: 4, cIn: 32, cOut: 64, h: 16, w: 16, padH: 1, padW: 1 });
  if (!winogradWeightPays(g)) {
    throw new Error("CIFAR conv2's weight gradient should run on Winograd");
  }
  const size = sizes(g), rng = new Rng(7);
  const normal = (length: number) => Float32Array.from({ length }, () => rng.normal());
  const x = normal(size.x), weight = normal(size.weight), gy = normal(size.y);
  const y = new Float32Array(size.y), gx = new Float32Array(size.x);
  const gw = new Float32Array(size.weight);
  conv2dForwardWasm(g, x, weight, null, y);
  conv2dBackwardInputWasm(g, gy, weight, gx);
  conv2dBackwardWeightWasm(g, x, gy, gw, null);
  const yRef = new Float64Array(size.y), gxRef = new Float64Array(size.x);
  const gwRef = new Float64Array(size.weight);
  const { n, cIn, cOut, h, w } = g;
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < cOut; o++) {
      for (let c = 0; c < cIn; c++) {
        for (let p = 0; p < 3; p++) {
          for (let q = 0; q < 3; q++) {
            const r = ((o * cIn + c) * 3 + p) * 3 + q, wv = weight[r];
            for (let i = Math.max(0, 1 - p); i < Math.min(h, h + 1 - p); i++) {
              for (let j = Math.max(0, 1 - q); j < Math.min(w, w + 1 - q); j++) {
                const xi = ((s * cIn + c) * h + i - 1 + p) * w + j - 1 + q;
                const yi = ((s * cOut + o) * h + i) * w + j;
                yRef[yi] += wv * x[xi];
                gxRef[xi] += wv * gy[yi];
                gwRef[r] += gy[yi] * x[xi];
              }
            }
          }
        }
      }
    }
  }
  const errors = [relativeError(y, yRef), relativeError(gx, gxRef), relativeError(gw, gwRef)];
  if (!errors.every((error) => error <= 2e-6)) {
    throw new Error(`relative errors (y, gx, gw) ${errors.join(", ")} exceed 2e-6`);
  }
});
