/**
 * Initializers with torch.nn.init's formulas. Each fills a Tensor in place and
 * returns it; all randomness comes from `{ rng }` (default: the module generator).
 */

import type { Tensor } from "./tensor.ts";
import { defaultRng, type Rng } from "./rng.ts";
import { formatShape } from "./shape.ts";

/** Options shared by the random initializers. */
export interface InitOptions {
  /** Random generator. @default defaultRng() */
  rng?: Rng;
}

/** Nonlinearities understood by `calculateGain`, as in torch.nn.init. */
export type Nonlinearity =
  | "linear" | "conv1d" | "conv2d" | "conv3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/**
 * `[fan_in, fan_out]` of a weight shaped `[out, in, ...kernel]`:
 * fan_in = in × prod(kernel), fan_out = out × prod(kernel) (torch's `_calculate_fan_in_and_fan_out`).
 */
export function calculateFanInAndFanOut(shape: readonly number[]): [number, number] {
  if (shape.length < 2) {
    throw new TypeError(
      `Cannot compute fan in and fan out: expected a weight with at least 2 dimensions, got ${formatShape(shape)}`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return [shape[1] * receptive, shape[0] * receptive];
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d": case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
  }
}

/** Fills with U[low, high). */
export function uniform(t: Tensor, low = 0, high = 1, { rng = defaultRng() }: InitOptions = {}): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.random();
  return t;
}

/** Fills with N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1, { rng = defaultRng() }: InitOptions = {}): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.normal(mean, std);
  return t;
}

/** Fills with `value`. */
export function constant(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

/** Fills with 0. */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fills with 1. */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Options of the Kaiming (He) initializers. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only). @default 0 */
  a?: number;
  /** Preserve the variance of the forward ("fan_in") or backward ("fan_out") pass. @default "fan_in" */
  mode?: "fan_in" | "fan_out";
  /** @default "leaky_relu" */
  nonlinearity?: Nonlinearity;
}

/**
 * Kaiming uniform: U(-bound, bound) with bound = gain × sqrt(3 / fan), gain = calculateGain(nonlinearity, a).
 * PyTorch's Linear and Conv2d call it with a = sqrt(5), which gives bound = 1 / sqrt(fan_in).
 */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform(t, -bound, bound, options);
}

/** Kaiming normal: N(0, std²) with std = gain / sqrt(fan). */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, options), options);
}

/** Xavier (Glorot) uniform: U(-a, a) with a = gain × sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t.shape);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -a, a, options);
}

/** Xavier (Glorot) normal: N(0, std²) with std = gain × sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t.shape);
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), options);
}

function kaimingStd(t: Tensor, { a = 0, mode = "fan_in", nonlinearity = "leaky_relu" }: KaimingOptions): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t.shape);
  const fan = mode === "fan_in" ? fanIn : fanOut;
  if (fan === 0) throw new RangeError(`Cannot initialize a zero-element tensor ${formatShape(t.shape)}`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}
