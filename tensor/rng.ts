/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32.
 *
 * One generator drives initialization, shuffling, dropout and augmentation, so
 * the same seed gives the same run. Everything random takes `{ rng }`; when it is
 * omitted the module-level generator is used, which `manualSeed(seed)` resets.
 */

/** A seeded generator of 32-bit integers, uniform floats and normal floats. */
export class Rng {
  // The 128-bit state as four int32 words: typed-array elements keep the engines on integer
  // arithmetic, where uint32 numbers in object fields are boxed (several times slower).
  readonly #s = new Int32Array(4);
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
    for (let i = 0; i < 4; i++) this.#s[i] = next();
    this.#spareNormal = null;
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    return xoshiro128StarStar(this.#s) >>> 0;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  random(): number {
    const s = this.#s;
    const hi = xoshiro128StarStar(s) >>> 5; // 27 bits
    const lo = xoshiro128StarStar(s) >>> 6; // 26 bits
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
    const [a, b] = [this.#s, child.#s];
    b[0] = a[0] ^ Math.imul(index + 1, 0x9e3779b9);
    b[1] = a[1] ^ Math.imul(index + 1, 0x85ebca6b);
    b[2] = a[2] ^ Math.imul(index + 1, 0xc2b2ae35);
    b[3] = a[3] ^ Math.imul(index + 1, 0x27d4eb2f);
    if ((b[0] | b[1] | b[2] | b[3]) === 0) b[0] = 1;
    for (let i = 0; i < 8; i++) child.nextU32();
    return child;
  }

  /** The internal state, for checkpoints: four uint32 words. */
  getState(): [number, number, number, number] {
    const s = this.#s;
    return [s[0] >>> 0, s[1] >>> 0, s[2] >>> 0, s[3] >>> 0];
  }

  /** Restores a state returned by `getState()`. */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.every((s) => s === 0)) {
      throw new RangeError(`Cannot restore Rng state: expected four uint32 words not all zero, got [${state}]`);
    }
    this.#s.set(state.map((word) => word | 0));
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


/**
 * One step of xoshiro128** (Blackman & Vigna) on the state words s, in int32 arithmetic:
 * returns rotl(s1·5, 7)·9 (as int32 bits) and advances s.
 */
function xoshiro128StarStar(s: Int32Array): number {
  const s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
  const m = Math.imul(s1, 5);
  const result = Math.imul((m << 7) | (m >>> 25), 9);
  const t2 = s2 ^ s0, t3 = s3 ^ s1;
  s[0] = s0 ^ t3;
  s[1] = s1 ^ t2;
  s[2] = t2 ^ (s1 << 9);
  s[3] = (t3 << 11) | (t3 >>> 21);
  return result;
}
