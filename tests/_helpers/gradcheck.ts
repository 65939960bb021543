/**
 * Gradient checks by central finite differences.
 *
 * A module's output y is reduced to the scalar L = Σ r ⊙ y with a fixed random r,
 * so dL/dy = r is what `backward` receives. Every element of the input and of every
 * parameter is nudged by ±eps and (L+ − L−) / 2eps is compared with the analytic
 * gradient; the failure names the worst element and both values.
 */

import assert from "node:assert/strict";
import type { Module } from "../../layers/module.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";

/** Tolerances and step of the finite differences. */
export interface GradcheckOptions {
  /** Step of the central difference. @default 1e-2 */
  eps?: number;
  /** @default 1e-2 */
  rtol?: number;
  /** @default 2e-3 */
  atol?: number;
  /** Seed of r. @default 1234 */
  seed?: number;
  /** Check dL/dx as well as the parameter gradients. @default true */
  checkInput?: boolean;
}

/** One array checked against its analytic gradient. */
export interface GradcheckEntry {
  name: string;
  /** The values nudged in place (restored after each nudge). */
  values: Float32Array;
  /** The analytic dL/d(values). */
  analytic: ArrayLike<number>;
}

/**
 * Compares each entry's analytic gradient with central differences of `evaluate()`
 * (a scalar computed in float64 from the current values). Throws on the worst mismatch.
 */
export function gradcheck(evaluate: () => number, entries: GradcheckEntry[], options: GradcheckOptions = {}): void {
  const { eps = 1e-2, rtol = 1e-2, atol = 2e-3 } = options;
  let worst: { name: string; index: number; analytic: number; numeric: number; excess: number } | null = null;
  for (const { name, values, analytic } of entries) {
    assert.equal(analytic.length, values.length, `gradcheck: "${name}" gradient has ${analytic.length} elements, values ${values.length}`);
    for (let i = 0; i < values.length; i++) {
      const saved = values[i];
      values[i] = saved + eps;
      const plus = evaluate();
      values[i] = saved - eps;
      const minus = evaluate();
      values[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      const excess = Math.abs(analytic[i] - numeric) - (atol + rtol * Math.abs(numeric));
      if (!(excess <= 0) && (worst === null || !(excess <= worst.excess))) {
        worst = { name, index: i, analytic: analytic[i], numeric, excess: Number.isNaN(excess) ? Infinity : excess };
      }
    }
  }
  if (worst !== null) {
    assert.fail(
      `gradcheck: d/d${worst.name}[${worst.index}] analytic ${worst.analytic} vs numeric ${worst.numeric} ` +
        `(tolerance atol ${atol} + rtol ${rtol} × |numeric|)`,
    );
  }
}

/**
 * Checks dL/dx and every parameter gradient of `module` at `input` with L = Σ r ⊙ y.
 * The module must be deterministic between calls (no dropout in training mode).
 * Also checks that backward ACCUMULATES: a second backward doubles the parameter grads.
 */
export function checkModuleGradients(module: Module, input: Tensor, options: GradcheckOptions = {}): void {
  const rng = new Rng(options.seed ?? 1234);
  const params = module.namedParameters();
  module.zeroGrad();
  const y = module.forward(input);
  const r = Tensor.zeros(y.shape);
  for (let i = 0; i < r.size; i++) r.data[i] = rng.uniform(-1, 1);
  const gx = module.backward(r);
  assert.deepEqual([...gx.shape], [...input.shape], "gradcheck: dL/dx must have the input's shape");
  const analyticParams = params.map(([, p]) => p.grad.data.slice());

  // A second backward after the same forward must add the same gradient again.
  module.forward(input);
  module.backward(r);
  for (let k = 0; k < params.length; k++) {
    const [name, p] = params[k];
    for (let i = 0; i < p.size; i++) {
      const twice = p.grad.data[i];
      const once = analyticParams[k][i];
      if (Math.abs(twice - 2 * once) > 1e-4 * (1 + Math.abs(once))) {
        assert.fail(`gradcheck: ${name}.grad[${i}] is ${twice} after two backward calls, expected 2 × ${once} (backward must accumulate)`);
      }
    }
  }

  const evaluate = () => {
    const out = module.forward(input);
    let sum = 0;
    for (let i = 0; i < out.size; i++) sum += out.data[i] * r.data[i];
    return sum;
  };
  const entries: GradcheckEntry[] = params.map(([name, p], k) => ({ name, values: p.data.data, analytic: analyticParams[k] }));
  if (options.checkInput ?? true) entries.unshift({ name: "input", values: input.data, analytic: gx.data.slice() });
  gradcheck(evaluate, entries, options);
}

/** The loss interface the checker needs: `forward(pred, target)` → number, `backward()` → dL/dpred. */
export interface LossLike<T> {
  forward(pred: Tensor, target: T): number;
  backward(): Tensor;
}

/** Checks dL/dpred of a loss at (`pred`, `target`). */
export function checkLossGradients<T>(loss: LossLike<T>, pred: Tensor, target: T, options: GradcheckOptions = {}): void {
  loss.forward(pred, target);
  const analytic = loss.backward().data.slice();
  gradcheck(() => loss.forward(pred, target), [{ name: "pred", values: pred.data, analytic }], options);
}

/** A tensor of uniform values in [low, high) from a seeded generator (test inputs). */
export function randomTensor(shape: number[], seed: number, low = -1, high = 1): Tensor {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(low, high);
  return t;
}
