/**
 * sgdKernelWasm / adamKernelWasm (tensor/kernels/wasm/optimizer_wasm.ts): bit-for-bit the
 * TypeScript loops of optimizer.ts for every variant, on random, signed-zero, infinite, NaN, huge
 * and subnormal inputs, over odd lengths, chunk boundaries and offset ranges `[lo, hi)` outside
 * which nothing is written, for three steps in a row (the first step differs for SGD).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  adagradKernelWasm,
  adamKernelWasm,
  lionKernelWasm,
  rmspropKernelWasm,
  sgdKernelWasm,
} from "../../../tensor/kernels/wasm/optimizer_wasm.ts";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";
import { bestInstance, WORK_END } from "../../../tensor/kernels/wasm/_instance.ts";
import {
  adagradKernel as adagradTs,
  adamKernel as adamTs,
  lionKernel as lionTs,
  rmspropKernel as rmspropTs,
  sgdKernel as sgdTs,
} from "../../../tensor/kernels/optimizer.ts";
import * as kernels from "../../../tensor/kernels/mod.ts";
import {
  adamKernel as adamActive,
  sgdKernel as sgdActive,
  simdKernels,
} from "../../../tensor/kernels/mod.ts";
import { Rng } from "../../../tensor/rng.ts";

const skip = wasmSimdSupported() ? false : "this runtime has no WebAssembly SIMD";

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e30, 3e38, 3.4028234e38, 1e-40, -1e-45];

/** n values: normal ones at `scale`, a tenth of them special (if asked), all ≥ 0 if `positive`. */
function values(rng: Rng, n: number, scale: number, special: boolean, positive = false) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = special && rng.uniform() < 0.1
      ? SPECIALS[Math.floor(rng.uniform() * SPECIALS.length)]
      : rng.normal() * scale;
    if (positive) out[i] = Math.abs(out[i]);
  }
  return out;
}

/** Same value in every element (Object.is: −0 ≠ +0, any NaN equals any NaN). */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      assert.fail(`${what}[${i}] is ${actual[i]}, the TypeScript loop gives ${expected[i]}`);
    }
  }
}

type Arrays = Float32Array[];

/**
 * Runs `wasm` and `ts` on copies of the same arrays for three steps, comparing every array after
 * each; then checks the update changed [lo, hi) and nothing outside it.
 */
function check(
  name: string,
  arrays: Arrays,
  lo: number,
  hi: number,
  wasm: (a: Arrays, step: number) => void,
  ts: (a: Arrays, step: number) => void,
): void {
  const start = arrays.map((x) => x.slice());
  const other = arrays.map((x) => x.slice());
  for (let step = 1; step <= 3; step++) {
    wasm(arrays, step);
    ts(other, step);
    arrays.forEach((x, k) => assertSameBits(x, other[k], `${name}, step ${step}, array ${k}`));
  }
  assert.notDeepEqual(arrays[0].subarray(lo, hi), start[0].subarray(lo, hi), `${name}: no change`);
  arrays.forEach((x, k) => {
    assertSameBits(x.subarray(0, lo), start[k].subarray(0, lo), `${name}: array ${k} below lo`);
    assertSameBits(x.subarray(hi), start[k].subarray(hi), `${name}: array ${k} at or above hi`);
  });
}

// Odd lengths, one pair, chunk boundaries (8192 floats a chunk) and offset ranges.
const RANGES = [
  { n: 1, lo: 0, hi: 1 },
  { n: 2, lo: 0, hi: 2 },
  { n: 37, lo: 0, hi: 37 },
  { n: 300, lo: 3, hi: 291 },
  { n: 8192 * 2 + 5, lo: 0, hi: 8192 * 2 + 5 },
  { n: 20000, lo: 8191, hi: 19999 },
];
const KINDS = ["random", "special", "subnormal"] as const;
type Kind = typeof KINDS[number];

/** Parameter, gradient and state scales per kind: subnormal keeps values near float32's bottom. */
function scales(kind: Kind): { p: number; g: number; s: number } {
  return kind === "subnormal" ? { p: 1e-38, g: 1e-39, s: 1e-40 } : { p: 1, g: 0.1, s: 0.01 };
}

describe("sgdKernelWasm", { skip }, () => {
  it("rounds p − lr·d once where float64 would round it twice (a float32 midpoint)", () => {
    // −lr·d = 2⁶·(1 − 2⁻⁴⁶): p + that lies just below the midpoint between p and p + 2⁷; the
    // float64 sum is the midpoint itself, whose tie would go to the even p + 2⁷ (wrong).
    const lr = 64 * (1 + 2 ** -23), p0 = 2 ** 30 + 2 ** 7;
    const param = new Float32Array(8).fill(p0), grad = new Float32Array(8).fill(-(1 - 2 ** -23));
    grad[5] = 0; // one lane without the midpoint in the same group of four
    assert.equal(Math.fround(p0 - lr * grad[0]), p0 + 2 ** 7, "the float64 route errs");
    sgdKernelWasm(param, grad, null, 0, 8, lr, 0, 0, 0, 1, true, false);
    assert.deepEqual(Array.from(param), new Array(8).fill(p0));
  });

  const variants = [
    { momentum: 0, dampening: 0, nesterov: false },
    { momentum: 0.9, dampening: 0, nesterov: false },
    { momentum: 0.9, dampening: 0.1, nesterov: false },
    { momentum: 0.9, dampening: 0, nesterov: true },
  ];
  for (const { momentum, dampening, nesterov } of variants) {
    for (const wd of [0, 1e-4]) {
      for (const sign of [1, -1]) {
        for (const kind of KINDS) {
          it(`= sgdKernel: momentum ${momentum}, dampening ${dampening}, nesterov ${nesterov}, wd ${wd}, sign ${sign}, ${kind} values`, () => {
            for (const { n, lo, hi } of RANGES) {
              const rng = new Rng(n + (kind === "special" ? 1 : 0));
              const sc = scales(kind);
              const special = kind === "special";
              const arrays = [values(rng, n, sc.p, special), values(rng, n, sc.g, special)];
              if (momentum !== 0) arrays.push(values(rng, n, sc.s, special));
              const run = (kernel: typeof sgdTs) => (a: Arrays, step: number) =>
                kernel(
                  a[0],
                  a[1],
                  momentum === 0 ? null : a[2],
                  lo,
                  hi,
                  0.01,
                  momentum,
                  dampening,
                  wd,
                  sign,
                  step === 1,
                  nesterov,
                );
              check(`n ${n} [${lo}, ${hi})`, arrays, lo, hi, run(sgdKernelWasm), run(sgdTs));
            }
          });
        }
      }
    }
  }
});

describe("adamKernelWasm", { skip }, () => {
  for (const decoupled of [false, true]) {
    for (const amsgrad of [false, true]) {
      for (const wd of [0, 0.01]) {
        for (const sign of [1, -1]) {
          for (const kind of KINDS) {
            it(`= adamKernel: ${decoupled ? "AdamW" : "Adam"}, amsgrad ${amsgrad}, wd ${wd}, sign ${sign}, ${kind} values`, () => {
              for (const { n, lo, hi } of RANGES) {
                const rng = new Rng(n + (kind === "special" ? 1 : 0));
                const sc = scales(kind);
                const special = kind === "special";
                const arrays = [
                  values(rng, n, sc.p, special),
                  values(rng, n, sc.g, special),
                  values(rng, n, sc.s, special),
                  values(rng, n, sc.s * sc.s, special, true),
                ];
                if (amsgrad) arrays.push(values(rng, n, sc.s * sc.s, special, true));
                const lr = 1e-3, beta1 = 0.9, beta2 = 0.999;
                const run = (kernel: typeof adamTs) => (a: Arrays, step: number) =>
                  kernel(
                    a[0],
                    a[1],
                    a[2],
                    a[3],
                    amsgrad ? a[4] : null,
                    lo,
                    hi,
                    beta1,
                    beta2,
                    lr / (1 - beta1 ** step),
                    Math.sqrt(1 - beta2 ** step),
                    kind === "subnormal" ? 1e-45 : 1e-8,
                    sign,
                    decoupled ? 0 : wd,
                    decoupled ? 1 - lr * wd : 1,
                  );
                check(`n ${n} [${lo}, ${hi})`, arrays, lo, hi, run(adamKernelWasm), run(adamTs));
              }
            });
          }
        }
      }
    }
  }
});

describe("rmspropKernelWasm", { skip }, () => {
  for (const centered of [false, true]) {
    for (const momentum of [0, 0.9]) {
      for (const wd of [0, 0.01]) {
        for (const sign of [1, -1]) {
          for (const kind of KINDS) {
            it(`= rmspropKernel: centered ${centered}, momentum ${momentum}, wd ${wd}, sign ${sign}, ${kind} values`, () => {
              for (const { n, lo, hi } of RANGES) {
                const rng = new Rng(n + (kind === "special" ? 1 : 0));
                const sc = scales(kind);
                const special = kind === "special";
                const arrays = [
                  values(rng, n, sc.p, special),
                  values(rng, n, sc.g, special),
                  values(rng, n, sc.s * sc.s, special, true),
                  values(rng, n, sc.s, special),
                  values(rng, n, sc.s, special),
                ];
                const eps = kind === "subnormal" ? 1e-45 : 1e-8;
                const run = (kernel: typeof rmspropTs) => (a: Arrays) =>
                  kernel(
                    a[0],
                    a[1],
                    a[2],
                    centered ? a[3] : null,
                    momentum === 0 ? null : a[4],
                    lo,
                    hi,
                    0.01,
                    0.99,
                    eps,
                    wd,
                    momentum,
                    sign,
                  );
                check(
                  `n ${n} [${lo}, ${hi})`,
                  arrays,
                  lo,
                  hi,
                  run(rmspropKernelWasm),
                  run(rmspropTs),
                );
              }
            });
          }
        }
      }
    }
  }
});

describe("adagradKernelWasm", { skip }, () => {
  for (const wd of [0, 0.01]) {
    for (const sign of [1, -1]) {
      for (const kind of KINDS) {
        it(`= adagradKernel: wd ${wd}, sign ${sign}, ${kind} values`, () => {
          for (const { n, lo, hi } of RANGES) {
            const rng = new Rng(n + (kind === "special" ? 1 : 0));
            const sc = scales(kind);
            const special = kind === "special";
            const arrays = [
              values(rng, n, sc.p, special),
              values(rng, n, sc.g, special),
              values(rng, n, sc.s * sc.s, special, true),
            ];
            const eps = kind === "subnormal" ? 1e-45 : 1e-10;
            const run = (kernel: typeof adagradTs) => (a: Arrays, step: number) =>
              kernel(a[0], a[1], a[2], lo, hi, 0.01 / (1 + (step - 1) * 0.1), eps, wd, sign);
            check(`n ${n} [${lo}, ${hi})`, arrays, lo, hi, run(adagradKernelWasm), run(adagradTs));
          }
        });
      }
    }
  }
});

describe("lionKernelWasm", { skip }, () => {
  for (const wd of [0, 0.1]) {
    for (const kind of KINDS) {
      it(`= lionKernel: wd ${wd}, ${kind} values`, () => {
        for (const { n, lo, hi } of RANGES) {
          const rng = new Rng(n + (kind === "special" ? 1 : 0));
          const sc = scales(kind);
          const special = kind === "special";
          const arrays = [
            values(rng, n, sc.p, special),
            values(rng, n, sc.g, special),
            values(rng, n, sc.s, special),
          ];
          const lr = kind === "subnormal" ? 1e-40 : 1e-4;
          const run = (kernel: typeof lionTs) => (a: Arrays) =>
            kernel(a[0], a[1], a[2], lo, hi, lr, 0.9, 0.99, 1 - lr * wd);
          check(`n ${n} [${lo}, ${hi})`, arrays, lo, hi, run(lionKernelWasm), run(lionTs));
        }
      });
    }
  }
});

describe("optimizer loops in WebAssembly on shared memory", { skip }, () => {
  // As DataParallel's workers: one SharedArrayBuffer per array, each worker its own [lo, hi).
  it("update SharedArrayBuffer-backed arrays in slices as the TypeScript loops do in one pass", () => {
    const n = 30001, cuts = [0, 7, 9000, 9001, 20480, n];
    const rng = new Rng(5);
    const shared = (scale: number, positive = false) => {
      const x = new Float32Array(new SharedArrayBuffer(n * 4));
      x.set(values(rng, n, scale, true, positive));
      return x;
    };
    const a = [shared(1), shared(0.1), shared(0.01), shared(1e-4, true), shared(1e-4, true)];
    const b = a.map((x) => x.slice());
    for (let step = 1; step <= 2; step++) {
      for (let k = 0; k + 1 < cuts.length; k++) {
        const [lo, hi] = [cuts[k], cuts[k + 1]];
        sgdKernelWasm(a[0], a[1], a[2], lo, hi, 0.1, 0.9, 0, 1e-4, -1, step === 1, false);
        adamKernelWasm(
          a[0],
          a[1],
          a[2],
          a[3],
          a[4],
          lo,
          hi,
          0.9,
          0.999,
          0.01,
          0.05,
          1e-8,
          1,
          0.1,
          1,
        );
      }
      sgdTs(b[0], b[1], b[2], 0, n, 0.1, 0.9, 0, 1e-4, -1, step === 1, false);
      adamTs(b[0], b[1], b[2], b[3], b[4], 0, n, 0.9, 0.999, 0.01, 0.05, 1e-8, 1, 0.1, 1);
      a.forEach((x, k) => assertSameBits(x, b[k], `step ${step}, array ${k}`));
    }
  });
});

describe("optimizer kernels of tensor/kernels/mod.ts", () => {
  it("are the WebAssembly loops where the SIMD kernels run, else the TypeScript ones", () => {
    const pairs = [
      [kernels.sgdKernel, kernels.sgdKernelTs, sgdTs],
      [kernels.adamKernel, kernels.adamKernelTs, adamTs],
      [kernels.rmspropKernel, kernels.rmspropKernelTs, rmspropTs],
      [kernels.adagradKernel, kernels.adagradKernelTs, adagradTs],
      [kernels.lionKernel, kernels.lionKernelTs, lionTs],
    ] as const;
    for (const [active, exportedTs, ts] of pairs) {
      assert.equal(exportedTs, ts, `${ts.name}Ts is optimizer.ts's ${ts.name}`);
      assert.equal(
        active !== ts,
        simdKernels,
        `${ts.name} is the WebAssembly loop: ${simdKernels}`,
      );
    }
  });

  // Both sides of the size thresholds below which the TypeScript loops run (256 and 1024).
  for (const n of [255, 256, 1023, 1024, 4099]) {
    it(`give the TypeScript loops' values on ${n} elements`, () => {
      const rng = new Rng(n);
      const sgd = [values(rng, n, 1, true), values(rng, n, 0.1, true), values(rng, n, 0.01, true)];
      check(
        `SGD n ${n}`,
        sgd,
        0,
        n,
        (a, step) => sgdActive(a[0], a[1], a[2], 0, n, 0.1, 0.9, 0, 1e-4, 1, step === 1, true),
        (a, step) => sgdTs(a[0], a[1], a[2], 0, n, 0.1, 0.9, 0, 1e-4, 1, step === 1, true),
      );
      const adam = [
        values(rng, n, 1, true),
        values(rng, n, 0.1, true),
        values(rng, n, 0.01, true),
        values(rng, n, 1e-4, true, true),
        values(rng, n, 1e-4, true, true),
      ];
      const args = [0.9, 0.999, 0.01, 0.05, 1e-8, -1, 0, 0.999] as const;
      check(
        `AdamW n ${n}`,
        adam,
        0,
        n,
        (a) => adamActive(a[0], a[1], a[2], a[3], a[4], 0, n, ...args),
        (a) => adamTs(a[0], a[1], a[2], a[3], a[4], 0, n, ...args),
      );
    });
  }
});

describe("kernels.wat sgd with relaxed_madd (where it rounds once)", { skip }, () => {
  it("gives the float64 route's bits for every variant", (t) => {
    const instance = bestInstance!;
    if (instance.exports.fusedMadd() !== 1) {
      t.skip("relaxed_madd rounds twice here: only the float64 route runs");
      return;
    }
    const n = 4 * 257, rng = new Rng(11);
    const variants: [number, number, number, number, number, number][] = [
      // mode, nesterov, momentum, dampening, weight decay, sign
      [0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 1e-2, -1],
      [1, 1, 0.9, 0, 1e-2, 1],
      [2, 0, 0.9, 0, 0, 1],
      [2, 0, 0.9, 0.1, 1e-2, -1],
      [2, 1, 0.9, 0, 1e-4, 1],
    ];
    for (const [mode, nesterov, momentum, dampening, wd, sign] of variants) {
      const start = [
        values(rng, n, 1, true),
        values(rng, n, 0.1, true),
        values(rng, n, 0.01, true),
      ];
      const run = (fused: number) => {
        const heap = instance.reserve(WORK_END + 3 * 4 * n);
        start.forEach((a, k) => heap.set(a, (WORK_END >> 2) + k * n));
        const [p, g, b] = [0, 1, 2].map((k) => WORK_END + 4 * k * n);
        instance.exports.sgd(
          p,
          g,
          b,
          n / 4,
          -0.05,
          momentum,
          1 - dampening,
          wd,
          sign,
          mode,
          nesterov,
          fused,
        );
        return heap.slice(WORK_END >> 2, (WORK_END >> 2) + 3 * n);
      };
      assertSameBits(run(1), run(0), `sgd mode ${mode}, nesterov ${nesterov}, wd ${wd}`);
    }
  });
});
