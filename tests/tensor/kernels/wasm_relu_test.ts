/** reluForwardWasm (tensor/kernels/wasm/relu_wasm.ts): torch.relu's values, the same as elementwise.ts's loop. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { reluForwardWasm } from "../../../tensor/kernels/wasm/relu_wasm.ts";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";
import { ACTIVATIONS as ACTIVATIONS_TS } from "../../../tensor/kernels/elementwise.ts";
import { ACTIVATIONS, simdKernels } from "../../../tensor/kernels/mod.ts";

const skip = wasmSimdSupported() ? false : "this runtime has no WebAssembly SIMD";
const FLT_MAX = 3.4028234663852886e38;

describe("relu forward in WebAssembly", { skip }, () => {
  const n = 40000; // more than two chunks of 16384
  const special = [NaN, Infinity, -Infinity, 0, -0, FLT_MAX, -FLT_MAX, 1e-45, -1e-45, 0.5, -0.5];
  const input = (shared: boolean) => {
    const x = new Float32Array(shared ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
    for (let i = 0; i < n; i++) {
      x[i] = i % 5 === 0 ? special[(i / 5) % special.length] : Math.sin(i) * 3;
    }
    return x;
  };

  it("gives the TypeScript loop's values (Object.is: NaN, ±0, ±∞) in ranges, plain and shared, in place", () => {
    for (const shared of [false, true]) {
      const x = input(shared);
      for (const [lo, hi] of [[0, n], [1, n - 1], [16383, 16390], [7, 8], [5, 5], [100, 33000]]) {
        const [want, got] = [new Float32Array(n).fill(7), new Float32Array(n).fill(7)];
        ACTIVATIONS_TS.relu.forwardLoop!(x, want, 0, 0, lo, hi);
        reluForwardWasm(x, got, lo, hi);
        for (let i = 0; i < n; i++) {
          assert.ok(Object.is(got[i], want[i]), `[${lo}, ${hi}) at ${i}: ${got[i]} vs ${want[i]}`);
        }
      }
      const inPlace = x.slice();
      reluForwardWasm(inPlace, inPlace, 0, n);
      const want = new Float32Array(n);
      ACTIVATIONS_TS.relu.forwardLoop!(x, want, 0, 0, 0, n);
      assert.deepEqual(inPlace, want);
    }
  });

  it("maps -Infinity to 0 and keeps NaN, as torch.relu", () => {
    const x = Float32Array.from([-Infinity, NaN, Infinity, -0, -3]);
    reluForwardWasm(x, x, 0, x.length);
    assert.ok(Number.isNaN(x[1]));
    assert.deepEqual([x[0], x[2], x[3], x[4]], [0, Infinity, 0, 0]);
    assert.ok(Object.is(x[3], 0), "+0 for -0");
  });

  it("is relu's forward loop in the kernels' table where the SIMD kernels run", () => {
    assert.equal(ACTIVATIONS.relu.forwardLoop !== ACTIVATIONS_TS.relu.forwardLoop, simdKernels);
    const x = new Float32Array(5000).fill(-Infinity);
    const y = new Float32Array(5000).fill(NaN);
    ACTIVATIONS.relu.forwardLoop!(x, y, 0, 0, 0, 5000);
    assert.ok(y.every((v) => Object.is(v, 0)));
  });
});
