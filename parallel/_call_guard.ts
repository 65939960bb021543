/**
 * Internal: DataParallel's call discipline: one call at a time, none once closed, and a
 * worker failure closes the trainer (its shared memory may be half-updated).
 */

import { WorkerError } from "./protocol.ts";
import type { WorkerPool } from "./_pool.ts";

/** Serializes the calls on one pool of workers and owns its closing. */
export class CallGuard {
  readonly #pool: WorkerPool;
  #busy = false;
  #closed = false;

  constructor(pool: WorkerPool) {
    this.#pool = pool;
  }

  /** True after `close()` (or after a worker failed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `body` unless closed or another call is in flight; a worker failure closes the trainer. */
  async run<T>(method: string, body: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      const failure = this.#pool.failure;
      const why = failure !== null && failure.index >= 0
        ? ` after worker ${failure.index} failed`
        : "";
      throw new Error(
        `Cannot run DataParallel.${method}: the trainer is closed${why}; create a new one`,
      );
    }
    if (this.#busy) {
      throw new Error(
        `Cannot run DataParallel.${method}: another call is still running; await it first`,
      );
    }
    this.#busy = true;
    try {
      return await body();
    } catch (error) {
      // The threads are gone before the caller hears of the failure.
      if (error instanceof WorkerError) await this.close();
      throw error;
    } finally {
      this.#busy = false;
    }
  }

  /** Terminates every worker (also one stuck in a loop); resolves when all threads have ended. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#pool.terminate();
  }
}
