/** Parameter: a trainable tensor with its gradient. */

import { Tensor } from "./tensor.ts";
import { formatShape } from "./shape.ts";

/**
 * A trainable tensor: `data` and `grad` have the same shape. Backward passes
 * ACCUMULATE into `grad`; optimizers read `grad` and update `data` in place.
 *
 * Layers read `param.data.data` afresh on every call and never keep the typed array,
 * so `bind()` can move a parameter onto shared memory (see parallel/).
 *
 * @example
 * ```ts
 * import { Parameter } from "./parameter.ts";
 * import { Tensor } from "./tensor.ts";
 * const p = new Parameter(Tensor.zeros([10, 784]));
 * console.log(p.grad.shape); // [10, 784]
 * ```
 */
export class Parameter {
  /** The values. */
  data: Tensor;
  /** dL/d(data), same shape; starts at zero. */
  grad: Tensor;

  /** @param data the initial values (kept, not copied); `grad` starts as zeros of the same shape. */
  constructor(data: Tensor) {
    if (!(data instanceof Tensor)) throw new TypeError(`Cannot create Parameter: expected a Tensor`);
    this.data = data;
    this.grad = Tensor.zeros(data.shape);
  }

  /** The shape of `data` and `grad`. */
  get shape(): readonly number[] {
    return this.data.shape;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.size;
  }

  /** Sets `grad` to zero. */
  zeroGrad(): void {
    this.grad.data.fill(0);
  }

  /**
   * Moves `data` (and optionally `grad`) onto the given buffers, e.g. views into a
   * SharedArrayBuffer. The current values are copied into `data` first unless
   * `{ copy: false }`.
   */
  bind(data: Float32Array, grad?: Float32Array, { copy = true }: { copy?: boolean } = {}): void {
    if (data.length !== this.size || (grad !== undefined && grad.length !== this.size)) {
      throw new TypeError(
        `Cannot bind Parameter ${formatShape(this.shape)}: expected buffers of ${this.size} elements, got ${data.length}` +
          (grad !== undefined ? ` and ${grad.length}` : ""),
      );
    }
    if (copy) data.set(this.data.data);
    this.data = new Tensor(data, this.shape);
    if (grad !== undefined) this.grad = new Tensor(grad, this.shape);
  }
}
