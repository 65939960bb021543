/** geluForwardWasm / geluBackwardWasm (tensor/kernels/wasm/gelu_wasm.ts): bit-for-bit the TypeScript loops. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  geluBackwardWasm,
  geluForwardWasm,
  geluForwardWithGradWasm,
} from "../../../tensor/kernels/wasm/gelu_wasm.ts";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";
import { ACTIVATIONS, scaleByDerivative } from "../../../tensor/kernels/elementwise.ts";
import { ACTIVATIONS as ACTIVE, simdKernels } from "../../../tensor/kernels/mod.ts";
import { Rng } from "../../../tensor/rng.ts";

const skip = wasmSimdSupported() ? false : "this runtime has no WebAssembly SIMD";
const gelu = ACTIVATIONS.gelu;

// Inputs across and beyond the tables' range (−6.0625, 5.9375), with every special value.
function inputs(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (rng.random() * 2 - 1) * (i % 7 === 0 ? 40 : 6.5);
  const special = [
    NaN,
    Infinity,
    -Infinity,
    -6.0625,
    5.9375,
    -0,
    0,
    1e30,
    -1e30,
    5.9374995,
    -6.062499,
  ];
  special.forEach((v, j) => {
    if (3 * j + 1 < n) x[3 * j + 1] = v;
  });
  return x;
}

function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      assert.fail(
        `${what}: element ${i} is ${actual[i]}, the TypeScript loop gives ${expected[i]}`,
      );
    }
  }
}

describe("GELU in WebAssembly", { skip }, () => {
  // Odd lengths, one pair, chunk boundaries (16384 floats a chunk) and offset ranges.
  const cases = [
    { n: 1, lo: 0, hi: 1 },
    { n: 2, lo: 0, hi: 2 },
    { n: 37, lo: 0, hi: 37 },
    { n: 300, lo: 3, hi: 291 },
    { n: 16384 * 2 + 5, lo: 0, hi: 16384 * 2 + 5 },
    { n: 40000, lo: 16383, hi: 39999 },
  ];
  for (const { n, lo, hi } of cases) {
    it(`forward and backward of ${n} inputs over [${lo}, ${hi})`, () => {
      const x = inputs(n, n);
      const gy = inputs(n, n + 1);
      const y = new Float32Array(n).fill(7), yTs = new Float32Array(n).fill(7);
      geluForwardWasm(x, y, lo, hi);
      gelu.forwardLoop(x, yTs, 0, 0, lo, hi);
      assertSameBits(y, yTs, "forward");
      const gx = new Float32Array(n).fill(7), gxTs = new Float32Array(n).fill(7);
      geluBackwardWasm(x, gy, gx, lo, hi);
      gelu.backwardLoop(x, gy, gxTs, 0, lo, hi);
      assertSameBits(gx, gxTs, "backward");
    });
  }

  for (const { n, lo, hi } of cases) {
    it(`forward with the derivative of ${n} inputs over [${lo}, ${hi}): y, d and gy·d as the loops`, () => {
      const x = inputs(n, n + 2);
      const gy = inputs(n, n + 3);
      const y = new Float32Array(n).fill(7), yTs = new Float32Array(n).fill(7);
      const d = new Float64Array(n).fill(7), dTs = new Float64Array(n).fill(7);
      geluForwardWithGradWasm(x, y, d, lo, hi);
      gelu.forwardWithGradLoop(x, yTs, dTs, 0, 0, lo, hi);
      assertSameBits(y, yTs, "forward");
      for (let i = 0; i < n; i++) {
        if (!Object.is(d[i], dTs[i])) assert.fail(`derivative ${i}: ${d[i]}, TypeScript ${dTs[i]}`);
      }
      const forwardOnly = new Float32Array(n).fill(7);
      gelu.forwardLoop(x, forwardOnly, 0, 0, lo, hi);
      assertSameBits(yTs, forwardOnly, "forwardWithGradLoop's y against forwardLoop");
      const gx = new Float32Array(n).fill(7), gxTs = new Float32Array(n).fill(7);
      scaleByDerivative(gy, d, gx, lo, hi);
      gelu.backwardLoop(x, gy, gxTs, 0, lo, hi);
      assertSameBits(gx, gxTs, "gy·d against backwardLoop");
    });
  }

  it("writes in place (y = x, gx = gy)", () => {
    const x = inputs(5001, 3), gy = inputs(5001, 4);
    const yTs = new Float32Array(5001), gxTs = new Float32Array(5001);
    gelu.forwardLoop(x, yTs, 0, 0, 0, 5001);
    gelu.backwardLoop(x, gy, gxTs, 0, 0, 5001);
    const gxIn = gy.slice();
    geluBackwardWasm(x, gxIn, gxIn, 0, 5001);
    assertSameBits(gxIn, gxTs, "backward in place");
    const xIn = x.slice();
    geluForwardWasm(xIn, xIn, 0, 5001);
    assertSameBits(xIn, yTs, "forward in place");
  });

  it("is the GELU row the kernels export where the SIMD kernels run", () => {
    const x = inputs(1000, 9), y = new Float32Array(1000), yTs = new Float32Array(1000);
    ACTIVE.gelu.forwardLoop(x, y, 0, 0, 0, 1000);
    gelu.forwardLoop(x, yTs, 0, 0, 0, 1000);
    assertSameBits(y, yTs, "exported row");
    assert.equal(ACTIVE.gelu !== gelu, simdKernels);
  });
});
