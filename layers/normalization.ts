/** Normalization layers: BatchNorm1d, BatchNorm2d and LayerNorm, with PyTorch's statistics and state-dict keys. */

import { Module } from "./module.ts";
import { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { formatShape, sizeOf } from "../tensor/shape.ts";
import {
  batchNormBackward,
  batchNormForward,
  batchNormStats,
  batchNormUpdateRunning,
  inverseStd,
  layerNormBackward,
  layerNormForward,
} from "../tensor/kernels/mod.ts";
import {
  boolean,
  checkCall,
  checkGradOutput,
  inputShapeError,
  integerAtLeast,
  noForwardError,
  nonNegative,
  pyBool,
  pyFloat,
  pyInts,
} from "./_common.ts";
import { describeValue } from "../tensor/options.ts";

/** Options of {@linkcode BatchNorm1d} and {@linkcode BatchNorm2d}. */
export interface BatchNormOptions {
  /** Added to the variance before the square root. @default 1e-5 */
  eps?: number;
  /** Weight of the new batch in the running averages; null = cumulative average. @default 0.1 */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` (init 1) and shift `bias` (init 0). @default true */
  affine?: boolean;
  /** Keep running_mean / running_var for eval mode; false = always batch statistics. @default true */
  trackRunningStats?: boolean;
}

/** What a batch-norm backward needs from its forward: x as [n, C, l] and the statistics used. */
interface Cache {
  input: Tensor;
  n: number;
  l: number;
  mean: Float32Array;
  invStd: Float32Array;
  /** True when the statistics came from the batch (then dL/dx flows through them). */
  batchStats: boolean;
}

/**
 * Shared batch-norm logic over x viewed as [N, C, L]:
 * y = (x − mean) / sqrt(var + eps) · weight + bias, per channel C.
 */
abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /** γ [C] (init 1), or null without `affine`. */
  readonly weight: Parameter | null;
  /** β [C] (init 0), or null without `affine`. */
  readonly bias: Parameter | null;
  /** [C], init 0; null without `trackRunningStats`. */
  readonly runningMean: Tensor | null;
  /** [C], init 1; null without `trackRunningStats`. */
  readonly runningVar: Tensor | null;
  /** Shape [] (a scalar, as PyTorch's int64 buffer); counts training batches. */
  readonly numBatchesTracked: Tensor | null;
  readonly #name: string;
  #cache: Cache | null = null;
  readonly #buffers = new BufferCache();

  /** `argumentCount` is the subclass constructor's `arguments.length` (at most 2). */
  protected constructor(
    name: string,
    numFeatures: number,
    options: BatchNormOptions | undefined,
    argumentCount: number,
  ) {
    super();
    this.#name = name;
    const where = `Cannot create ${name}`;
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = checkCall(
      where,
      argumentCount,
      2,
      options,
      { eps: true, momentum: true, affine: true, trackRunningStats: true },
    );
    this.numFeatures = integerAtLeast(numFeatures, "numFeatures", where, 1);
    this.eps = nonNegative(eps, "eps", where);
    if (momentum !== null && (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1))) {
      throw new RangeError(
        `${where}: expected momentum to be in [0, 1] or null, got ${describeValue(momentum)}`,
      );
    }
    this.momentum = momentum;
    this.affine = boolean(affine, "affine", where);
    this.trackRunningStats = boolean(trackRunningStats, "trackRunningStats", where);
    this.weight = affine ? new Parameter(Tensor.ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(Tensor.zeros([numFeatures])) : null;
    this.runningMean = trackRunningStats ? Tensor.zeros([numFeatures]) : null;
    this.runningVar = trackRunningStats ? Tensor.ones([numFeatures]) : null;
    this.numBatchesTracked = trackRunningStats ? Tensor.zeros([]) : null;
  }

  /** The expected input shapes for error messages, e.g. `[N, 16, H, W]`. */
  protected abstract expected(): string;
  /** True when `input` has an accepted rank. */
  protected abstract acceptsRank(rank: number): boolean;

  /** Normalizes with batch statistics (training, or no running stats) or the running ones (eval). */
  forward(input: Tensor): Tensor {
    const c = this.numFeatures;
    if (!this.acceptsRank(input.ndim) || input.shape[1] !== c) {
      throw inputShapeError(this.#name, this.expected(), input);
    }
    const n = input.shape[0];
    const l = input.size / (n * c) || 0;
    const mean = this.#buffers.floats("mean", c, this.training);
    const invStd = this.#buffers.floats("invStd", c, this.training); // the batch variance until inverseStd()
    const batchStats = this.training || this.runningMean === null;
    if (batchStats) {
      if (n * l < 2 && this.training) {
        throw new RangeError(
          `Cannot run ${this.#name}.forward: expected more than 1 value per channel when training, got input ` +
            `${formatShape(input.shape)}`,
        );
      }
      batchNormStats(input.data, n, c, l, mean, invStd);
      if (this.training && this.runningMean !== null) this.#updateRunning(mean, invStd, n * l);
      inverseStd(invStd, this.eps, invStd);
    } else {
      mean.set(this.runningMean!.data);
      inverseStd(this.runningVar!.data, this.eps, invStd);
    }
    const y = this.#buffers.tensor("output", input.shape, this.training, input.data);
    const [w, b] = [this.weight?.data.data ?? null, this.bias?.data.data ?? null];
    batchNormForward(input.data, y.data, n, c, l, mean, invStd, w, b);
    this.#cache = { input, n, l, mean, invStd, batchStats };
    return y;
  }

  /** Accumulates dL/dweight = Σ gy·x̂ and dL/dbias = Σ gy; returns dL/dx (through the batch statistics in training). */
  backward(gradOutput: Tensor): Tensor {
    if (this.#cache === null) throw noForwardError(this.#name);
    const { input, n, l, mean, invStd, batchStats } = this.#cache;
    checkGradOutput(this.#name, gradOutput, input.shape);
    const gx = this.#buffers.tensor("gradInput", input.shape, this.training, gradOutput.data);
    const w = this.weight?.data.data ?? null;
    const [gw, gb] = [this.weight?.grad.data ?? null, this.bias?.grad.data ?? null];
    const [x, gy] = [input.data, gradOutput.data];
    batchNormBackward(x, gy, gx.data, n, this.numFeatures, l, mean, invStd, w, gw, gb, batchStats);
    return gx;
  }

  /** `weight`, `bias` (when affine). */
  override ownParameters(): [string, Parameter][] {
    return this.weight === null ? [] : [["weight", this.weight], ["bias", this.bias!]];
  }

  /** `running_mean`, `running_var`, `num_batches_tracked` (when tracking), PyTorch's keys. */
  override ownBuffers(): [string, Tensor][] {
    if (this.runningMean === null) return [];
    return [
      ["running_mean", this.runningMean],
      ["running_var", this.runningVar!],
      ["num_batches_tracked", this.numBatchesTracked!],
    ];
  }

  /** Resets running_mean to 0, running_var to 1 and num_batches_tracked to 0. */
  resetRunningStats(): void {
    this.runningMean?.fill(0);
    this.runningVar?.fill(1);
    this.numBatchesTracked?.fill(0);
  }

  /** `BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)`. */
  override toString(): string {
    const momentum = this.momentum === null ? "None" : pyFloat(this.momentum);
    const flags = `affine=${pyBool(this.affine)}, track_running_stats=${
      pyBool(this.trackRunningStats)
    }`;
    return `${this.#name}(${this.numFeatures}, eps=${
      pyFloat(this.eps)
    }, momentum=${momentum}, ${flags})`;
  }

  #updateRunning(mean: Float32Array, variance: Float32Array, count: number): void {
    const tracked = this.numBatchesTracked!.data;
    tracked[0] += 1;
    const factor = this.momentum ?? 1 / tracked[0];
    batchNormUpdateRunning(
      this.runningMean!.data,
      this.runningVar!.data,
      mean,
      variance,
      count,
      factor,
    );
  }
}

/**
 * Batch normalization over [N, C] or [N, C, L] (torch.nn.BatchNorm1d): per channel c,
 * y = (x − E[x]) / sqrt(Var[x] + eps) · γ + β.
 *
 * Training: E and Var are the batch's mean and BIASED variance over N (and L);
 * running_mean and running_var move toward the batch mean and UNBIASED variance
 * with `momentum` (running = (1 − momentum)·running + momentum·batch), and
 * num_batches_tracked counts. Eval: the running statistics are used. With
 * `trackRunningStats: false` batch statistics are used always.
 *
 * Parameters: `weight` γ [C] = 1, `bias` β [C] = 0; buffers `running_mean` [C] = 0,
 * `running_var` [C] = 1, `num_batches_tracked` [] = 0 (PyTorch's keys).
 *
 * Backward: accumulates into weight.grad and bias.grad; in training dL/dx includes the
 * paths through the batch mean and variance.
 *
 * @example
 * ```ts
 * import { BatchNorm1d } from "./normalization.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const bn = new BatchNorm1d(2);
 * const y = bn.forward(Tensor.fromArray([[1, 10], [3, 30]])); // each column → [-1, 1] (approximately)
 * console.log(y.shape, bn.runningMean!.toArray()); // [2, 2] ≈ [0.2, 2]
 * ```
 */
export class BatchNorm1d extends BatchNorm {
  /** @param numFeatures channels C (≥ 1) */
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm1d", numFeatures, options, arguments.length);
  }
  protected expected(): string {
    return `[N, ${this.numFeatures}] or [N, ${this.numFeatures}, L]`;
  }
  protected acceptsRank(rank: number): boolean {
    return rank === 2 || rank === 3;
  }
}

/**
 * Batch normalization over [N, C, H, W] (torch.nn.BatchNorm2d): statistics per channel
 * over N, H and W; otherwise exactly as {@linkcode BatchNorm1d}.
 *
 * @example
 * ```ts
 * import { BatchNorm2d } from "./normalization.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const bn = new BatchNorm2d(3).eval(); // eval: running stats (0 and 1), so y ≈ x
 * console.log(bn.forward(Tensor.ones([1, 3, 2, 2])).shape); // [1, 3, 2, 2]
 * ```
 */
export class BatchNorm2d extends BatchNorm {
  /** @param numFeatures channels C (≥ 1) */
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm2d", numFeatures, options, arguments.length);
  }
  protected expected(): string {
    return `[N, ${this.numFeatures}, H, W]`;
  }
  protected acceptsRank(rank: number): boolean {
    return rank === 4;
  }
}

/** Options of {@linkcode LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance before the square root. @default 1e-5 */
  eps?: number;
  /** Learn `weight` (init 1) and, with `bias`, `bias` (init 0) of shape normalizedShape. @default true */
  elementwiseAffine?: boolean;
  /** Learn the additive `bias` too (only with elementwiseAffine). @default true */
  bias?: boolean;
}

/**
 * Layer normalization over the last D dimensions (torch.nn.LayerNorm): for each
 * leading index, y = (x − mean) / sqrt(var + eps) · weight + bias, with the mean and
 * BIASED variance over the trailing `normalizedShape` elements; the same in training and eval.
 *
 * Shape: input [*, ...normalizedShape] → same.
 *
 * Parameters: `weight` (ones) and `bias` (zeros), each of shape normalizedShape.
 *
 * Backward: accumulates into weight.grad and bias.grad; dL/dx goes through the per-row statistics.
 *
 * @example
 * ```ts
 * import { LayerNorm } from "./normalization.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const ln = new LayerNorm(2);
 * console.log(ln.forward(Tensor.fromArray([[1, 3]])).toArray()); // [[-0.99999..., 0.99999...]]
 * ```
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  #cache: { input: Tensor; rows: number; mean: Float32Array; invStd: Float32Array } | null = null;
  readonly #buffers = new BufferCache();

  /** @param normalizedShape the trailing dimensions to normalize over: an int or a list of ints (each ≥ 1) */
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const where = "Cannot create LayerNorm";
    const { eps = 1e-5, elementwiseAffine = true, bias = true } = checkCall(
      where,
      arguments.length,
      2,
      options,
      { eps: true, elementwiseAffine: true, bias: true },
    );
    if (typeof normalizedShape !== "number" && !Array.isArray(normalizedShape)) {
      throw new TypeError(
        `${where}: expected normalizedShape to be an integer or a list of integers, got ${
          describeValue(normalizedShape)
        }`,
      );
    }
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0) {
      throw new RangeError(`${where}: expected normalizedShape to have at least one dimension`);
    }
    for (const d of shape) integerAtLeast(d, "normalizedShape", where, 1);
    this.normalizedShape = Object.freeze(shape);
    this.eps = nonNegative(eps, "eps", where);
    this.elementwiseAffine = boolean(elementwiseAffine, "elementwiseAffine", where);
    boolean(bias, "bias", where);
    this.weight = elementwiseAffine ? new Parameter(Tensor.ones(shape)) : null;
    this.bias = elementwiseAffine && bias ? new Parameter(Tensor.zeros(shape)) : null;
  }

  /** Normalizes each row of the trailing dimensions; caches the statistics. */
  forward(input: Tensor): Tensor {
    const d = this.normalizedShape;
    const tail = input.shape.slice(input.ndim - d.length);
    if (input.ndim < d.length || tail.some((v, i) => v !== d[i])) {
      throw inputShapeError("LayerNorm", `[*, ${d.join(", ")}]`, input);
    }
    const size = sizeOf(d);
    const rows = input.size / size;
    const mean = this.#buffers.floats("mean", rows, this.training);
    const invStd = this.#buffers.floats("invStd", rows, this.training);
    const y = this.#buffers.tensor("output", input.shape, this.training, input.data);
    const [w, b] = [this.weight?.data.data ?? null, this.bias?.data.data ?? null];
    layerNormForward(input.data, y.data, rows, size, this.eps, w, b, mean, invStd, 0, rows);
    this.#cache = { input, rows, mean, invStd };
    return y;
  }

  /** Accumulates dL/dweight = Σ gy·x̂ and dL/dbias = Σ gy over rows; returns dL/dx. */
  backward(gradOutput: Tensor): Tensor {
    if (this.#cache === null) throw noForwardError("LayerNorm");
    const { input, rows, mean, invStd } = this.#cache;
    checkGradOutput("LayerNorm", gradOutput, input.shape);
    const gx = this.#buffers.tensor("gradInput", input.shape, this.training, gradOutput.data);
    const size = sizeOf(this.normalizedShape);
    const w = this.weight?.data.data ?? null;
    const [gw, gb] = [this.weight?.grad.data ?? null, this.bias?.grad.data ?? null];
    layerNormBackward(
      input.data,
      gradOutput.data,
      gx.data,
      rows,
      size,
      mean,
      invStd,
      w,
      gw,
      gb,
      0,
      rows,
    );
    return gx;
  }

  /** `weight`, then `bias` (those that exist). */
  override ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    if (this.weight !== null) out.push(["weight", this.weight]);
    if (this.bias !== null) out.push(["bias", this.bias]);
    return out;
  }

  /** `LayerNorm((3, 4), eps=1e-05, elementwise_affine=True)`, as PyTorch prints it. */
  override toString(): string {
    const affine = `elementwise_affine=${pyBool(this.elementwiseAffine)}`;
    return `LayerNorm(${pyInts(this.normalizedShape)}, eps=${pyFloat(this.eps)}, ${affine})`;
  }
}
