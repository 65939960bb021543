/**
 * The WebAssembly elementwise kernels (ReLU, GELU, firstNonFinite, the optimizer loops) refuse a
 * range [lo, hi) outside their arrays with one RangeError naming the kernel, rather than copying
 * what lies past an array's end into wasm memory and writing back what the last call left there.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";
import {
  adagradKernelWasm,
  adamKernelWasm,
  firstNonFiniteWasm,
  geluBackwardWasm,
  geluForwardWasm,
  geluForwardWithGradWasm,
  lionKernelWasm,
  reluForwardWasm,
  rmspropKernelWasm,
  sgdKernelWasm,
} from "../../../tensor/kernels/wasm/mod.ts";

const skip = wasmSimdSupported() ? false : "this runtime has no WebAssembly SIMD";

describe("WebAssembly elementwise kernels check their range", { skip }, () => {
  const n = 40;
  const f = () => new Float32Array(n).fill(0.5);
  const short = new Float32Array(n - 3);
  // [name, call(lo, hi), call with one array shorter than hi (n − 3 floats; GELU's d: n − 1)].
  const kernels: Array<[string, (lo: number, hi: number) => unknown, () => unknown]> = [
    [
      "reluForwardWasm",
      (lo, hi) => reluForwardWasm(f(), f(), lo, hi),
      () => reluForwardWasm(f(), short, 0, n),
    ],
    [
      "geluForwardWasm",
      (lo, hi) => geluForwardWasm(f(), f(), lo, hi),
      () => geluForwardWasm(short, f(), 0, n),
    ],
    [
      "geluBackwardWasm",
      (lo, hi) => geluBackwardWasm(f(), f(), f(), lo, hi),
      () => geluBackwardWasm(f(), short, f(), 0, n),
    ],
    [
      "geluForwardWithGradWasm",
      (lo, hi) => geluForwardWithGradWasm(f(), f(), new Float64Array(n), lo, hi),
      () => geluForwardWithGradWasm(f(), f(), new Float64Array(n - 1), 0, n),
    ],
    [
      "firstNonFiniteWasm",
      (lo, hi) => firstNonFiniteWasm(f(), lo, hi),
      () => firstNonFiniteWasm(short, 0, n),
    ],
    [
      "sgdKernelWasm",
      (lo, hi) => sgdKernelWasm(f(), f(), f(), lo, hi, 0.1, 0.9, 0, 0, 1, false, false),
      () => sgdKernelWasm(f(), f(), short, 0, n, 0.1, 0.9, 0, 0, 1, false, false),
    ],
    [
      "adamKernelWasm",
      (lo, hi) =>
        adamKernelWasm(f(), f(), f(), f(), null, lo, hi, 0.9, 0.999, 0.01, 0.1, 1e-8, 1, 0, 1),
      () => adamKernelWasm(f(), f(), f(), f(), short, 0, n, 0.9, 0.999, 0.01, 0.1, 1e-8, 1, 0, 1),
    ],
    [
      "rmspropKernelWasm",
      (lo, hi) => rmspropKernelWasm(f(), f(), f(), null, null, lo, hi, 0.01, 0.99, 1e-8, 0, 0, 1),
      () => rmspropKernelWasm(f(), f(), short, null, null, 0, n, 0.01, 0.99, 1e-8, 0, 0, 1),
    ],
    [
      "adagradKernelWasm",
      (lo, hi) => adagradKernelWasm(f(), f(), f(), lo, hi, 0.01, 1e-10, 0, 1),
      () => adagradKernelWasm(short, f(), f(), 0, n, 0.01, 1e-10, 0, 1),
    ],
    [
      "lionKernelWasm",
      (lo, hi) => lionKernelWasm(f(), f(), f(), lo, hi, 0.01, 0.9, 0.99, 1),
      () => lionKernelWasm(f(), short, f(), 0, n, 0.01, 0.9, 0.99, 1),
    ],
  ];
  for (const [name, call, shortCall] of kernels) {
    it(`${name} refuses hi past the end, a negative lo, lo > hi and a short array`, () => {
      call(0, n); // the whole range is fine
      call(3, 3); // and so is an empty one
      for (const [lo, hi] of [[0, n + 1], [-1, 4], [5, 4], [0.5, 4]]) {
        assert.throws(
          () => call(lo, hi),
          (e: unknown) =>
            e instanceof RangeError &&
            e.message.startsWith(`Cannot run ${name}: expected 0 ≤ lo ≤ hi ≤`),
        );
      }
      const shortLength = name === "geluForwardWithGradWasm" ? n - 1 : n - 3;
      assert.throws(shortCall, (e: unknown) =>
        e instanceof RangeError &&
        e.message ===
          `Cannot run ${name}: expected 0 ≤ lo ≤ hi ≤ ${shortLength} (integers), got lo 0, hi ${n}`);
    });
  }
});
