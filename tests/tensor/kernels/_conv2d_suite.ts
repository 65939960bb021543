/** Shared conv2d suite: every convolution version against the naive oracle on one config table. */

import { test } from "node:test";
import { assertClose } from "../../_helpers/assert_close.ts";
import { Rng } from "../../../tensor/rng.ts";
import {
  type conv2dBackwardInput,
  type conv2dBackwardWeight,
  type conv2dForward,
  type Conv2dGeometry,
  conv2dGeometry,
  type Conv2dGeometryInput,
  conv2dWorkspaceSize,
} from "../../../tensor/kernels/conv2d.ts";
import {
  conv2dBackwardInputNaive,
  conv2dBackwardWeightNaive,
  conv2dForwardNaive,
} from "../../../tensor/kernels/conv2d_naive.ts";

/** One interchangeable version; test names use the functions' names. Versions without a workspace ignore it. */
export interface Conv2dVersion {
  forward: typeof conv2dForward;
  backwardInput: typeof conv2dBackwardInput;
  backwardWeight: typeof conv2dBackwardWeight;
  skip?: string | false;
}

/** x [2, 3, 7, 6], weight [4, 3, 3, 3]: the geometry every config overrides. */
export const base: Conv2dGeometryInput = {
  n: 2,
  cIn: 3,
  h: 7,
  w: 6,
  cOut: 4,
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

/** Strides, padding, dilation, groups, batch 1, odd sizes, plus shapes that cross kernels.wat's blocks (rows > 256, hw > 1024). */
export const configs: Array<[string, Partial<Conv2dGeometryInput>]> = [
  ["3×3 valid", {}],
  ["3×3 padding 1", { padH: 1, padW: 1 }],
  ["stride 2 padding 1", { strideH: 2, strideW: 2, padH: 1, padW: 1 }],
  ["dilation 2", { dilationH: 2, dilationW: 2, h: 9, w: 8 }],
  ["groups 2", { cIn: 4, cOut: 6, groups: 2, padH: 1, padW: 1 }],
  ["depthwise (groups = C_in)", { cIn: 3, cOut: 3, groups: 3, padH: 1, padW: 1 }],
  ["depthwise with multiplier 2, stride 2", { cIn: 3, cOut: 6, groups: 3, strideH: 2, strideW: 2 }],
  ["batch 1", { n: 1, cIn: 2, cOut: 5 }],
  ["1×1 stride 1 (direct path)", { kh: 1, kw: 1, cOut: 5 }],
  ["1×1 stride 2", { kh: 1, kw: 1, strideH: 2, strideW: 2 }],
  ["1×1 groups 3", { kh: 1, kw: 1, cIn: 6, cOut: 3, groups: 3 }],
  ["2×3 kernel, stride (2, 1), padding (0, 2), dilation (1, 2)", {
    kh: 2,
    kw: 3,
    strideH: 2,
    strideW: 1,
    padH: 0,
    padW: 2,
    dilationH: 1,
    dilationW: 2,
  }],
  ["kernel larger than input with padding", { h: 2, w: 2, padH: 1, padW: 1 }],
  ["kernel columns entirely in the padding", { h: 3, w: 1, kh: 3, kw: 5, padH: 1, padW: 2 }],
  ["odd sizes 17×5, stride 3", { h: 17, w: 5, strideH: 3, strideW: 3, padH: 2, padW: 1 }],
  ["LeNet-like 1→8 k5 on 12×12", { cIn: 1, cOut: 8, kh: 5, kw: 5, h: 12, w: 12 }],
  ["33 channels 3×3 (depth 297 > 256) on 35×33 (hw 1155 > 1024)", {
    n: 1,
    cIn: 33,
    cOut: 9,
    h: 35,
    w: 33,
    padH: 1,
    padW: 1,
  }],
];

/** Uniform values in [−1, 1). */
export function fill(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

/** Element counts of x [N, C_in, H, W], weight [C_out, C_in/groups, kh, kw] and y [N, C_out, H_out, W_out]. */
export function sizes(g: Conv2dGeometry): { x: number; weight: number; y: number } {
  return {
    x: g.n * g.cIn * g.h * g.w,
    weight: g.cOut * (g.cIn / g.groups) * g.kh * g.kw,
    y: g.n * g.cOut * g.hOut * g.wOut,
  };
}

const tol = { rtol: 1e-4, atol: 1e-5 };

/** Registers forward (with and without bias), backward-input and backward-weight tests per config and version. */
export function conv2dSuite(versions: Conv2dVersion[]): void {
  for (const v of versions) {
    const skip = v.skip ?? false;
    for (const [label, overrides] of configs) {
      const g = conv2dGeometry({ ...base, ...overrides });
      const size = sizes(g);
      // NaN in the workspace proves the kernels never read scratch they did not write.
      const workspace = () => new Float32Array(conv2dWorkspaceSize(g)).fill(NaN);

      for (const withBias of [true, false]) {
        test(
          `${v.forward.name}() matches conv2dForwardNaive: ${label}${withBias ? "" : ", no bias"}`,
          { skip },
          () => {
            const rng = new Rng(1);
            const x = fill(size.x, rng), weight = fill(size.weight, rng);
            const bias = withBias ? fill(g.cOut, rng) : null;
            const actual = new Float32Array(size.y).fill(NaN), expected = new Float32Array(size.y);
            v.forward(g, x, weight, bias, actual, workspace());
            conv2dForwardNaive(g, x, weight, bias, expected);
            assertClose(actual, expected, tol);
          },
        );
      }

      test(
        `${v.backwardInput.name}() matches conv2dBackwardInputNaive and overwrites gx: ${label}`,
        { skip },
        () => {
          const rng = new Rng(2);
          const gy = fill(size.y, rng), weight = fill(size.weight, rng);
          const actual = new Float32Array(size.x).fill(NaN), expected = new Float32Array(size.x);
          v.backwardInput(g, gy, weight, actual, workspace());
          conv2dBackwardInputNaive(g, gy, weight, expected);
          assertClose(actual, expected, tol);
        },
      );

      test(
        `${v.backwardWeight.name}() matches conv2dBackwardWeightNaive and accumulates: ${label}`,
        { skip },
        () => {
          const rng = new Rng(3);
          const x = fill(size.x, rng), gy = fill(size.y, rng);
          const gw0 = fill(size.weight, rng), gb0 = fill(g.cOut, rng);
          const gw = gw0.slice(), gb = gb0.slice();
          const gwExpected = gw0.slice(), gbExpected = gb0.slice();
          v.backwardWeight(g, x, gy, gw, gb, workspace());
          conv2dBackwardWeightNaive(g, x, gy, gwExpected, gbExpected);
          assertClose(gw, gwExpected, tol);
          assertClose(gb, gbExpected, tol);
        },
      );
    }
  }
}
