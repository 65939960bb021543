import { test } from "node:test";
import assert from "node:assert/strict";
import { Module } from "../../layers/module.ts";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { checkLossGradients, checkModuleGradients, gradcheck, randomTensor } from "./gradcheck.ts";

type Bug = "none" | "input" | "weight" | "overwrite";

/**
 * y = tanh(w ⊙ x) with one weight per element; `bug` breaks the backward in exactly
 * one element of dL/dx or of dL/dw, or makes it overwrite instead of accumulate.
 */
class ScaledTanh extends Module {
  readonly weight: Parameter;
  #input: Tensor | null = null;
  #output: Tensor | null = null;

  constructor(size: number, readonly bug: Bug, readonly wrongIndex = 3) {
    super();
    this.weight = new Parameter(randomTensor([size], 99, 0.5, 1.5));
  }

  forward(input: Tensor): Tensor {
    const y = Tensor.zeros(input.shape);
    for (let i = 0; i < y.size; i++) {
      y.data[i] = Math.tanh(this.weight.data.data[i] * input.data[i]);
    }
    this.#input = input;
    this.#output = y;
    return y;
  }

  backward(gradOutput: Tensor): Tensor {
    const x = this.#input!.data,
      y = this.#output!.data,
      w = this.weight.data.data,
      gw = this.weight.grad.data;
    const gx = Tensor.zeros(gradOutput.shape);
    for (let i = 0; i < gx.size; i++) {
      // The slip: one element off by 0.02, just above the checker's tolerance.
      const slip = i === this.wrongIndex ? 0.02 : 0;
      const local = gradOutput.data[i] * (1 - y[i] * y[i]);
      gx.data[i] = local * w[i] + (this.bug === "input" ? slip : 0);
      const dw = local * x[i] + (this.bug === "weight" ? slip : 0);
      if (this.bug === "overwrite") gw[i] = dw;
      else gw[i] += dw;
    }
    return gx;
  }

  override ownParameters(): [string, Parameter][] {
    return [["weight", this.weight]];
  }
}

test("checkModuleGradients() passes a correct backward", () => {
  checkModuleGradients(new ScaledTanh(8, "none"), randomTensor([8], 1));
});

test("checkModuleGradients() fails on a dL/dx wrong in one element and names that element", () => {
  assert.throws(() => checkModuleGradients(new ScaledTanh(8, "input", 5), randomTensor([8], 1)), {
    name: "AssertionError",
    message: /gradcheck: d\/dinput\[5\] analytic .* vs numeric/,
  });
});

test("checkModuleGradients() fails on a weight gradient wrong in one element and names it", () => {
  assert.throws(() => checkModuleGradients(new ScaledTanh(8, "weight", 2), randomTensor([8], 1)), {
    name: "AssertionError",
    message: /gradcheck: d\/dweight\[2\] analytic .* vs numeric/,
  });
});

test("checkModuleGradients() fails on a backward that overwrites parameter gradients instead of accumulating", () => {
  assert.throws(() => checkModuleGradients(new ScaledTanh(8, "overwrite"), randomTensor([8], 1)), {
    name: "AssertionError",
    message: /backward must accumulate/,
  });
});

test("gradcheck() fails when the analytic gradient is off in one element and reports both values", () => {
  const x = new Float32Array([0.3, -0.7, 1.2]);
  const f = () => x[0] * x[0] + Math.sin(x[1]) + x[2] * x[0];
  const analytic = [2 * x[0] + x[2], Math.cos(x[1]), x[0]];
  gradcheck(f, [{ name: "x", values: x, analytic }]);
  const wrong = [...analytic];
  wrong[1] += 0.05;
  assert.throws(() => gradcheck(f, [{ name: "x", values: x, analytic: wrong }]), {
    message: /d\/dx\[1\] analytic 0\.8\d* vs numeric 0\.76\d*/,
  });
});

test("gradcheck() restores the nudged values", () => {
  const x = new Float32Array([0.25, -0.5]);
  gradcheck(() => x[0] * x[1], [{ name: "x", values: x, analytic: [-0.5, 0.25] }]);
  assert.deepEqual(Array.from(x), [0.25, -0.5]);
});

test("checkLossGradients() passes a correct loss and fails a wrong one", () => {
  const target = randomTensor([6], 2);
  let last: Tensor | null = null;
  const sq = (scale: number) => ({
    forward(pred: Tensor, t: Tensor) {
      last = pred;
      let s = 0;
      for (let i = 0; i < pred.size; i++) s += (pred.data[i] - t.data[i]) ** 2;
      return s / pred.size;
    },
    backward() {
      const g = Tensor.zeros(last!.shape);
      for (let i = 0; i < g.size; i++) {
        g.data[i] = (scale * 2 * (last!.data[i] - target.data[i])) / g.size;
      }
      return g;
    },
  });
  checkLossGradients(sq(1), randomTensor([6], 3), target);
  // Forgetting the 1/N of reduction "mean" (here: scaling by N) is caught.
  assert.throws(() => checkLossGradients(sq(6), randomTensor([6], 3), target), {
    message: /d\/dpred\[\d\]/,
  });
});
