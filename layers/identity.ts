/** Identity: returns its input unchanged (a placeholder, e.g. a Residual's shortcut or a removed layer). */

import { Module } from "./module.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { checkArgumentCount } from "../tensor/options.ts";

/**
 * y = x (torch.nn.Identity): `forward` returns the input itself and `backward`
 * returns dL/dy itself. Shape: any → same. No parameters.
 *
 * @example
 * ```ts
 * import { Identity } from "./identity.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const x = Tensor.ones([2, 3]);
 * console.log(new Identity().forward(x) === x); // true
 * ```
 */
export class Identity extends Module {
  /** Takes no arguments (PyTorch's Identity ignores any it is given; a typo here is an error instead). */
  constructor() {
    super();
    checkArgumentCount("Cannot create Identity", arguments.length, 0);
  }

  /** Returns `input`. */
  forward(input: Tensor): Tensor {
    return input;
  }

  /** Returns `gradOutput`. */
  backward(gradOutput: Tensor): Tensor {
    return gradOutput;
  }

  /** `Identity()`. */
  override toString(): string {
    return "Identity()";
  }
}
