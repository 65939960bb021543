/** Dropout: zeroes random elements in training and rescales the rest (inverted dropout). */

import { Module } from "./module.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { defaultRng, type Rng } from "../tensor/rng.ts";
import { dropoutMask, mulForward } from "../tensor/kernels/mod.ts";
import { checkCall, checkGradOutput, noForwardError, pyFloat, rngOption } from "./_common.ts";
import { describeValue } from "../tensor/options.ts";

/** Options of {@linkcode Dropout}. */
export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1). @default 0.5 */
  p?: number;
  /** Generator of the masks. @default defaultRng() at each forward */
  rng?: Rng;
}

/**
 * Inverted dropout (torch.nn.Dropout): in training, y = x · m / (1 − p) with m ~ Bernoulli(1 − p)
 * drawn afresh at each forward, so E[y] = x; in eval, y = x (the input itself is returned).
 *
 * Shape: any → same. No parameters.
 *
 * Backward: dL/dx = dL/dy · m / (1 − p) with the mask of the last forward (dL/dy itself in eval).
 *
 * Unlike PyTorch, p = 1 is rejected: it would only ever output zeros.
 *
 * @example
 * ```ts
 * import { Dropout } from "./dropout.ts";
 * import { Rng } from "../tensor/rng.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const drop = new Dropout({ p: 0.5, rng: new Rng(0) });
 * const y = drop.forward(Tensor.ones([8])); // each element 0 or 2
 * console.log(drop.eval().forward(y) === y); // true
 * ```
 */
export class Dropout extends Module {
  readonly p: number;
  readonly #rng: Rng | undefined;
  // The scaled mask of the last training forward; null after an identity (eval or p = 0) forward.
  #cache: { mask: Float32Array | null; shape: readonly number[] } | null = null;
  readonly #buffers = new BufferCache();

  constructor(options: DropoutOptions = {}) {
    super();
    const where = "Cannot create Dropout";
    const { p = 0.5, rng } = checkCall(where, arguments.length, 1, options, { p: true, rng: true });
    if (typeof p !== "number" || !(p >= 0 && p < 1)) {
      throw new RangeError(
        `${where}: expected p (the drop probability) in [0, 1), got ${describeValue(p)}`,
      );
    }
    this.p = p;
    this.#rng = rngOption(rng, where);
  }

  /** Masks and rescales in training; returns `input` itself in eval or with p = 0. */
  forward(input: Tensor): Tensor {
    if (!this.training || this.p === 0) {
      this.#cache = { mask: null, shape: input.shape };
      return input;
    }
    const rng = this.#rng ?? defaultRng();
    const mask = this.#buffers.floats("mask", input.size, true);
    dropoutMask(mask, this.p, () => rng.random());
    const y = this.#buffers.tensor("output", input.shape, true, input.data);
    mulForward(input.data, mask, y.data, 0, y.data.length);
    this.#cache = { mask, shape: input.shape };
    return y;
  }

  /** dL/dx = dL/dy · mask / (1 − p), or dL/dy itself after an identity forward. */
  backward(gradOutput: Tensor): Tensor {
    if (this.#cache === null) throw noForwardError("Dropout");
    const { mask, shape } = this.#cache;
    checkGradOutput("Dropout", gradOutput, shape);
    if (mask === null) return gradOutput;
    const gx = this.#buffers.tensor("gradInput", shape, true, gradOutput.data);
    mulForward(gradOutput.data, mask, gx.data, 0, gx.data.length);
    return gx;
  }

  /** `Dropout(p=0.5, inplace=False)`, as PyTorch prints it. */
  override toString(): string {
    return `Dropout(p=${pyFloat(this.p)}, inplace=False)`;
  }
}
