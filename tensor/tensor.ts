/** Tensor: a contiguous row-major Float32Array with a shape. */

import { checkShape, formatShape, sizeOf } from "./shape.ts";
import { defaultRng, type Rng } from "./rng.ts";

/**
 * A dense float32 tensor: `data` holds `size` elements in row-major (C) order.
 *
 * `data` may be a view into a larger buffer or a SharedArrayBuffer (that is how
 * `parallel/` shares parameters); a Tensor never copies on construction.
 *
 * @example
 * ```ts
 * import { Tensor } from "./tensor.ts";
 * const t = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * console.log(t.size, t.shape); // 6 [2, 3]
 * ```
 */
export class Tensor {
  /** The elements, row-major; length is exactly `size`. */
  readonly data: Float32Array;
  /** Dimensions, outermost first; `[]` is a scalar. */
  readonly shape: readonly number[];

  /**
   * @param data elements in row-major order (kept, not copied)
   * @param shape dimensions; their product must equal `data.length`
   */
  constructor(data: Float32Array, shape: readonly number[]) {
    if (!(data instanceof Float32Array)) {
      throw new TypeError(`Cannot create Tensor: expected data to be a Float32Array, got ${describe(data)}`);
    }
    checkShape(shape, "Cannot create Tensor");
    const size = sizeOf(shape);
    if (size !== data.length) {
      throw new TypeError(
        `Cannot create Tensor: shape ${formatShape(shape)} holds ${size} elements but data has ${data.length}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** A tensor of zeros. */
  static zeros(shape: readonly number[]): Tensor {
    checkShape(shape, "Cannot create Tensor.zeros");
    return new Tensor(new Float32Array(sizeOf(shape)), shape);
  }

  /** A tensor of ones. */
  static ones(shape: readonly number[]): Tensor {
    return Tensor.full(shape, 1);
  }

  /** A tensor filled with `value`. */
  static full(shape: readonly number[], value: number): Tensor {
    checkShape(shape, "Cannot create Tensor.full");
    return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape);
  }

  /** Samples from N(0, 1), like `torch.randn`. */
  static randn(shape: readonly number[], { rng = defaultRng() }: { rng?: Rng } = {}): Tensor {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
    return t;
  }

  /** Samples from U[0, 1), like `torch.rand`. */
  static rand(shape: readonly number[], { rng = defaultRng() }: { rng?: Rng } = {}): Tensor {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = rng.random();
    return t;
  }

  /** A tensor from a (nested) array of numbers; the shape is read from the nesting. */
  static fromArray(values: NestedNumbers): Tensor {
    const shape: number[] = [];
    let level: NestedNumbers = values;
    while (Array.isArray(level)) {
      shape.push(level.length);
      level = level[0] as NestedNumbers;
    }
    const flat = (values as unknown[]).flat(Infinity) as number[];
    if (flat.length !== sizeOf(shape) || flat.some((v) => typeof v !== "number")) {
      throw new TypeError(`Cannot create Tensor.fromArray: the nested array is ragged or holds non-numbers`);
    }
    return new Tensor(Float32Array.from(flat), shape);
  }

  /** A view with another shape of the same size (shares `data`). `-1` infers one dimension. */
  reshape(shape: readonly number[]): Tensor {
    const inferred = [...shape];
    const unknown = inferred.indexOf(-1);
    if (unknown >= 0) {
      const known = inferred.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
      inferred[unknown] = known === 0 ? 0 : this.size / known;
    }
    if (sizeOf(inferred) !== this.size || inferred.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new TypeError(
        `Cannot reshape Tensor: ${formatShape(this.shape)} (${this.size} elements) into ${formatShape(shape)}`,
      );
    }
    return new Tensor(this.data, inferred);
  }

  /** A copy with its own buffer. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Fills every element with `value` in place and returns this. */
  fill(value: number): this {
    this.data.fill(value);
    return this;
  }

  /** Copies `source`'s elements into this tensor (same size required) and returns this. */
  copyFrom(source: Tensor): this {
    if (source.size !== this.size) {
      throw new TypeError(
        `Cannot copy into Tensor ${formatShape(this.shape)}: source has shape ${formatShape(source.shape)}`,
      );
    }
    this.data.set(source.data);
    return this;
  }

  /** The elements as a nested JS array (for printing and tests). */
  toArray(): NestedNumbers {
    if (this.shape.length === 0) return this.data[0];
    const build = (dim: number, offset: number): NestedNumbers => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return Array.from(this.data.subarray(offset, offset + n));
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** `Tensor([2, 3])`, for logs. */
  toString(): string {
    return `Tensor(${formatShape(this.shape)})`;
  }
}

/** A number or arbitrarily nested arrays of numbers. */
export type NestedNumbers = number | NestedNumbers[];

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}
