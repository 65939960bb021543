/**
 * Activations: elementwise ones (each a row of the ACTIVATIONS table in
 * tensor/kernels/elementwise.ts) and Softmax / LogSoftmax along one dimension.
 * None has parameters; all keep the input's shape.
 */

import { Module } from "./module.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { normalizeDim, splitAtDim } from "../tensor/shape.ts";
import {
  activationBackward,
  activationForward,
  type ActivationRow,
  ACTIVATIONS,
  logSoftmaxBackward,
  logSoftmaxForward,
  scaleByDerivative,
  softmaxBackward,
  softmaxForward,
} from "../tensor/kernels/mod.ts";
import { checkCall, checkGradOutput, finite, noForwardError, pyFloat } from "./_common.ts";
import { checkArgumentCount, describeValue } from "../tensor/options.ts";

/**
 * An elementwise activation y = f(x) with backward dL/dx = dL/dy · f'(x): the layer
 * is the name, a row of ACTIVATIONS and its hyper-parameters (a, b).
 */
abstract class ElementwiseActivation extends Module {
  readonly #name: string;
  readonly #row: ActivationRow;
  readonly #a: number;
  readonly #b: number;
  // d = f'(x) of the last training forward, for rows that compute it there (GELU).
  #cache: { input: Tensor; output: Tensor; derivative: Float64Array | null } | null = null;
  readonly #buffers = new BufferCache();
  #derivative = new Float64Array(0);

  protected constructor(name: string, row: ActivationRow, a = 0, b = 0) {
    super();
    this.#name = name;
    this.#row = row;
    this.#a = a;
    this.#b = b;
  }

  /** y = f(x) elementwise, any shape; caches x and y (and f'(x) where the row computes it with y). */
  forward(input: Tensor): Tensor {
    const output = this.#buffers.tensor("output", input.shape, this.training, input.data);
    const [x, y, n] = [input.data, output.data, input.data.length];
    const withGrad = this.#row.forwardWithGradLoop;
    if (this.training && withGrad !== undefined) {
      if (this.#derivative.length < n) this.#derivative = new Float64Array(n);
      const derivative = this.#derivative.subarray(0, n);
      withGrad.call(this.#row, x, y, derivative, this.#a, this.#b, 0, n);
      this.#cache = { input, output, derivative };
      return output;
    }
    activationForward(this.#row, x, y, this.#a, this.#b, 0, n);
    this.#cache = { input, output, derivative: null };
    return output;
  }

  /** Returns dL/dx = dL/dy · f'(x). */
  backward(gradOutput: Tensor): Tensor {
    if (this.#cache === null) throw noForwardError(this.#name);
    const { input, output } = this.#cache;
    checkGradOutput(this.#name, gradOutput, output.shape);
    const gx = this.#buffers.tensor("gradInput", input.shape, this.training, gradOutput.data);
    const [x, y, gy] = [input.data, output.data, gradOutput.data];
    const { derivative } = this.#cache;
    if (derivative !== null) scaleByDerivative(gy, derivative, gx.data, 0, x.length);
    else activationBackward(this.#row, x, y, gy, gx.data, this.#a, this.#b, 0, x.length);
    return gx;
  }

  /** `ReLU()`, as PyTorch prints it. */
  override toString(): string {
    return `${this.#name}()`;
  }
}

/**
 * ReLU(x) = max(0, x); the gradient at exactly 0 is 0, as PyTorch. Shape: any → same.
 *
 * @example
 * ```ts
 * import { ReLU } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new ReLU().forward(Tensor.fromArray([-1, 2])).toArray()); // [0, 2]
 * ```
 */
export class ReLU extends ElementwiseActivation {
  constructor() {
    checkArgumentCount("Cannot create ReLU", arguments.length, 0);
    super("ReLU", ACTIVATIONS.relu);
  }
}

/** Options of {@linkcode LeakyReLU}. */
export interface LeakyReLUOptions {
  /** Slope for x ≤ 0. @default 0.01 */
  negativeSlope?: number;
}

/**
 * LeakyReLU(x) = x if x > 0 else negativeSlope·x; the gradient at 0 is negativeSlope. Shape: any → same.
 *
 * @example
 * ```ts
 * import { LeakyReLU } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new LeakyReLU({ negativeSlope: 0.5 }).forward(Tensor.fromArray([-2, 2])).toArray()); // [-1, 2]
 * ```
 */
export class LeakyReLU extends ElementwiseActivation {
  readonly negativeSlope: number;
  constructor(options: LeakyReLUOptions = {}) {
    const where = "Cannot create LeakyReLU";
    const { negativeSlope = 0.01 } = checkCall(where, arguments.length, 1, options, {
      negativeSlope: true,
    });
    const slope = finite(negativeSlope, "negativeSlope", where);
    super("LeakyReLU", ACTIVATIONS.leakyRelu, slope);
    this.negativeSlope = negativeSlope;
  }
  /** `LeakyReLU(negative_slope=0.01)`. */
  override toString(): string {
    return `LeakyReLU(negative_slope=${pyFloat(this.negativeSlope)})`;
  }
}

/** Options of {@linkcode ELU}. */
export interface ELUOptions {
  /** Scale of the negative branch. @default 1 */
  alpha?: number;
}

/**
 * ELU(x) = x if x > 0 else alpha·(eˣ − 1); f'(x) = 1 or alpha·eˣ. Shape: any → same.
 *
 * @example
 * ```ts
 * import { ELU } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new ELU().forward(Tensor.fromArray([0, 1])).toArray()); // [0, 1]
 * ```
 */
export class ELU extends ElementwiseActivation {
  readonly alpha: number;
  constructor(options: ELUOptions = {}) {
    const where = "Cannot create ELU";
    const { alpha = 1 } = checkCall(where, arguments.length, 1, options, { alpha: true });
    super("ELU", ACTIVATIONS.elu, finite(alpha, "alpha", where));
    this.alpha = alpha;
  }
  /** `ELU(alpha=1.0)`. */
  override toString(): string {
    return `ELU(alpha=${pyFloat(this.alpha)})`;
  }
}

/** Options of {@linkcode GELU}. */
export interface GELUOptions {
  /** "none": exact x·Φ(x); "tanh": 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). @default "none" */
  approximate?: "none" | "tanh";
}

/**
 * GELU(x) = x·Φ(x), Φ the standard normal CDF (exact, via erf), or the tanh
 * approximation with `{ approximate: "tanh" }`. Shape: any → same.
 *
 * @example
 * ```ts
 * import { GELU } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new GELU().forward(Tensor.fromArray([1])).toArray()); // [0.8413447...]
 * ```
 */
export class GELU extends ElementwiseActivation {
  readonly approximate: "none" | "tanh";
  constructor(options: GELUOptions = {}) {
    const where = "Cannot create GELU";
    const { approximate = "none" } = checkCall(where, arguments.length, 1, options, {
      approximate: true,
    });
    if (approximate !== "none" && approximate !== "tanh") {
      throw new RangeError(
        `${where}: expected approximate to be "none" or "tanh", got ${describeValue(approximate)}`,
      );
    }
    super("GELU", approximate === "tanh" ? ACTIVATIONS.geluTanh : ACTIVATIONS.gelu);
    this.approximate = approximate;
  }
  /** `GELU(approximate='none')`. */
  override toString(): string {
    return `GELU(approximate='${this.approximate}')`;
  }
}

/**
 * Sigmoid(x) = 1 / (1 + e⁻ˣ); f' = y·(1 − y). Shape: any → same.
 *
 * @example
 * ```ts
 * import { Sigmoid } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new Sigmoid().forward(Tensor.fromArray([0])).toArray()); // [0.5]
 * ```
 */
export class Sigmoid extends ElementwiseActivation {
  constructor() {
    checkArgumentCount("Cannot create Sigmoid", arguments.length, 0);
    super("Sigmoid", ACTIVATIONS.sigmoid);
  }
}

/**
 * Tanh(x) = tanh(x); f' = 1 − y². Shape: any → same.
 *
 * @example
 * ```ts
 * import { Tanh } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new Tanh().forward(Tensor.fromArray([0])).toArray()); // [0]
 * ```
 */
export class Tanh extends ElementwiseActivation {
  constructor() {
    checkArgumentCount("Cannot create Tanh", arguments.length, 0);
    super("Tanh", ACTIVATIONS.tanh);
  }
}

/** Options of {@linkcode Softplus}. */
export interface SoftplusOptions {
  /** Sharpness β > 0. @default 1 */
  beta?: number;
  /** Above β·x > threshold the output is x itself (for numerical stability). @default 20 */
  threshold?: number;
}

/**
 * Softplus(x) = log(1 + e^(β·x)) / β, and x where β·x > threshold; f' = sigmoid(β·x)
 * (1 above the threshold). Shape: any → same.
 *
 * @example
 * ```ts
 * import { Softplus } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new Softplus().forward(Tensor.fromArray([0, 30])).toArray()); // [0.6931471..., 30]
 * ```
 */
export class Softplus extends ElementwiseActivation {
  readonly beta: number;
  readonly threshold: number;
  constructor(options: SoftplusOptions = {}) {
    const where = "Cannot create Softplus";
    const { beta = 1, threshold = 20 } = checkCall(where, arguments.length, 1, options, {
      beta: true,
      threshold: true,
    });
    if (typeof beta !== "number" || !(beta > 0) || !Number.isFinite(beta)) {
      throw new RangeError(
        `${where}: expected beta to be a finite number > 0, got ${describeValue(beta)}`,
      );
    }
    super("Softplus", ACTIVATIONS.softplus, beta, finite(threshold, "threshold", where));
    this.beta = beta;
    this.threshold = threshold;
  }
  /** `Softplus(beta=1.0, threshold=20.0)`. */
  override toString(): string {
    return `Softplus(beta=${pyFloat(this.beta)}, threshold=${pyFloat(this.threshold)})`;
  }
}

/** Options of {@linkcode Softmax} and {@linkcode LogSoftmax}. */
export interface SoftmaxOptions {
  /**
   * The dimension that sums to one (negative counts from the end). PyTorch requires it;
   * shardgrad defaults to the last dimension.
   * @default -1
   */
  dim?: number;
}

/**
 * A kernel over [outer, size, inner] (reduce.ts) and the range [lo, hi) of outer: forward
 * (x, y) or backward (y, gy, gx).
 */
type AxisKernel = (
  x: Float32Array,
  y: Float32Array,
  ...splitAndRange: [number, number, number, number, number]
) => void;
type AxisBackwardKernel = (
  y: Float32Array,
  gy: Float32Array,
  gx: Float32Array,
  ...splitAndRange: [number, number, number, number, number]
) => void;

/** Softmax and LogSoftmax: a reduction along `dim` via the [outer, size, inner] kernels of reduce.ts. */
abstract class DimActivation extends Module {
  /** The dimension reduced over, as given (may be negative). */
  readonly dim: number;
  readonly #name: string;
  readonly #forward: AxisKernel;
  readonly #backward: AxisBackwardKernel;
  #cache: { output: Tensor; split: [number, number, number] } | null = null;
  readonly #buffers = new BufferCache();

  protected constructor(
    name: string,
    dim: number,
    forward: AxisKernel,
    backward: AxisBackwardKernel,
  ) {
    super();
    if (!Number.isInteger(dim)) {
      throw new RangeError(
        `Cannot create ${name}: expected dim to be an integer, got ${describeValue(dim)}`,
      );
    }
    this.#name = name;
    this.dim = dim;
    this.#forward = forward;
    this.#backward = backward;
  }

  /** Normalizes along `dim`; caches the output. A scalar input is treated as one element. */
  forward(input: Tensor): Tensor {
    const shape = input.ndim === 0 ? [1] : input.shape;
    const dim = normalizeDim(this.dim, shape.length, `Cannot run ${this.#name}.forward`);
    const split = splitAtDim(shape, dim);
    const output = this.#buffers.tensor("output", input.shape, this.training, input.data);
    this.#forward(input.data, output.data, ...split, 0, split[0]);
    this.#cache = { output, split };
    return output;
  }

  /** Returns dL/dx from the cached output. */
  backward(gradOutput: Tensor): Tensor {
    if (this.#cache === null) throw noForwardError(this.#name);
    const { output, split } = this.#cache;
    checkGradOutput(this.#name, gradOutput, output.shape);
    const gx = this.#buffers.tensor("gradInput", output.shape, this.training, gradOutput.data);
    this.#backward(output.data, gradOutput.data, gx.data, ...split, 0, split[0]);
    return gx;
  }

  /** `Softmax(dim=-1)`, as PyTorch prints it. */
  override toString(): string {
    return `${this.#name}(dim=${this.dim})`;
  }
}

/**
 * Softmax(x)_i = exp(x_i − m) / Σ_k exp(x_k − m) along `dim` (m = the max, for stability).
 * Shape: any → same. Backward: gx = y·(gy − Σ_k gy_k·y_k).
 *
 * @example
 * ```ts
 * import { Softmax } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new Softmax({ dim: 1 }).forward(Tensor.fromArray([[0, 0]])).toArray()); // [[0.5, 0.5]]
 * ```
 */
export class Softmax extends DimActivation {
  constructor(options: SoftmaxOptions = {}) {
    const { dim = -1 } = checkCall("Cannot create Softmax", arguments.length, 1, options, {
      dim: true,
    });
    super("Softmax", dim, softmaxForward, softmaxBackward);
  }
}

/**
 * LogSoftmax(x)_i = x_i − log Σ_k exp(x_k) along `dim` (stable log-sum-exp).
 * Shape: any → same. Backward: gx = gy − exp(y)·Σ_k gy_k.
 *
 * @example
 * ```ts
 * import { LogSoftmax } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new LogSoftmax().forward(Tensor.fromArray([0, 0])).toArray()); // [-0.6931471..., -0.6931471...]
 * ```
 */
export class LogSoftmax extends DimActivation {
  constructor(options: SoftmaxOptions = {}) {
    const { dim = -1 } = checkCall("Cannot create LogSoftmax", arguments.length, 1, options, {
      dim: true,
    });
    super("LogSoftmax", dim, logSoftmaxForward, logSoftmaxBackward);
  }
}
