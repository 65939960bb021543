/** firstNonFiniteWasm (tensor/kernels/wasm/finite_wasm.ts): the same index as finite.ts's firstNonFinite. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { firstNonFiniteWasm } from "../../../tensor/kernels/wasm/finite_wasm.ts";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";
import { firstNonFinite } from "../../../tensor/kernels/finite.ts";
import { firstNonFinite as active, simdKernels } from "../../../tensor/kernels/mod.ts";

const skip = wasmSimdSupported() ? false : "this runtime has no WebAssembly SIMD";

describe("firstNonFinite in WebAssembly", { skip }, () => {
  const n = 40000; // more than two chunks of 16384
  const bads = [NaN, Infinity, -Infinity];
  it("finds the first non-finite at every kind of position, in ranges, in plain and shared arrays", () => {
    for (const shared of [false, true]) {
      const a = new Float32Array(shared ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
      for (let i = 0; i < n; i++) a[i] = (i % 13) - 6 + (i % 7) * 3.4e37; // large but finite
      assert.equal(firstNonFiniteWasm(a, 0, n), -1);
      for (const at of [0, 1, 15, 16, 17, 16383, 16384, 16399, 39990, n - 1]) {
        for (const bad of bads) {
          const b = a.slice();
          b[at] = bad;
          b[Math.min(n - 1, at + 5)] = NaN; // a later one must not win
          for (const [lo, hi] of [[0, n], [at, n], [Math.max(0, at - 3), at + 1], [at + 1, n]]) {
            assert.equal(
              firstNonFiniteWasm(b, lo, hi),
              firstNonFinite(b, lo, hi),
              `${bad} at ${at}, [${lo}, ${hi})`,
            );
          }
        }
      }
    }
  });

  it("is the firstNonFinite the kernels export where the SIMD kernels run", () => {
    const a = new Float32Array(5000);
    a[4321] = -Infinity;
    assert.equal(active(a, 0, 5000), 4321);
    assert.equal(active !== firstNonFinite, simdKernels);
  });
});
