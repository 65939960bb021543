/** gemmBlas (tensor/kernels/blas): the shared GEMM suite, shared memory, bounds, and the library search. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { assertClose } from "../../_helpers/assert_close.ts";
import { Rng } from "../../../tensor/rng.ts";
import { gemmNaive } from "../../../tensor/kernels/gemm_naive.ts";
import {
  blasLibrary,
  blasUnavailableReason,
  gemmBlas,
} from "../../../tensor/kernels/blas/gemm_blas.ts";
import { probeBlas } from "../../../tensor/kernels/blas/_search.ts";
import { gemmSuite } from "./_gemm_suite.ts";

const found = blasLibrary() !== null;
/** Why every test that needs a library is skipped here (printed once by the runner per test). */
const noLibrary = found
  ? false
  : `no CBLAS library here (${blasUnavailableReason()}); CI installs libopenblas0-pthread`;

gemmSuite([{ name: "gemmBlas", fn: found ? gemmBlas : null, skip: noLibrary }]);

test(
  "gemmBlas() multiplies SharedArrayBuffer-backed views in place (no copy)",
  { skip: noLibrary },
  () => {
    const shared = new Float32Array(new SharedArrayBuffer(4 * 64));
    const a = shared.subarray(0, 12), b = shared.subarray(16, 28), c = shared.subarray(32, 41);
    const rng = new Rng(9);
    for (let i = 0; i < 12; i++) [a[i], b[i]] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const expected = new Float32Array(9);
    gemmNaive(false, false, 3, 3, 4, 1, a, 0, 4, b, 0, 3, 0, expected, 0, 3);
    gemmBlas(false, false, 3, 3, 4, 1, a, 0, 4, b, 0, 3, 0, c, 0, 3);
    assertClose(c, expected, { rtol: 1e-6, atol: 1e-6 });
    // The same product read through offsets into the whole shared array.
    const c2 = new Float32Array(new SharedArrayBuffer(4 * 9));
    gemmBlas(false, false, 3, 3, 4, 1, shared, 0, 4, shared, 16, 3, 0, c2, 0, 3);
    assertClose(c2, expected, { rtol: 1e-6, atol: 1e-6 });
  },
);

const outOfRange: Array<[string, () => void, RegExp]> = [
  [
    "A shorter than [m, k]",
    () =>
      gemmBlas(
        false,
        false,
        3,
        2,
        4,
        1,
        new Float32Array(11),
        0,
        4,
        new Float32Array(8),
        0,
        2,
        0,
        new Float32Array(6),
        0,
        2,
      ),
    /A \[3, 4\] with row stride 4 from offset 0 needs 12 elements, its array has 11/,
  ],
  [
    "Bᵀ past its end by its offset",
    () =>
      gemmBlas(
        false,
        true,
        2,
        3,
        4,
        1,
        new Float32Array(8),
        0,
        4,
        new Float32Array(12),
        1,
        4,
        0,
        new Float32Array(6),
        0,
        3,
      ),
    /B \[3, 4\] with row stride 4 from offset 1 needs 13 elements, its array has 12/,
  ],
  [
    "C shorter than its stride says",
    () =>
      gemmBlas(
        false,
        false,
        2,
        2,
        2,
        1,
        new Float32Array(4),
        0,
        2,
        new Float32Array(4),
        0,
        2,
        0,
        new Float32Array(5),
        0,
        4,
      ),
    /C \[2, 2\] with row stride 4 from offset 0 needs 6 elements, its array has 5/,
  ],
  [
    "a row stride below the row length",
    () =>
      gemmBlas(
        false,
        false,
        2,
        2,
        3,
        1,
        new Float32Array(6),
        0,
        2,
        new Float32Array(6),
        0,
        2,
        0,
        new Float32Array(4),
        0,
        2,
      ),
    /A \[2, 3\] needs an offset ≥ 0 and a row stride ≥ 3, got offset 0, stride 2/,
  ],
  [
    "a negative offset",
    () =>
      gemmBlas(
        false,
        false,
        2,
        2,
        2,
        1,
        new Float32Array(4),
        -1,
        2,
        new Float32Array(4),
        0,
        2,
        0,
        new Float32Array(4),
        0,
        2,
      ),
    /A \[2, 2\] needs an offset ≥ 0/,
  ],
];
for (const [name, call, message] of outOfRange) {
  test(`gemmBlas() refuses ${name} before native code runs (RangeError naming the operand)`, {
    skip: noLibrary,
  }, () => {
    assert.throws(
      call,
      (error: unknown) => error instanceof RangeError && message.test(error.message),
    );
  });
}

test("gemmBlas() takes any row stride for a single row, as the other versions do", {
  skip: noLibrary,
}, () => {
  const a = new Float32Array([1, 2, 3]),
    b = new Float32Array([1, 1, 1, 2, 2, 2]),
    c = new Float32Array(2);
  gemmBlas(false, true, 1, 2, 3, 1, a, 0, 0, b, 0, 3, 0, c, 0, 0);
  assert.deepEqual(Array.from(c), [6, 12]);
});

test("blasLibrary() names a library limited to one thread", { skip: noLibrary }, () => {
  const info = blasLibrary()!;
  assert.ok(info.path.length > 0);
  assert.match(info.ffi, /^(Deno\.dlopen|bun:ffi)$/);
  if (info.vendor === "openblas") {
    assert.match(info.detail, /^OpenBLAS /);
    assert.equal(info.threads, "openblas_set_num_threads(1)");
  }
});

test("probeBlas() names each candidate it could not open and why", () => {
  const probe = probeBlas(undefined, [
    "/nonexistent/libopenblas.so.0",
    "/nonexistent/libblis.so.4",
  ]);
  assert.equal(probe.library, null);
  if (probe.unavailable !== null) return; // no FFI here: nothing was tried
  assert.equal(probe.skipped.length, 2);
  assert.match(probe.skipped[0], /^\/nonexistent\/libopenblas\.so\.0: .*No such file/);
  assert.match(probe.skipped[1], /^\/nonexistent\/libblis\.so\.4: /);
});

// Debian's reference BLAS: never picked by name alone, but used when SHARDGRAD_BLAS names it.
const REFERENCE = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
const noReference = existsSync(REFERENCE)
  ? false
  : `${REFERENCE} (Debian's libblas3) is not installed`;

test("probeBlas() refuses the reference BLAS found by name, timing it once", {
  skip: noLibrary || noReference,
}, () => {
  const probe = probeBlas(undefined, [REFERENCE]);
  assert.equal(probe.library, null);
  assert.match(
    probe.skipped[0],
    /looks like the reference BLAS \(\d+\.\d GFLOP\/s on a 128³ sgemm, below 10\); name it in SHARDGRAD_BLAS/,
  );
});

test("probeBlas() uses the reference BLAS when SHARDGRAD_BLAS names it, and says how fast it is", {
  skip: noLibrary || noReference,
}, () => {
  const probe = probeBlas(REFERENCE);
  assert.equal(probe.library?.vendor, "unknown");
  assert.match(probe.library!.detail, /GFLOP\/s on a 128³ sgemm/);
  const c = new Float32Array(4);
  const a = new Float32Array([1, 2, 3, 4]);
  probe.library!.sgemm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
  assert.deepEqual(Array.from(c), [7, 10, 15, 22]);
});
