/** Linear: the fully connected layer y = x·Wᵀ + b. */

import { Module } from "./module.ts";
import { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import type { Rng } from "../tensor/rng.ts";
import { calculateFanInAndFanOut, kaimingUniform, uniform } from "../tensor/init.ts";
import { biasAddBackward, gemm, repeatRows } from "../tensor/kernels/mod.ts";
import {
  boolean,
  checkCall,
  checkGradOutput,
  inputShapeError,
  integerAtLeast,
  noForwardError,
  pyBool,
  rngOption,
} from "./_common.ts";

/** Options of {@linkcode Linear}. */
export interface LinearOptions {
  /** Learn an additive bias b. @default true */
  bias?: boolean;
  /** Generator for the initial weights. @default defaultRng() */
  rng?: Rng;
}

/**
 * Applies an affine map to the last dimension: y = x·Wᵀ + b (torch.nn.Linear).
 *
 * Shape: input [*, in_features] (any number of leading dimensions, including none),
 * output [*, out_features].
 *
 * Parameters: `weight` [out_features, in_features] and `bias` [out_features] (state-dict
 * keys "weight", "bias"), both initialized U(−1/√in_features, 1/√in_features) as PyTorch
 * (kaiming-uniform with a = √5 for the weight).
 *
 * Backward: dL/dx = gy·W; accumulates gyᵀ·x into weight.grad and the column sums of gy
 * into bias.grad, and returns dL/dx.
 *
 * @example
 * ```ts
 * import { Linear } from "./linear.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const fc = new Linear(4, 2);
 * const y = fc.forward(Tensor.ones([3, 4])); // [3, 2]
 * const gx = fc.backward(Tensor.ones([3, 2])); // [3, 4]; fc.weight.grad now holds gyᵀ·x
 * console.log(y.shape, gx.shape, String(fc)); // [3, 2] [3, 4] Linear(in_features=4, out_features=2, bias=True)
 * ```
 */
export class Linear extends Module {
  /** Size of each input row. */
  readonly inFeatures: number;
  /** Size of each output row. */
  readonly outFeatures: number;
  /** W, [out_features, in_features]. */
  readonly weight: Parameter;
  /** b, [out_features], or null with `{ bias: false }`. */
  readonly bias: Parameter | null;
  #cache: { input: Tensor; rows: number; outputShape: readonly number[] } | null = null;
  readonly #buffers = new BufferCache();

  /**
   * @param inFeatures size of each input row (≥ 1)
   * @param outFeatures size of each output row (≥ 1)
   */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    const where = "Cannot create Linear";
    const { bias = true, rng } = checkCall(where, arguments.length, 3, options, {
      bias: true,
      rng: true,
    });
    boolean(bias, "bias", where);
    rngOption(rng, where);
    this.inFeatures = integerAtLeast(inFeatures, "inFeatures", where, 1);
    this.outFeatures = integerAtLeast(outFeatures, "outFeatures", where, 1);
    this.weight = new Parameter(Tensor.zeros([outFeatures, inFeatures]));
    this.bias = bias ? new Parameter(Tensor.zeros([outFeatures])) : null;
    this.resetParameters(rng);
  }

  /** Re-draws weight and bias from PyTorch's default distribution U(−1/√in, 1/√in). */
  resetParameters(rng?: Rng): void {
    kaimingUniform(this.weight.data, { a: Math.sqrt(5), rng });
    if (this.bias !== null) {
      const bound = 1 / Math.sqrt(calculateFanInAndFanOut(this.weight.shape)[0]);
      uniform(this.bias.data, -bound, bound, { rng });
    }
  }

  /** y = x·Wᵀ + b over the last dimension; caches x for backward. */
  forward(input: Tensor): Tensor {
    const { inFeatures: k, outFeatures: n } = this;
    if (input.ndim < 1 || input.shape[input.ndim - 1] !== k) {
      throw inputShapeError("Linear", `[*, ${k}]`, input);
    }
    const rows = input.size / k;
    const outputShape = [...input.shape.slice(0, -1), n];
    const y = this.#buffers.tensor("output", outputShape, this.training, input.data);
    // y [rows, n] = b + x [rows, k] · Wᵀ (W stored [n, k]): b's rows as C, then beta = 1
    const [x, w] = [input.data, this.weight.data.data];
    if (this.bias !== null) repeatRows(this.bias.data.data, y.data, rows);
    const beta = this.bias === null ? 0 : 1;
    gemm(false, true, rows, n, k, 1, x, 0, k, w, 0, k, beta, y.data, 0, n);
    this.#cache = { input, rows, outputShape };
    return y;
  }

  /** Accumulates dL/dW = gyᵀ·x and dL/db = Σ gy; returns dL/dx = gy·W. */
  backward(gradOutput: Tensor): Tensor {
    const { input, rows } = this.#parameterGradients(gradOutput);
    const { inFeatures: k, outFeatures: n } = this;
    const gy = gradOutput.data;
    const gx = this.#buffers.tensor("gradInput", input.shape, this.training, gy);
    // gx [rows, k] = gy [rows, n] · W [n, k]
    gemm(false, false, rows, k, n, 1, gy, 0, n, this.weight.data.data, 0, k, 0, gx.data, 0, k);
    return gx;
  }

  /** Accumulates dL/dW and dL/db only. */
  override backwardParameters(gradOutput: Tensor): void {
    this.#parameterGradients(gradOutput);
  }

  // gW [n, k] += gyᵀ [n, rows] · x [rows, k]; gb += Σ_rows gy. Returns the forward's cache.
  #parameterGradients(gradOutput: Tensor): { input: Tensor; rows: number } {
    if (this.#cache === null) throw noForwardError("Linear");
    const { input, rows, outputShape } = this.#cache;
    checkGradOutput("Linear", gradOutput, outputShape);
    const { inFeatures: k, outFeatures: n } = this;
    const [gy, x] = [gradOutput.data, input.data];
    gemm(true, false, n, k, rows, 1, gy, 0, n, x, 0, k, 1, this.weight.grad.data, 0, k);
    if (this.bias !== null) biasAddBackward(gy, this.bias.grad.data, rows, n, 1);
    return { input, rows };
  }

  /** `weight`, then `bias`. */
  override ownParameters(): [string, Parameter][] {
    return this.bias === null
      ? [["weight", this.weight]]
      : [["weight", this.weight], ["bias", this.bias]];
  }

  /** `Linear(in_features=784, out_features=10, bias=True)`, as PyTorch prints it. */
  override toString(): string {
    const bias = pyBool(this.bias !== null);
    return `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${bias})`;
  }
}
