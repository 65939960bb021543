/** Sequential: a chain of modules applied in order. */

import { Module } from "./module.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { formatChildren } from "./_common.ts";
import { checkArgumentCount, describeValue } from "../tensor/options.ts";

/**
 * Applies its modules in order (torch.nn.Sequential): y = m_{k−1}(… m_1(m_0(x))).
 * Children are named "0", "1", … so state-dict keys read "0.weight", "3.running_mean".
 *
 * Shape: whatever the chain maps. Parameters: the children's, in order.
 *
 * Backward: runs the children's backward in reverse order, each receiving the previous
 * one's dL/dx; every child accumulates into its own parameter gradients.
 *
 * @example
 * ```ts
 * import { Sequential } from "./sequential.ts";
 * import { Linear } from "./linear.ts";
 * import { ReLU } from "./activation.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * console.log(model.forward(Tensor.ones([5, 4])).shape, Object.keys(model.stateDict())[0]); // [5, 2] "0.weight"
 * ```
 */
export class Sequential extends Module {
  readonly #modules: Module[];

  /** @param modules the chain, first applied first */
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => checkModule(m, `module ${i}`, "Cannot create Sequential"));
    this.#modules = [...modules];
  }

  /** Number of modules. */
  get length(): number {
    return this.#modules.length;
  }

  /** The module at `index` (negative counts from the end); RangeError when out of range. */
  at(index: number): Module {
    const n = this.#modules.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new RangeError(
        `Cannot index Sequential: index ${index} is out of range for ${n} module(s)`,
      );
    }
    return this.#modules[index < 0 ? index + n : index];
  }

  /** Adds `module` at the end (named by its position) and returns this. */
  append(module: Module): this {
    const where = "Cannot append to Sequential";
    checkArgumentCount(where, arguments.length, 1);
    checkModule(module, "the appended module", where);
    this.#modules.push(module);
    return this;
  }

  /** Iterates over the modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.#modules[Symbol.iterator]();
  }

  /** Feeds `input` through every module in order. */
  forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this.#modules) x = m.forward(x);
    return x;
  }

  /** Runs every module's backward in reverse order; returns dL/dx of the first. */
  backward(gradOutput: Tensor): Tensor {
    let g = gradOutput;
    for (let i = this.#modules.length - 1; i >= 0; i--) g = this.#modules[i].backward(g);
    return g;
  }

  /**
   * Parameter gradients only: backward through the modules in reverse order down to the first
   * one with parameters, which gets `backwardParameters`; the modules before it need no gradient.
   */
  override backwardParameters(gradOutput: Tensor): void {
    const first = this.#modules.findIndex((m) => m.parameters().length > 0);
    if (first === -1) return;
    let g = gradOutput;
    for (let i = this.#modules.length - 1; i > first; i--) g = this.#modules[i].backward(g);
    this.#modules[first].backwardParameters(g);
  }

  /** `["0", m0], ["1", m1], …`. */
  override children(): [string, Module][] {
    return this.#modules.map((m, i) => [String(i), m]);
  }

  /** PyTorch's multi-line form: `Sequential(\n  (0): Linear(...)\n  (1): ReLU()\n)`. */
  override toString(): string {
    return formatChildren("Sequential", this.children());
  }
}

// Every argument must be a Module: an options object or an array (PyTorch takes an
// OrderedDict or *modules) would otherwise fail much later, inside forward.
function checkModule(m: unknown, what: string, where: string): void {
  if (!(m instanceof Module)) {
    const hint = Array.isArray(m) ? "; spread an array: new Sequential(...modules)" : "";
    throw new TypeError(`${where}: ${what} is not a Module, got ${describeValue(m)}${hint}`);
  }
}
