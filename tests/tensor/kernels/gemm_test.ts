/** gemm: every GEMM version against the naive oracle, plus hand-computed products. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { gemm } from "../../../tensor/kernels/gemm.ts";
import { gemmNaive } from "../../../tensor/kernels/gemm_naive.ts";
import { type Gemm, gemmSuite, type GemmVersion } from "./_gemm_suite.ts";

/** The interchangeable versions checked against gemmNaive by the shared suite. */
const versions: GemmVersion[] = [{ name: "gemm", fn: gemm }];

gemmSuite(versions);

const handCases: Array<[string, Gemm]> = [["gemmNaive", gemmNaive], ["gemm", gemm]];
for (const [name, fn] of handCases) {
  test(`${name}() computes a hand-checked 2×3 · 3×2 product with alpha and beta`, () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6]); // [2, 3]
    const b = new Float32Array([7, 8, 9, 10, 11, 12]); // [3, 2]
    const c = new Float32Array([1, 1, 1, 1]);
    fn(false, false, 2, 2, 3, 2, a, 0, 3, b, 0, 2, 10, c, 0, 2);
    // A·B = [[58, 64], [139, 154]]
    assert.deepEqual(Array.from(c), [126, 138, 288, 318]);
  });
  test(`${name}() computes Aᵀ·Bᵀ of hand-checked matrices`, () => {
    const a = new Float32Array([1, 4, 2, 5, 3, 6]); // [3, 2] = ([2, 3] above)ᵀ
    const b = new Float32Array([7, 9, 11, 8, 10, 12]); // [2, 3] = ([3, 2] above)ᵀ
    const c = new Float32Array(4);
    fn(true, true, 2, 2, 3, 1, a, 0, 2, b, 0, 3, 0, c, 0, 2);
    assert.deepEqual(Array.from(c), [58, 64, 139, 154]);
  });
}
