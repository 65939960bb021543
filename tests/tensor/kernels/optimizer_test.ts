/**
 * The optimizer kernels (tensor/kernels/optimizer.ts) against the per-element loops they
 * replaced in optim/ (copied here verbatim in substance, one branchy loop per optimizer; SGD's
 * is PyTorch's float32 form, as the kernel now computes, and roundFma meets double rounding):
 * bit-for-bit equal results (NaN only where the old loop gave NaN) on random values, signed
 * zeros, ±Infinity and NaN, over sub-ranges `[lo, hi)` that leave the rest untouched, for
 * every variant (momentum, Nesterov, amsgrad, decoupled decay, centered, maximize) and
 * for the first and a later step.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  adagradKernel,
  adamKernel,
  lionKernel,
  rmspropKernel,
  sgdKernel,
} from "../../../tensor/kernels/mod.ts";
import { roundFma } from "../../../tensor/kernels/optimizer.ts";
import { Rng } from "../../../tensor/rng.ts";

const N = 257;
const LO = 3;
const HI = 250;

/** Random values with a sprinkling of ±0, ±Infinity, NaN and tiny/huge magnitudes. */
function values(rng: Rng, scale: number, special: boolean, positive = false): Float32Array {
  const out = new Float32Array(N);
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e30, 3e38];
  for (let i = 0; i < N; i++) {
    out[i] = special && rng.uniform() < 0.1
      ? specials[Math.floor(rng.uniform() * specials.length)]
      : rng.normal() * scale;
    if (positive) out[i] = Math.abs(out[i]);
  }
  return out;
}

/** Equal bits, or NaN in both (NaN's sign and payload depend on operand order, not on the rule). */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (a[i] === e[i] || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) continue;
    assert.fail(
      `${what}[${i}]: got ${actual[i]} (0x${a[i].toString(16)}), expected ${expected[i]} (0x${
        e[i].toString(16)
      })`,
    );
  }
}

type Arrays = Float32Array[];

/** Runs `kernel` and `previous` on copies of the same arrays (two steps) and compares every array. */
function check(
  name: string,
  special: boolean,
  make: (rng: Rng) => Arrays,
  kernel: (a: Arrays, step: number) => void,
  previous: (a: Arrays, step: number) => void,
): void {
  const rng = new Rng(special ? 7 : 3);
  const a = make(rng);
  const b = a.map((x) => x.slice());
  for (let step = 1; step <= 3; step++) {
    kernel(a, step);
    previous(b, step);
    a.forEach((x, k) => assertSameBits(x, b[k], `${name}, step ${step}, array ${k}`));
  }
  // The kernel changed something (a test that cannot fail is no test).
  const start = make(new Rng(special ? 7 : 3));
  assert.notDeepEqual(a[0].subarray(LO, HI), start[0].subarray(LO, HI));
  assert.deepEqual(a[0].subarray(0, LO), start[0].subarray(0, LO), `${name}: wrote below lo`);
  assert.deepEqual(a[0].subarray(HI), start[0].subarray(HI), `${name}: wrote at or above hi`);
}

for (const special of [false, true]) {
  const kind = special ? "with ±0, ±Infinity and NaN" : "random values";

  for (
    const [momentum, dampening, nesterov, wd, sign] of [
      [0, 0, false, 0, 1],
      [0, 0, false, 1e-2, -1],
      [0.9, 0, false, 0, 1],
      [0.9, 0.1, false, 1e-2, -1],
      [0.9, 0, true, 1e-2, 1],
    ] as const
  ) {
    test(`sgdKernel = torch.optim.SGD's per-element float32 steps: momentum ${momentum}, dampening ${dampening}, nesterov ${nesterov}, wd ${wd}, sign ${sign}; ${kind}`, () => {
      const lr = 0.05;
      check(
        "sgd",
        special,
        (rng) => [values(rng, 1, special), values(rng, 1, special), values(rng, 1, special)],
        ([p, g, buf], step) =>
          sgdKernel(
            p,
            g,
            momentum === 0 ? null : buf,
            LO,
            HI,
            lr,
            momentum,
            dampening,
            wd,
            sign,
            step === 1,
            nesterov,
          ),
        ([param, grad, buf], step) => {
          // PyTorch's single-tensor SGD, one element at a time, its scalars cast to float32.
          const f = Math.fround;
          for (let i = LO; i < HI; i++) {
            let d = sign * grad[i];
            if (wd !== 0) d = roundFma(f(wd), param[i], d);
            if (momentum !== 0) {
              buf[i] = step === 1 ? d : roundFma(f(1 - dampening), d, f(f(momentum) * buf[i]));
              d = nesterov ? roundFma(f(momentum), buf[i], d) : buf[i];
            }
            param[i] = roundFma(-f(lr), d, param[i]);
          }
        },
      );
    });
  }

  for (
    const [decoupled, amsgrad, wd, sign] of [
      [false, false, 0, 1],
      [false, true, 1e-2, -1],
      [true, false, 1e-2, 1],
      [true, true, 0.1, -1],
    ] as const
  ) {
    test(`adamKernel = the previous Adam loop: decoupled ${decoupled}, amsgrad ${amsgrad}, wd ${wd}, sign ${sign}; ${kind}`, () => {
      const [lr, beta1, beta2, eps] = [1e-3, 0.9, 0.999, 1e-8];
      check(
        "adam",
        special,
        (rng) => [
          values(rng, 1, special),
          values(rng, 1, special),
          values(rng, 0.1, special),
          values(rng, 0.01, special, true),
          values(rng, 0.01, special, true),
        ],
        ([p, g, m, v, vMax], step) =>
          adamKernel(
            p,
            g,
            m,
            v,
            amsgrad ? vMax : null,
            LO,
            HI,
            beta1,
            beta2,
            lr / (1 - beta1 ** step),
            Math.sqrt(1 - beta2 ** step),
            eps,
            sign,
            decoupled ? 0 : wd,
            decoupled ? 1 - lr * wd : 1,
          ),
        ([param, grad, m, v, vMaxBuf], step) => {
          const l2 = decoupled ? 0 : wd;
          const decay = decoupled ? 1 - lr * wd : 1;
          const stepSize = lr / (1 - beta1 ** step);
          const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
          const vMax = amsgrad ? vMaxBuf : v;
          for (let i = LO; i < HI; i++) {
            if (decoupled) param[i] *= decay;
            const g = sign * grad[i] + l2 * param[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            if (amsgrad && v[i] > vMax[i]) vMax[i] = v[i];
            param[i] -= (stepSize * m[i]) / (Math.sqrt(vMax[i]) / bc2Sqrt + eps);
          }
        },
      );
    });
  }

  for (
    const [centered, momentum, wd, sign] of [
      [false, 0, 0, 1],
      [false, 0.9, 1e-2, -1],
      [true, 0, 1e-2, 1],
      [true, 0.5, 0, -1],
    ] as const
  ) {
    test(`rmspropKernel = the previous RMSprop loop: centered ${centered}, momentum ${momentum}, wd ${wd}, sign ${sign}; ${kind}`, () => {
      const [lr, alpha, eps] = [1e-2, 0.99, 1e-8];
      check(
        "rmsprop",
        special,
        (rng) => [
          values(rng, 1, special),
          values(rng, 1, special),
          values(rng, 0.01, special, true),
          values(rng, 0.01, special),
          values(rng, 0.1, special),
        ],
        ([p, g, sq, gAvg, buf]) =>
          rmspropKernel(
            p,
            g,
            sq,
            centered ? gAvg : null,
            momentum > 0 ? buf : null,
            LO,
            HI,
            lr,
            alpha,
            eps,
            wd,
            momentum,
            sign,
          ),
        ([param, grad, sq, gAvg, buf]) => {
          for (let i = LO; i < HI; i++) {
            const g = sign * grad[i] + wd * param[i];
            sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
            let avg: number;
            if (centered) {
              gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g;
              avg = Math.sqrt(sq[i] - gAvg[i] * gAvg[i]) + eps;
            } else {
              avg = Math.sqrt(sq[i]) + eps;
            }
            if (momentum > 0) {
              buf[i] = momentum * buf[i] + g / avg;
              param[i] -= lr * buf[i];
            } else {
              param[i] -= (lr * g) / avg;
            }
          }
        },
      );
    });
  }

  for (const [wd, sign, lrDecay] of [[0, 1, 0], [1e-2, -1, 0.1]] as const) {
    test(`adagradKernel = the previous Adagrad loop: wd ${wd}, sign ${sign}, lrDecay ${lrDecay}; ${kind}`, () => {
      const [lr, eps] = [0.05, 1e-10];
      check(
        "adagrad",
        special,
        (
          rng,
        ) => [values(rng, 1, special), values(rng, 1, special), values(rng, 0.1, special, true)],
        ([p, g, s], step) =>
          adagradKernel(p, g, s, LO, HI, lr / (1 + (step - 1) * lrDecay), eps, wd, sign),
        ([param, grad, sum], step) => {
          const clr = lr / (1 + (step - 1) * lrDecay);
          for (let i = LO; i < HI; i++) {
            const g = sign * grad[i] + wd * param[i];
            sum[i] += g * g;
            param[i] -= (clr * g) / (Math.sqrt(sum[i]) + eps);
          }
        },
      );
    });
  }

  for (const wd of [0, 1]) {
    test(`lionKernel = the previous Lion loop: wd ${wd}; ${kind}`, () => {
      const [lr, beta1, beta2] = [1e-2, 0.9, 0.99];
      check(
        "lion",
        special,
        (rng) => {
          const g = values(rng, 1, special);
          // Exact zeros in m and g make c = ±0: the sign(±0) path.
          for (let i = 0; i < N; i += 17) g[i] = i % 2 ? -0 : 0;
          return [values(rng, 1, special), g, new Float32Array(N)];
        },
        ([p, g, m]) => lionKernel(p, g, m, LO, HI, lr, beta1, beta2, 1 - lr * wd),
        ([param, grad, m]) => {
          const decay = 1 - lr * wd;
          for (let i = LO; i < HI; i++) {
            const g = grad[i];
            param[i] *= decay;
            param[i] -= lr * Math.sign(beta1 * m[i] + (1 - beta1) * g);
            m[i] = beta2 * m[i] + (1 - beta2) * g;
          }
        },
      );
    });
  }
}

test("roundFma rounds a·x + y once where the float64 sum lands on a float32 midpoint", () => {
  // a·x = 2⁶·(1 − 2⁻⁴⁶): y + a·x lies just below the midpoint between y and y + 2⁷, and float64
  // rounds it onto the midpoint, whose tie goes to the even y + 2⁸ − 2⁷ = 2³⁰ + 2⁸.
  const a = 64 * (1 + 2 ** -23), x = 1 - 2 ** -23, y = 2 ** 30 + 2 ** 7;
  for (const s of [1, -1]) {
    assert.equal(Math.fround(s * a * x + s * y), s * (2 ** 30 + 2 ** 8), "the float64 route errs");
    assert.equal(roundFma(s * a, x, s * y), s * y);
    assert.equal(roundFma(x, s * a, s * y), s * y);
  }
  // Exactly on the midpoint (no error term): ties to even, as one rounding does.
  assert.equal(roundFma(64, 1, 2 ** 30 + 2 ** 7), 2 ** 30 + 2 ** 8);
  assert.equal(roundFma(64, 1, 2 ** 30), 2 ** 30);
  assert.ok(Number.isNaN(roundFma(Infinity, 0, 1)));
  assert.equal(roundFma(2 ** 100, 2 ** 100, 0), Infinity);
});
