/**
 * Batch transforms for image data `[B, C, H, W]` float32 (torchvision.transforms
 * semantics, applied to a whole batch, each random draw per sample).
 *
 * Order as in torchvision's usual pipelines: geometric transforms on raw pixels
 * first, then `toFloat`, then `normalize` — so crop padding is pixel value `fill`
 * (0 = black), not 0 after normalization:
 * `compose([randomCrop(32, { padding: 4 }), randomHorizontalFlip(), toFloat(), normalize(CIFAR10_MEAN, CIFAR10_STD)])`.
 */

import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { defaultRng, type Rng } from "../tensor/rng.ts";
import { checkArgumentCount, checkOptions, describeValue } from "../tensor/options.ts";

/** A batch transform: returns the transformed batch (in place when the shape is unchanged). */
export type Transform = (x: Tensor, rng?: Rng) => Tensor;

/** MNIST training-set pixel mean (of values ÷255), as in the PyTorch examples. */
export const MNIST_MEAN: readonly number[] = Object.freeze([0.1307]);
/** MNIST training-set pixel standard deviation (÷255 scale). */
export const MNIST_STD: readonly number[] = Object.freeze([0.3081]);
/** CIFAR-10 training-set per-channel mean (R, G, B; ÷255 scale). */
export const CIFAR10_MEAN: readonly number[] = Object.freeze([0.4914, 0.4822, 0.4465]);
/**
 * CIFAR-10 training-set per-channel standard deviation over ALL pixels of the
 * channel (R, G, B; ÷255 scale). This is the true per-channel std; the widely
 * copied (0.2023, 0.1994, 0.2010) averages per-image stds and understates it.
 */
export const CIFAR10_STD: readonly number[] = Object.freeze([0.2470, 0.2435, 0.2616]);

/**
 * x ← x / 255, mapping pixel values 0–255 to [0, 1] (torchvision's ToTensor scaling).
 * @example
 * ```ts
 * import { toFloat } from "./transforms.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(toFloat()(new Tensor(new Float32Array([255, 51]), [1, 1, 1, 2])).data); // Float32Array [1, 0.2]
 * ```
 */
export function toFloat(): Transform {
  checkArgumentCount("Cannot create toFloat", arguments.length, 0);
  return (x) => {
    const d = x.data;
    for (let i = 0; i < d.length; i++) d[i] /= 255;
    return x;
  };
}

/**
 * Per-channel x[b, c, …] ← (x[b, c, …] − mean[c]) / std[c] on `[B, C, ...]`
 * (torchvision Normalize). A single value applies to every channel.
 */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  checkArgumentCount("Cannot create normalize", arguments.length, 2);
  if (mean.length === 0 || mean.length !== std.length || std.some((s) => !(s > 0))) {
    throw new RangeError(
      `Cannot create normalize: expected equal-length mean and std with std > 0, got mean [${mean}] std [${std}]`,
    );
  }
  return (x) => {
    const [b, c] = [x.shape[0], x.shape[1] ?? 1];
    if (x.ndim < 2 || (mean.length !== 1 && mean.length !== c)) {
      throw new TypeError(
        `Cannot run normalize: expected input [B, ${mean.length}, ...], got [${
          x.shape.join(", ")
        }]`,
      );
    }
    const inner = x.size / Math.max(1, b * c);
    const d = x.data;
    for (let n = 0; n < b; n++) {
      for (let ch = 0; ch < c; ch++) {
        const m = mean.length === 1 ? mean[0] : mean[ch];
        const s = std.length === 1 ? std[0] : std[ch];
        const start = (n * c + ch) * inner;
        for (let i = start; i < start + inner; i++) d[i] = (d[i] - m) / s;
      }
    }
    return x;
  };
}

/** Options of {@link randomCrop}. */
export interface RandomCropOptions {
  /** Pixels of `fill` added on every side before cropping. @default 0 */
  padding?: number;
  /** Value of the padded pixels. @default 0 */
  fill?: number;
  /**
   * Write every call's crops into one buffer (per batch size) instead of a new tensor, for a
   * training loop that is done with a batch before it draws the next (the trainers). @default false
   */
  reuseOutput?: boolean;
}

/**
 * Pads each image by `padding` on all sides, then cuts a random `size` window
 * (torchvision RandomCrop): per sample top = randint(H + 2p − h + 1), then
 * left = randint(W + 2p − w + 1). `[B, C, H, W]` → `[B, C, h, w]` (a new tensor, or the
 * previous call's buffer with `reuseOutput`).
 */
export function randomCrop(
  size: number | readonly [number, number],
  options: RandomCropOptions = {},
): Transform {
  checkArgumentCount("Cannot create randomCrop", arguments.length, 2);
  checkOptions("Cannot create randomCrop", options, ["padding", "fill", "reuseOutput"]);
  const [th, tw] = typeof size === "number" ? [size, size] : size;
  const { padding = 0, fill = 0, reuseOutput = false } = options;
  if (
    ![th, tw].every((s) => Number.isInteger(s) && s > 0) || !Number.isInteger(padding) ||
    padding < 0
  ) {
    throw new RangeError(
      `Cannot create randomCrop: expected positive integer size and padding ≥ 0, got ${size}, ${padding}`,
    );
  }
  const buffers = new BufferCache();
  return (x, rng = defaultRng()) => {
    checkImages(x, "randomCrop");
    const [b, c, h, w] = x.shape;
    const ph = h + 2 * padding;
    const pw = w + 2 * padding;
    if (th > ph || tw > pw) {
      throw new RangeError(
        `Cannot run randomCrop: crop [${th}, ${tw}] is larger than the padded image [${ph}, ${pw}]`,
      );
    }
    // Every cell is written below (the fill where the window leaves the image), so a reused
    // buffer needs no clearing.
    const out = buffers.floats("output", b * c * th * tw, reuseOutput);
    const src = x.data;
    for (let n = 0; n < b; n++) {
      const top = rng.randint(ph - th + 1) - padding; // window origin in unpadded coordinates
      const left = rng.randint(pw - tw + 1) - padding;
      // Columns j0 … j1−1 of the window fall inside the image; the rest stays `fill`.
      const j0 = Math.max(0, -left);
      const j1 = Math.min(tw, w - left);
      const inside = top >= 0 && top + th <= h && j0 === 0 && j1 === tw;
      for (let ch = 0; ch < c; ch++) {
        const srcPlane = (n * c + ch) * h * w;
        const dstPlane = (n * c + ch) * th * tw;
        if (!inside) out.fill(fill, dstPlane, dstPlane + th * tw);
        for (let i = 0; i < th; i++) {
          const y = top + i;
          if (y < 0 || y >= h) continue;
          const s0 = srcPlane + y * w + left;
          const d0 = dstPlane + i * tw;
          out.set(src.subarray(s0 + j0, s0 + j1), d0 + j0);
        }
      }
    }
    return new Tensor(out, [b, c, th, tw]);
  };
}

/** Mirrors each image left–right with probability `p` (one draw per sample), in place. @default p 0.5 */
export function randomHorizontalFlip(p = 0.5): Transform {
  checkArgumentCount("Cannot create randomHorizontalFlip", arguments.length, 1);
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`Cannot create randomHorizontalFlip: expected 0 ≤ p ≤ 1, got ${p}`);
  }
  return (x, rng = defaultRng()) => {
    checkImages(x, "randomHorizontalFlip");
    const [b, c, h, w] = x.shape;
    const d = x.data;
    for (let n = 0; n < b; n++) {
      if (!(rng.random() < p)) continue;
      for (let row = 0; row < c * h; row++) {
        const start = (n * c * h + row) * w;
        d.subarray(start, start + w).reverse();
      }
    }
    return x;
  };
}

/** Applies `transforms` left to right with the same rng (torchvision Compose). */
export function compose(transforms: readonly Transform[]): Transform {
  checkArgumentCount("Cannot create compose", arguments.length, 1);
  if (!Array.isArray(transforms) || transforms.some((t) => typeof t !== "function")) {
    throw new TypeError(
      `Cannot create compose: expected an array of transforms (functions), got ${
        describeValue(transforms)
      }`,
    );
  }
  return (x, rng = defaultRng()) => transforms.reduce((acc, t) => t(acc, rng), x);
}

function checkImages(x: Tensor, where: string): void {
  if (x.ndim !== 4) {
    throw new TypeError(
      `Cannot run ${where}: expected input [B, C, H, W], got [${x.shape.join(", ")}]`,
    );
  }
}
