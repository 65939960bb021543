/** Datasets the DataLoader can batch: uint8 images [N, C, H, W] and float tensors [N, ...]. */

import type { Tensor } from "../tensor/tensor.ts";
import { checkArgumentCount } from "../tensor/options.ts";

/** What a {@link DataLoader} needs from a dataset. */
export interface Dataset {
  /** Number of samples N. */
  readonly length: number;
  /** Shape of one sample: `[C, H, W]` for images, `[F]` for feature rows. */
  readonly sampleShape: readonly number[];
  /** Class index per sample, `[N]`. */
  readonly labels: Uint8Array | Int32Array;
  /** Class names, `classes[label]`; empty when unknown. */
  readonly classes: readonly string[];
  /**
   * Copies the samples at `indices` into `out` `[B, ...sampleShape]` as float32,
   * values unchanged (0–255 for uint8 images). Only these B samples are converted.
   */
  gather(indices: ArrayLike<number>, out: Float32Array): void;
}

/**
 * Images as stored on disk: uint8 `[N, C, H, W]` (CHW per image), labels `[N]`.
 * MNIST is `[N, 1, 28, 28]`, CIFAR-10 `[N, 3, 32, 32]`. Nothing is converted to
 * float until a DataLoader gathers a batch.
 *
 * @example
 * ```ts
 * import { ImageDataset } from "./dataset.ts";
 * const ds = new ImageDataset(new Uint8Array(2 * 4), new Uint8Array([3, 1]), [2, 1, 2, 2]);
 * console.log(ds.length, ds.sampleShape, ds.get(1).label); // 2 [1, 2, 2] 1
 * ```
 */
export class ImageDataset implements Dataset {
  /** Pixels `[N, C, H, W]`, row-major. */
  readonly images: Uint8Array;
  /** Class index per image `[N]`. */
  readonly labels: Uint8Array | Int32Array;
  /** `[N, C, H, W]`. */
  readonly shape: readonly [number, number, number, number];
  /** Class names. */
  readonly classes: readonly string[];
  /** How the data was verified, e.g. "sha256" or "structure" (empty when built by hand). */
  readonly verification: string;

  /**
   * @param images uint8 pixels `[N, C, H, W]` (kept, not copied)
   * @param labels `[N]`
   * @param shape `[N, C, H, W]`
   */
  constructor(
    images: Uint8Array,
    labels: Uint8Array | Int32Array,
    shape: readonly [number, number, number, number],
    classes: readonly string[] = [],
    verification = "",
  ) {
    checkArgumentCount("Cannot create ImageDataset", arguments.length, 5);
    const [n, c, h, w] = shape;
    if (
      ![n, c, h, w].every((d) => Number.isInteger(d) && d >= 0) || images.length !== n * c * h * w
    ) {
      throw new TypeError(
        `Cannot create ImageDataset: shape [${shape.join(", ")}] needs ${
          n * c * h * w
        } pixels, got ${images.length}`,
      );
    }
    if (labels.length !== n) {
      throw new TypeError(`Cannot create ImageDataset: ${n} images but ${labels.length} labels`);
    }
    this.images = images;
    this.labels = labels;
    this.shape = Object.freeze([n, c, h, w]) as readonly [number, number, number, number];
    this.classes = Object.freeze([...classes]);
    this.verification = verification;
  }

  /** N. */
  get length(): number {
    return this.shape[0];
  }

  /** `[C, H, W]`. */
  get sampleShape(): readonly number[] {
    return this.shape.slice(1);
  }

  /** Image `i` as a view `[C, H, W]` and its label. */
  get(i: number): { image: Uint8Array; label: number } {
    checkIndex(i, this.length, "ImageDataset.get");
    const size = this.shape[1] * this.shape[2] * this.shape[3];
    return { image: this.images.subarray(i * size, (i + 1) * size), label: this.labels[i] };
  }

  /** Samples `start` … `end − 1` as a new dataset sharing the same memory. */
  slice(start: number, end = this.length): ImageDataset {
    const s = Math.max(0, Math.min(start, this.length));
    const e = Math.max(s, Math.min(end, this.length));
    const size = this.shape[1] * this.shape[2] * this.shape[3];
    return new ImageDataset(
      this.images.subarray(s * size, e * size),
      this.labels.subarray(s, e),
      [e - s, this.shape[1], this.shape[2], this.shape[3]],
      this.classes,
      this.verification,
    );
  }

  /** See {@link Dataset.gather}. */
  gather(indices: ArrayLike<number>, out: Float32Array): void {
    const size = this.shape[1] * this.shape[2] * this.shape[3];
    checkGather(indices, out, size, this.length, "ImageDataset.gather");
    const images = this.images;
    for (let b = 0; b < indices.length; b++) {
      const src = indices[b] * size;
      const dst = b * size;
      for (let k = 0; k < size; k++) out[dst + k] = images[src + k];
    }
  }
}

/**
 * Feature rows `x` `[N, ...]` (float32) with labels `y` `[N]`, like
 * `torch.utils.data.TensorDataset`; the synthetic sets (`makeMoons`, …) plug in as
 * `TensorDataset.from(makeMoons(200))`.
 */
export class TensorDataset implements Dataset {
  /** Features `[N, ...]`. */
  readonly x: Tensor;
  /** Labels `[N]`. */
  readonly labels: Uint8Array | Int32Array;
  /** Class names. */
  readonly classes: readonly string[];

  /** @param x `[N, ...]` @param y `[N]` */
  constructor(x: Tensor, y: Uint8Array | Int32Array, classes: readonly string[] = []) {
    checkArgumentCount("Cannot create TensorDataset", arguments.length, 3);
    if (x.ndim < 1 || x.shape[0] !== y.length) {
      throw new TypeError(
        `Cannot create TensorDataset: x [${x.shape.join(", ")}] and ${y.length} labels differ in N`,
      );
    }
    this.x = x;
    this.labels = y;
    this.classes = Object.freeze([...classes]);
  }

  /** Wraps `{ x, y }` as returned by the synthetic generators. */
  static from(
    data: { x: Tensor; y: Uint8Array | Int32Array },
    classes: readonly string[] = [],
  ): TensorDataset {
    checkArgumentCount("Cannot run TensorDataset.from", arguments.length, 2);
    return new TensorDataset(data.x, data.y, classes);
  }

  /** N. */
  get length(): number {
    return this.x.shape[0];
  }

  /** `x.shape` without N. */
  get sampleShape(): readonly number[] {
    return this.x.shape.slice(1);
  }

  /** See {@link Dataset.gather}. */
  gather(indices: ArrayLike<number>, out: Float32Array): void {
    const size = this.length === 0 ? 0 : this.x.size / this.length;
    checkGather(indices, out, size, this.length, "TensorDataset.gather");
    for (let b = 0; b < indices.length; b++) {
      out.set(this.x.data.subarray(indices[b] * size, (indices[b] + 1) * size), b * size);
    }
  }
}

function checkGather(
  indices: ArrayLike<number>,
  out: Float32Array,
  size: number,
  n: number,
  where: string,
): void {
  if (out.length !== indices.length * size) {
    throw new TypeError(
      `Cannot run ${where}: out has ${out.length} elements, expected ${indices.length} × ${size}`,
    );
  }
  for (let b = 0; b < indices.length; b++) checkIndex(indices[b], n, where);
}

function checkIndex(i: number, n: number, where: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) {
    throw new RangeError(`Cannot run ${where}: index ${i} is out of range for ${n} samples`);
  }
}
