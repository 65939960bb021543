/**
 * sgd_blas.ts: SGD's plain-momentum and plain variants on the library's cblas_sscal and
 * cblas_saxpy give sgdKernel's bits (so PyTorch's), hand every other variant to the fallback,
 * check their ranges before native code writes, and are used only where saxpy is one fused
 * multiply-add (level1IsExact, tried on a fused and an unfused stand-in).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { blasSgd, level1IsExact } from "../../../tensor/kernels/blas/sgd_blas.ts";
import { blasLibrary, blasUnavailableReason } from "../../../tensor/kernels/blas/gemm_blas.ts";
import { roundFma, sgdKernel as sgdTs } from "../../../tensor/kernels/optimizer.ts";
import { Rng } from "../../../tensor/rng.ts";

const skip = blasSgd === null
  ? `no library with an exact cblas_saxpy (${
    blasLibrary() === null
      ? blasUnavailableReason()
      : "its saxpy or sscal is missing or rounds twice"
  })`
  : false;

function values(rng: Rng, n: number, scale: number, shared: boolean): Float32Array {
  const out = shared ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e-40, 3e38];
  for (let i = 0; i < n; i++) {
    out[i] = rng.uniform() < 0.02
      ? specials[Math.floor(rng.uniform() * specials.length)]
      : rng.normal() * scale;
  }
  return out;
}

function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (
      !Object.is(actual[i], expected[i]) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))
    ) {
      assert.fail(`${what}[${i}] is ${actual[i]}, sgdKernel gives ${expected[i]}`);
    }
  }
}

describe("SGD on the library's saxpy and sscal", { skip }, () => {
  const variants: [string, number, number, number, boolean][] = [
    // name, momentum, dampening, weight decay, nesterov
    ["plain momentum (the library)", 0.9, 0, 0, false],
    ["no momentum (the library)", 0, 0, 0, false],
    ["weight decay (the fallback)", 0.9, 0, 1e-4, false],
    ["Nesterov (the fallback)", 0.9, 0, 0, true],
    ["dampening (the fallback)", 0.9, 0.1, 0, false],
  ];
  for (const [name, momentum, dampening, wd, nesterov] of variants) {
    for (const sign of [1, -1]) {
      it(`gives sgdKernel's bits: ${name}, sign ${sign}, on [3, 4990) of 5000, shared and not`, () => {
        for (const shared of [false, true]) {
          const rng = new Rng(momentum * 10 + sign + (shared ? 7 : 0));
          const a = [
            values(rng, 5000, 1, shared),
            values(rng, 5000, 0.1, shared),
            values(rng, 5000, 0.01, shared),
          ];
          const b = a.map((x) => x.slice());
          const calls: string[] = [];
          const fallback: typeof sgdTs = (...args) => {
            calls.push("fallback");
            sgdTs(...args);
          };
          const kernel = blasSgd!(fallback);
          for (let step = 1; step <= 3; step++) {
            const buf = momentum === 0 ? null : 2;
            kernel(
              a[0],
              a[1],
              buf === null ? null : a[2],
              3,
              4990,
              0.05,
              momentum,
              dampening,
              wd,
              sign,
              step === 1,
              nesterov,
            );
            sgdTs(
              b[0],
              b[1],
              buf === null ? null : b[2],
              3,
              4990,
              0.05,
              momentum,
              dampening,
              wd,
              sign,
              step === 1,
              nesterov,
            );
            a.forEach((x, k) => assertSameBits(x, b[k], `step ${step}, array ${k}`));
          }
          const library = name.endsWith("(the library)");
          // The first momentum step copies the gradient into the buffer: the fallback's.
          const expected = library ? (momentum === 0 ? 0 : 1) : 3;
          assert.equal(calls.length, expected, `${calls.length} fallback calls`);
        }
      });
    }
  }

  it("checks [lo, hi) against every array before the library writes", () => {
    const kernel = blasSgd!(sgdTs);
    const p = new Float32Array(8).fill(1),
      g = new Float32Array(8).fill(1),
      short = new Float32Array(4);
    assert.throws(() => kernel(p, g, null, 0, 9, 0.1, 0, 0, 0, 1, false, false), RangeError);
    assert.throws(() => kernel(p, g, short, 0, 8, 0.1, 0.9, 0, 0, 1, false, false), RangeError);
    assert.throws(() => kernel(p, short, null, 0, 8, 0.1, 0, 0, 0, 1, false, false), RangeError);
    assert.throws(() => kernel(p, g, null, 5, 2, 0.1, 0, 0, 0, 1, false, false), RangeError);
    assert.deepEqual(Array.from(p), new Array(8).fill(1), "nothing written");
  });
});

describe("level1IsExact", () => {
  const exact = {
    saxpy: (
      n: number,
      alpha: number,
      x: Float32Array,
      xOff: number,
      y: Float32Array,
      yOff: number,
    ) => {
      for (let i = 0; i < n; i++) {
        y[yOff + i] = roundFma(Math.fround(alpha), x[xOff + i], y[yOff + i]);
      }
    },
    sscal: (n: number, alpha: number, x: Float32Array, xOff: number) => {
      for (let i = 0; i < n; i++) x[xOff + i] = Math.fround(Math.fround(alpha) * x[xOff + i]);
    },
  };
  it("accepts a saxpy that rounds once", () => assert.equal(level1IsExact(exact), true));
  it("refuses one that rounds the product first", () => {
    const twice = {
      ...exact,
      saxpy: (
        n: number,
        alpha: number,
        x: Float32Array,
        xOff: number,
        y: Float32Array,
        yOff: number,
      ) => {
        for (let i = 0; i < n; i++) {
          y[yOff + i] = Math.fround(Math.fround(Math.fround(alpha) * x[xOff + i]) + y[yOff + i]);
        }
      },
    };
    assert.equal(level1IsExact(twice), false);
  });
  it("refuses an sscal that is off in one element", () => {
    const off = {
      ...exact,
      sscal: (n: number, alpha: number, x: Float32Array, xOff: number) => {
        exact.sscal(n, alpha, x, xOff);
        if (n === 17) x[xOff + 16] = -x[xOff + 16];
      },
    };
    assert.equal(level1IsExact(off), false);
  });
});
