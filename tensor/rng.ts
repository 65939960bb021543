/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32.
 *
 * One generator drives initialization, shuffling, dropout and augmentation, so
 * the same seed gives the same run. Everything random takes `{ rng }`; when it is
 * omitted the module-level generator is used, which `manualSeed(seed)` resets.
 */

/** A seeded generator of 32-bit integers, uniform floats and normal floats. */
export class Rng {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  #spareNormal: number | null = null;

  /** @param seed any integer (taken modulo 2^32); the same seed gives the same stream. */
  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from `seed`. */
  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new RangeError(`Cannot seed Rng: expected a finite number, got ${seed}`);
    let x = Math.trunc(seed) >>> 0;
    const next = () => {
      // splitmix32: spreads one 32-bit seed over the 128-bit state.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    this.#spareNormal = null;
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s0 = this.#s0, s1 = this.#s1, s2 = this.#s2, s3 = this.#s3;
    const r = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    let n2 = (s2 ^ s0) >>> 0;
    let n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    n2 = (n2 ^ t) >>> 0;
    n3 = rotl(n3, 11);
    this.#s0 = n0;
    this.#s1 = n1;
    this.#s2 = n2;
    this.#s3 = n3;
    return r;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** Standard normal sample (Box–Muller, the second value is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.#spareNormal !== null) {
      const z = this.#spareNormal;
      this.#spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  randint(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new RangeError(`Cannot draw Rng.randint(n): expected an integer 1 ≤ n ≤ 2^32, got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.randint(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * An independent generator derived from this one's seed material and `index`,
   * e.g. one per worker: `rng.fork(workerIndex)`. Does not advance this generator.
   */
  fork(index: number): Rng {
    const child = new Rng(0);
    child.#s0 = (this.#s0 ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
    child.#s1 = (this.#s1 ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
    child.#s2 = (this.#s2 ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
    child.#s3 = (this.#s3 ^ Math.imul(index + 1, 0x27d4eb2f)) >>> 0;
    if ((child.#s0 | child.#s1 | child.#s2 | child.#s3) === 0) child.#s0 = 1;
    for (let i = 0; i < 8; i++) child.nextU32();
    return child;
  }

  /** The internal state, for checkpoints: four uint32 words. */
  getState(): [number, number, number, number] {
    return [this.#s0, this.#s1, this.#s2, this.#s3];
  }

  /** Restores a state returned by `getState()`. */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.every((s) => s === 0)) {
      throw new RangeError(`Cannot restore Rng state: expected four uint32 words not all zero, got [${state}]`);
    }
    this.#s0 = state[0] >>> 0;
    this.#s1 = state[1] >>> 0;
    this.#s2 = state[2] >>> 0;
    this.#s3 = state[3] >>> 0;
    this.#spareNormal = null;
  }
}

let defaultGenerator = new Rng(0);

/** Reseeds the module-level generator used when no `{ rng }` is passed (like `torch.manual_seed`). */
export function manualSeed(seed: number): Rng {
  defaultGenerator = new Rng(seed);
  return defaultGenerator;
}

/** The module-level generator used when no `{ rng }` is passed. */
export function defaultRng(): Rng {
  return defaultGenerator;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
