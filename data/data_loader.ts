/** DataLoader: seeded shuffling, batching and per-batch float conversion plus transforms. */

import { Tensor } from "../tensor/tensor.ts";
import { defaultRng, type Rng } from "../tensor/rng.ts";
import type { Dataset } from "./dataset.ts";
import type { Transform } from "./transforms.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

/** One batch: inputs `[B, ...sampleShape]` float32, labels `[B]`, and which samples they are. */
export interface Batch {
  /** Inputs `[B, C, H, W]` (images) or `[B, F]` (feature rows), after the transform. */
  x: Tensor;
  /** Class index per sample `[B]`. */
  y: Int32Array;
  /** Dataset indices of the B samples, in batch order. */
  indices: Int32Array;
}

/** Options of {@link DataLoader} (torch.utils.data.DataLoader names, camelCased). */
export interface DataLoaderOptions {
  /** Samples per batch. @default 1 */
  batchSize?: number;
  /** Draw a new random order at the start of every epoch. @default false */
  shuffle?: boolean;
  /** Skip the last batch when it has fewer than `batchSize` samples. @default false */
  dropLast?: boolean;
  /** Drives shuffling and the transform's random draws. @default defaultRng() */
  rng?: Rng;
  /**
   * Applied to each batch after conversion. Without one, `x` holds the raw values
   * as float32 (0–255 for uint8 images); `compose([toFloat(), normalize(MNIST_MEAN, MNIST_STD)])`
   * gives the usual normalized input.
   */
  transform?: Transform;
}

/**
 * Iterates a dataset in batches; each `for…of` is one epoch. Only the B samples of
 * a batch are converted to float32 (into a fresh buffer the caller may keep).
 *
 * Epoch order: `0 … N−1`, or with `shuffle` a permutation drawn from `rng` when the
 * epoch starts; every sample appears exactly once per epoch (the last batch is
 * smaller unless `dropLast`). Same seed → same order and same augmentation.
 *
 * @example
 * ```ts
 * import { DataLoader } from "./data_loader.ts";
 * import { TensorDataset } from "./dataset.ts";
 * import { makeMoons } from "./synthetic.ts";
 * import { Rng } from "../tensor/rng.ts";
 * const loader = new DataLoader(TensorDataset.from(makeMoons(10, { rng: new Rng(0) })), {
 *   batchSize: 4, shuffle: true, rng: new Rng(1),
 * });
 * for (const { x, y } of loader) console.log(x.shape, y.length); // [4, 2] 4, [4, 2] 4, [2, 2] 2
 * ```
 */
export class DataLoader implements Iterable<Batch> {
  /** The dataset being batched. */
  readonly dataset: Dataset;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch is reshuffled. */
  readonly shuffle: boolean;
  /** Whether a short last batch is skipped. */
  readonly dropLast: boolean;
  /** Random source of shuffling and transforms. */
  readonly rng: Rng;
  /** Batch transform, if any. */
  readonly transform: Transform | undefined;

  /** @param dataset an ImageDataset, TensorDataset or anything implementing {@link Dataset} */
  constructor(dataset: Dataset, options: DataLoaderOptions = {}) {
    checkArgumentCount("Cannot create DataLoader", arguments.length, 2);
    checkOptions("Cannot create DataLoader", options, [
      "batchSize",
      "shuffle",
      "dropLast",
      "rng",
      "transform",
    ]);
    const { batchSize = 1, shuffle = false, dropLast = false, rng = defaultRng(), transform } =
      options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `Cannot create DataLoader: expected batchSize to be a positive integer, got ${batchSize}`,
      );
    }
    if (typeof dataset?.gather !== "function" || !Number.isInteger(dataset.length)) {
      throw new TypeError(
        `Cannot create DataLoader: expected a Dataset (length, sampleShape, labels, gather)`,
      );
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.rng = rng;
    this.transform = transform;
  }

  /** Batches per epoch: ⌊N/B⌋ with `dropLast`, else ⌈N/B⌉ (PyTorch's `len(loader)`). */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of a new epoch (draws the permutation from `rng` when shuffling). */
  epochOrder(): Int32Array {
    const n = this.dataset.length;
    if (this.shuffle) return this.rng.permutation(n);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return order;
  }

  /** Gathers `indices` into one batch, converts it to float32 and applies the transform. */
  batch(indices: Int32Array): Batch {
    const sampleShape = this.dataset.sampleShape;
    const size = sampleShape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(indices.length * size);
    this.dataset.gather(indices, data);
    let x = new Tensor(data, [indices.length, ...sampleShape]);
    if (this.transform) x = this.transform(x, this.rng);
    const labels = this.dataset.labels;
    const y = new Int32Array(indices.length);
    for (let b = 0; b < indices.length; b++) y[b] = labels[indices[b]];
    return { x, y, indices };
  }

  /** One epoch of batches. */
  *[Symbol.iterator](): Iterator<Batch> {
    const order = this.epochOrder();
    const count = this.length;
    for (let k = 0; k < count; k++) {
      yield this.batch(
        order.slice(k * this.batchSize, Math.min(order.length, (k + 1) * this.batchSize)),
      );
    }
  }
}
