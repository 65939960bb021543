/** Residual: a skip connection around a module, y = x + fn(x). */

import { Module } from "./module.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { addForward } from "../tensor/kernels/mod.ts";
import { checkGradOutput, formatChildren, noForwardError } from "./_common.ts";
import { checkArgumentCount, describeValue } from "../tensor/options.ts";

/**
 * y = x + fn(x), the skip connection of residual networks (not a torch.nn class; in
 * PyTorch it is written inside a custom forward). fn must keep the input's shape.
 * The wrapped module is the child "fn", so its keys read "fn.0.weight".
 *
 * Shape: any → same. Parameters: fn's.
 *
 * Backward: dL/dx = dL/dy + fn.backward(dL/dy); fn accumulates into its own gradients.
 *
 * @example
 * ```ts
 * import { Residual } from "./residual.ts";
 * import { Linear } from "./linear.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const block = new Residual(new Linear(4, 4));
 * console.log(block.forward(Tensor.ones([2, 4])).shape, Object.keys(block.stateDict())); // [2, 4] ["fn.weight", "fn.bias"]
 * ```
 */
export class Residual extends Module {
  /** The residual branch. */
  readonly fn: Module;
  #shape: readonly number[] | null = null;
  readonly #buffers = new BufferCache();

  /** @param fn a module whose output has its input's shape */
  constructor(fn: Module) {
    super();
    const where = "Cannot create Residual";
    checkArgumentCount(where, arguments.length, 1);
    if (!(fn instanceof Module)) {
      throw new TypeError(
        `${where}: expected fn to be a Module (wrap several in a Sequential), got ${
          describeValue(fn)
        }`,
      );
    }
    this.fn = fn;
  }

  /** x + fn(x). */
  forward(input: Tensor): Tensor {
    const branch = this.fn.forward(input);
    if (!sameShape(branch.shape, input.shape)) {
      throw new TypeError(
        `Cannot run Residual.forward: fn maps input ${formatShape(input.shape)} to ${
          formatShape(branch.shape)
        }; ` +
          `y = x + fn(x) needs the same shape`,
      );
    }
    const y = this.#buffers.tensor("output", input.shape, this.training, input.data);
    addForward(input.data, branch.data, y.data, 0, y.data.length);
    this.#shape = input.shape;
    return y;
  }

  /** dL/dy + fn.backward(dL/dy). */
  backward(gradOutput: Tensor): Tensor {
    if (this.#shape === null) throw noForwardError("Residual");
    checkGradOutput("Residual", gradOutput, this.#shape);
    const branch = this.fn.backward(gradOutput);
    const gx = this.#buffers.tensor("gradInput", this.#shape, this.training, gradOutput.data);
    addForward(gradOutput.data, branch.data, gx.data, 0, gx.data.length);
    return gx;
  }

  /** fn's parameter gradients only (the skip path has none). */
  override backwardParameters(gradOutput: Tensor): void {
    if (this.#shape === null) throw noForwardError("Residual");
    checkGradOutput("Residual", gradOutput, this.#shape);
    this.fn.backwardParameters(gradOutput);
  }

  /** `[["fn", fn]]`. */
  override children(): [string, Module][] {
    return [["fn", this.fn]];
  }

  /** `Residual(\n  (fn): ...\n)`. */
  override toString(): string {
    return formatChildren("Residual", this.children());
  }
}
