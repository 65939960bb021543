/** conv2d of the blas version (tensor/kernels/blas/conv2d_blas.ts): the shared conv2d suite on im2col + gemmBlas and on the chosen kernels. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { conv2dSuite } from "./_conv2d_suite.ts";
import { blasLibrary, blasUnavailableReason } from "../../../tensor/kernels/blas/gemm_blas.ts";
import {
  blasConvPays,
  conv2dBackwardInputBlas,
  conv2dBackwardInputIm2colBlas,
  conv2dBackwardWeightBlas,
  conv2dBackwardWeightIm2colBlas,
  conv2dForwardBlas,
  conv2dForwardIm2colBlas,
} from "../../../tensor/kernels/blas/conv2d_blas.ts";
import { conv2dGeometry } from "../../../tensor/kernels/conv2d.ts";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";

const skip = blasLibrary() === null
  ? `no CBLAS library here (${blasUnavailableReason()}); CI installs libopenblas0-pthread`
  : !wasmSimdSupported()
  ? "this runtime has no WebAssembly SIMD (the blas version's other convolutions)"
  : false;

conv2dSuite([
  {
    forward: conv2dForwardIm2colBlas,
    backwardInput: conv2dBackwardInputIm2colBlas,
    backwardWeight: conv2dBackwardWeightIm2colBlas,
    skip,
  },
  {
    forward: conv2dForwardBlas,
    backwardInput: conv2dBackwardInputBlas,
    backwardWeight: conv2dBackwardWeightBlas,
    skip,
  },
]);

test(
  "conv2dForwardIm2colBlas() refuses a workspace smaller than conv2dWorkspaceSize",
  { skip },
  () => {
    const g = conv2dGeometry({
      n: 1,
      cIn: 2,
      h: 5,
      w: 5,
      cOut: 3,
      kh: 3,
      kw: 3,
      strideH: 1,
      strideW: 1,
      padH: 0,
      padW: 0,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    });
    assert.throws(
      () =>
        conv2dForwardIm2colBlas(
          g,
          new Float32Array(50),
          new Float32Array(54),
          null,
          new Float32Array(27),
          new Float32Array(10),
        ),
      /Cannot run conv2dForwardIm2colBlas: workspace has 10 floats, need 162 \(conv2dWorkspaceSize\)/,
    );
  },
);

/** Bun's JavaScriptCore runs the Winograd and tap kernels slower: the table has rows of its own there. */
const underBun = String(globalThis.navigator?.userAgent).startsWith("Bun/");

/** [shape, geometry overrides, expected picks for forward, dL/dx, dL/dweight] of the measured table. */
const picks: Array<
  [string, Partial<Parameters<typeof conv2dGeometry>[0]>, [boolean, boolean, boolean]]
> = [
  ["lenet conv1 1→8 k5 (too few outputs)", { cIn: 1, cOut: 8, h: 28, w: 28, kh: 5, kw: 5 }, [
    false,
    false,
    false,
  ]],
  ["lenet conv2 8→16 k3 (Winograd/taps)", { cIn: 8, cOut: 16, h: 12, w: 12 }, [
    false,
    false,
    false,
  ]],
  ["mnist-cnn conv2 16→32 k5", { cIn: 16, cOut: 32, h: 12, w: 12, kh: 5, kw: 5 }, [
    true,
    true,
    true,
  ]],
  ["5×5 8→32 (too few channel pairs)", { cIn: 8, cOut: 32, h: 12, w: 12, kh: 5, kw: 5 }, [
    false,
    true,
    false,
  ]],
  ["CIFAR conv1 3→32 k3 p1", { cIn: 3, cOut: 32, h: 32, w: 32, padH: 1, padW: 1 }, [
    underBun,
    true,
    false,
  ]],
  ["CIFAR conv2 32→64 k3 p1 (Winograd)", { cIn: 32, cOut: 64, h: 16, w: 16, padH: 1, padW: 1 }, [
    underBun,
    underBun,
    underBun,
  ]],
  ["3×3 64→128 on 8×8 (Winograd, both runtimes)", {
    cIn: 64,
    cOut: 128,
    h: 8,
    w: 8,
    padH: 1,
    padW: 1,
  }, [false, false, false]],
  ["1×1 64→64 (one GEMM)", { cIn: 64, cOut: 64, h: 16, w: 16, kh: 1, kw: 1 }, [true, true, true]],
  ["3×3 stride 2 32→64", {
    cIn: 32,
    cOut: 64,
    h: 16,
    w: 16,
    strideH: 2,
    strideW: 2,
    padH: 1,
    padW: 1,
  }, [true, true, true]],
  ["5×5 32→64 p2", { cIn: 32, cOut: 64, h: 16, w: 16, kh: 5, kw: 5, padH: 2, padW: 2 }, [
    true,
    true,
    true,
  ]],
  [
    "depthwise 32 stride 2",
    { cIn: 32, cOut: 32, groups: 32, h: 16, w: 16, strideH: 2, strideW: 2 },
    [false, false, false],
  ],
];
for (const [name, overrides, expected] of picks) {
  test(`blasConvPays() picks the measured faster kernel per pass: ${name}`, () => {
    const g = conv2dGeometry({
      n: 8,
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
    const actual = (["forward", "backwardInput", "backwardWeight"] as const).map((pass) =>
      blasConvPays(g, pass)
    );
    assert.deepEqual(actual, expected);
  });
}

test(
  "dL/dweight after an im2col + sgemm forward reuses its im2col only while x holds the same values",
  { skip },
  () => {
    const g = conv2dGeometry({
      n: 3,
      cIn: 4,
      h: 9,
      w: 7,
      cOut: 5,
      kh: 3,
      kw: 2,
      strideH: 1,
      strideW: 2,
      padH: 1,
      padW: 1,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    });
    const random = (length: number, seed: number) =>
      Float32Array.from({ length }, (_, i) => Math.sin(seed * 1000 + i * 1.7));
    const x = random(g.n * g.cIn * g.h * g.w, 1), weight = random(g.cOut * g.cIn * 6, 2);
    const gy = random(g.n * g.cOut * g.hOut * g.wOut, 3);
    const y = new Float32Array(gy.length);
    const size = g.cIn * 6 * g.hOut * g.wOut;
    // dL/dweight of x as it is now, unfolded afresh (a workspace no forward used).
    const fresh = (input: Float32Array) => {
      const gw = new Float32Array(weight.length);
      conv2dBackwardWeightIm2colBlas(g, input, gy, gw, null, new Float32Array(size));
      return gw;
    };
    const workspace = new Float32Array(size);
    conv2dForwardIm2colBlas(g, x, weight, null, y, workspace);
    const kept = new Float32Array(weight.length);
    conv2dBackwardWeightIm2colBlas(g, x, gy, kept, null, workspace);
    assert.deepEqual(kept, fresh(x));
    // x changed after the forward: the kept im2col is stale and must not be used.
    x[17] += 1;
    const after = new Float32Array(weight.length);
    conv2dBackwardWeightIm2colBlas(g, x, gy, after, null, workspace);
    assert.deepEqual(after, fresh(x));
    assert.notDeepEqual(after, kept);
    // Another array with the same values is not the forward's input either.
    const copy = x.slice();
    conv2dForwardIm2colBlas(g, x, weight, null, y, workspace);
    const other = new Float32Array(weight.length);
    conv2dBackwardWeightIm2colBlas(g, copy, gy, other, null, workspace);
    assert.deepEqual(other, fresh(x));
    // A smaller batch in between (an eval chunk) reuses the arrays; the larger batch's
    // dL/dweight afterwards must not take the smaller one's matrices.
    const g2 = conv2dGeometry({ ...g, n: 2 });
    conv2dForwardIm2colBlas(g2, x.subarray(g.cIn * g.h * g.w), weight, null, y, workspace);
    const two = new Float32Array(weight.length);
    conv2dBackwardWeightIm2colBlas(g2, x.subarray(g.cIn * g.h * g.w), gy, two, null, workspace);
    const twoFresh = new Float32Array(weight.length);
    conv2dBackwardWeightIm2colBlas(
      g2,
      x.subarray(g.cIn * g.h * g.w),
      gy,
      twoFresh,
      null,
      new Float32Array(size),
    );
    assert.deepEqual(two, twoFresh);
    const three = new Float32Array(weight.length);
    conv2dBackwardWeightIm2colBlas(g, x, gy, three, null, workspace);
    assert.deepEqual(three, fresh(x));
  },
);
