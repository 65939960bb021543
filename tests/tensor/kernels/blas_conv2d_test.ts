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

/** V8 runs Winograd fast enough to keep 3×3 layers with ≥ 16 inputs per group; Bun's engine does not. */
const underBun = String(globalThis.navigator?.userAgent).startsWith("Bun/");

/** [shape, geometry overrides, expected picks for forward, dL/dx, dL/dweight] of the measured table. */
const picks: Array<
  [string, Partial<Parameters<typeof conv2dGeometry>[0]>, [boolean, boolean, boolean]]
> = [
  ["lenet conv1 1→8 k5 (dL/dweight: too few outputs)", {
    cIn: 1,
    cOut: 8,
    h: 28,
    w: 28,
    kh: 5,
    kw: 5,
  }, [true, true, false]],
  ["lenet conv2 8→16 k3 (too few inputs for Winograd)", { cIn: 8, cOut: 16, h: 12, w: 12 }, [
    true,
    true,
    true,
  ]],
  ["mnist-cnn conv2 16→32 k5", { cIn: 16, cOut: 32, h: 12, w: 12, kh: 5, kw: 5 }, [
    true,
    true,
    true,
  ]],
  ["CIFAR conv1 3→32 k3 p1", { cIn: 3, cOut: 32, h: 32, w: 32, padH: 1, padW: 1 }, [
    true,
    true,
    true,
  ]],
  ["resnet-small 16→16 k3 p1 (Winograd under V8)", {
    cIn: 16,
    cOut: 16,
    h: 28,
    w: 28,
    padH: 1,
    padW: 1,
  }, [underBun, underBun, underBun]],
  ["CIFAR conv2 32→64 k3 p1 (Winograd under V8)", {
    cIn: 32,
    cOut: 64,
    h: 16,
    w: 16,
    padH: 1,
    padW: 1,
  }, [underBun, underBun, underBun]],
  ["3×3 dilation 2 32→64 (not Winograd)", {
    cIn: 32,
    cOut: 64,
    h: 16,
    w: 16,
    dilationH: 2,
    dilationW: 2,
  }, [true, true, true]],
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
  [
    "depthwise 32 stride 2 (a tiny GEMM per sample and group)",
    { cIn: 32, cOut: 32, groups: 32, h: 16, w: 16, strideH: 2, strideW: 2 },
    [false, false, false],
  ],
  [
    "grouped 64→64 in 2 groups k3 (32 per group: Winograd under V8)",
    { cIn: 64, cOut: 64, groups: 2, h: 16, w: 16, padH: 1, padW: 1 },
    [underBun, underBun, underBun],
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
