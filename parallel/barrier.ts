/**
 * Barrier: a reusable rendezvous of N workers on Atomics.wait/notify over shared
 * memory, with per-worker heartbeats, a progress-based timeout and an abort flag so a
 * failed, dead or stuck worker never leaves the others blocked.
 */

import { SLICE_MS, StallClock } from "./_stall_clock.ts";

/** Int32 words a barrier for `parties` workers needs (see `Barrier`). */
export function barrierWords(parties: number): number {
  return 4 + 2 * parties;
}

const COUNT = 0; // arrivals in the current generation
const GEN = 1; // generation, bumped when the last worker arrives (or on abort)
const ABORT = 2; // 0, or 1 + index of the worker that aborted first
const ARRIVED = 4; // per worker: the generation it last arrived in, plus one
const BEAT = (parties: number) => ARRIVED + parties; // per worker: its heartbeat count
const SPIN_MS = 0.2; // busy-wait this long before sleeping in Atomics.wait

/** Thrown by `Barrier.wait` in the other workers once one worker has aborted. */
export class BarrierAbortedError extends Error {
  /** The worker that called `abort` first. */
  readonly failedWorker: number;
  constructor(failedWorker: number) {
    super(`Cannot pass the barrier: worker ${failedWorker} failed`);
    this.name = "BarrierAbortedError";
    this.failedWorker = failedWorker;
  }
}

/** Thrown by `Barrier.wait` when the workers that had not arrived made no progress for the timeout. */
export class BarrierTimeoutError extends Error {
  /** The workers that had not arrived. */
  readonly missing: number[];
  constructor(missing: number[], timeoutMs: number) {
    super(
      `Cannot pass the barrier: worker${missing.length > 1 ? "s" : ""} ${
        missing.join(", ")
      } did not arrive ` +
        `and made no progress within ${timeoutMs} ms (stuck in a loop, dead, or one forward/backward slower than the timeout; raise timeoutMs if so)`,
    );
    this.name = "BarrierTimeoutError";
    this.missing = missing;
  }
}

/**
 * A sense-reversing barrier in `barrierWords(parties)` Int32 words of shared memory.
 * Every party constructs its own `Barrier` over the same words.
 *
 * Layout: `[count, generation, abort, -, arrived_0 .. arrived_{N-1}, beat_0 .. beat_{N-1}]`.
 * The last worker to arrive resets `count` and bumps `generation`, waking the others.
 * `abort(i)` records the first failing worker and also bumps `generation`, so waiters
 * wake at once and throw `BarrierAbortedError` (no lost wake-up: a waiter sleeps only
 * while the generation it read is current). After an abort the words must be `reset()`
 * while no worker is waiting.
 *
 * `beat(i)` is worker i's heartbeat: it bumps it while it works (and a waiter bumps its
 * own while it waits). A waiter times out only when the workers it waits for made no
 * progress for `timeoutMs` of time in which it ran itself (see _stall_clock.ts), so a
 * slow step that still beats, or a process paused with SIGSTOP, is not a failure.
 *
 * @example
 * ```ts
 * import { Barrier, barrierWords } from "./barrier.ts";
 * const words = new Int32Array(new SharedArrayBuffer(4 * barrierWords(1)));
 * new Barrier(words, 1, 1000).wait(0); // a single party passes at once
 * ```
 */
export class Barrier {
  readonly #words: Int32Array;
  readonly #parties: number;
  readonly #timeoutMs: number;

  /**
   * @param words `barrierWords(parties)` Int32 words in a SharedArrayBuffer
   * @param parties number of workers that meet at the barrier
   * @param timeoutMs how long `wait` blocks before throwing `BarrierTimeoutError`
   */
  constructor(words: Int32Array, parties: number, timeoutMs: number) {
    if (!(words.buffer instanceof SharedArrayBuffer)) {
      throw new TypeError(`Cannot create Barrier: expected words in a SharedArrayBuffer`);
    }
    if (!Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`Cannot create Barrier: expected parties ≥ 1, got ${parties}`);
    }
    if (words.length < barrierWords(parties)) {
      throw new RangeError(
        `Cannot create Barrier: ${parties} parties need ${
          barrierWords(parties)
        } words, got ${words.length}`,
      );
    }
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot create Barrier: expected timeoutMs > 0, got ${timeoutMs}`);
    }
    this.#words = words;
    this.#parties = parties;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Blocks worker `index` until all parties have arrived. Throws `BarrierAbortedError`
   * if a worker aborted (before or while waiting) and `BarrierTimeoutError` naming the
   * missing workers once they made no progress (no heartbeat) for `timeoutMs`.
   * Uses Atomics.wait: call it from a worker thread.
   */
  wait(index: number): void {
    const words = this.#words;
    this.#throwIfAborted();
    const gen = Atomics.load(words, GEN);
    Atomics.store(words, ARRIVED + index, gen + 1);
    if (Atomics.add(words, COUNT, 1) === this.#parties - 1) {
      Atomics.store(words, COUNT, 0);
      Atomics.add(words, GEN, 1);
      Atomics.notify(words, GEN);
      return;
    }
    // Spin briefly first: the others are usually close behind, and waking a sleeping
    // thread costs far more than this on virtual machines (≈0.1–0.3 ms).
    const spinEnd = performance.now() + SPIN_MS;
    while (Atomics.load(words, GEN) === gen && performance.now() < spinEnd);
    const parties = this.#parties;
    const seen = Array.from({ length: parties }, (_, i) => Atomics.load(words, BEAT(parties) + i));
    const clock = new StallClock();
    while (Atomics.load(words, GEN) === gen) {
      Atomics.wait(words, GEN, gen, SLICE_MS);
      this.beat(index);
      if (Atomics.load(words, GEN) !== gen) break;
      const missing: number[] = [];
      let progressed = false;
      for (let i = 0; i < parties; i++) {
        if (Atomics.load(words, ARRIVED + i) === gen + 1) continue;
        missing.push(i);
        const beat = Atomics.load(words, BEAT(parties) + i);
        if (beat !== seen[i]) [seen[i], progressed] = [beat, true];
      }
      if (clock.tick(progressed) >= this.#timeoutMs) {
        this.#throwIfAborted();
        throw new BarrierTimeoutError(missing, this.#timeoutMs);
      }
    }
    this.#throwIfAborted();
  }

  /** Worker `index`'s heartbeat: call it often while working (a watcher judges liveness by it). */
  beat(index: number): void {
    Atomics.add(this.#words, BEAT(this.#parties) + index, 1);
  }

  /** Worker `index`'s heartbeat count. */
  heartbeat(index: number): number {
    return Atomics.load(this.#words, BEAT(this.#parties) + index);
  }

  /**
   * Marks the barrier failed by worker `index` (or by the main thread on its behalf) and
   * wakes every waiter. Returns true if this call was the first abort. Never blocks.
   */
  abort(index: number): boolean {
    const first = Atomics.compareExchange(this.#words, ABORT, 0, index + 1) === 0;
    Atomics.add(this.#words, GEN, 1);
    Atomics.notify(this.#words, GEN);
    return first;
  }

  /** The worker that aborted first, or -1. */
  get abortedBy(): number {
    return Atomics.load(this.#words, ABORT) - 1;
  }

  /** Clears counts and the abort flag; only while no worker is inside `wait`. */
  reset(): void {
    Atomics.store(this.#words, COUNT, 0);
    Atomics.store(this.#words, ABORT, 0);
    for (let i = 0; i < this.#parties; i++) Atomics.store(this.#words, ARRIVED + i, 0);
  }

  #throwIfAborted(): void {
    const aborted = Atomics.load(this.#words, ABORT);
    if (aborted !== 0) throw new BarrierAbortedError(aborted - 1);
  }
}
