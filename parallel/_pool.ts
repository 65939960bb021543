/**
 * Internal: the workers of one DataParallel, their comlink proxies, and the one rule
 * for turning any failure (a thrown error, an uncaught error, an exit, a barrier
 * timeout, a worker that makes no progress) into a prompt `WorkerError` naming the
 * worker that failed first.
 *
 * The workers come from the platform adapter (_platform.ts): node:worker_threads Workers
 * under Deno and Bun, module Web Workers in a browser.
 */

import * as Comlink from "comlink";
import type { Barrier } from "./barrier.ts";
import { READY_MESSAGE, type WorkerApi, WorkerError } from "./protocol.ts";
import { spawnWorker, type WorkerHandle } from "./_platform.ts";
import { SLICE_MS, StallClock } from "./_stall_clock.ts";

/** How long to wait for the culprit's own error after another worker reports the abort. */
const CULPRIT_GRACE_MS = 1000;
/** The least time a worker may take to load its modules (it cannot beat before it runs). */
const STARTUP_MS = 30_000;

/** N workers running worker.ts, failing as a group. */
export class WorkerPool {
  readonly size: number;
  readonly #workers: WorkerHandle[] = [];
  readonly #remotes: Comlink.Remote<WorkerApi>[] = [];
  readonly #barrier: Barrier;
  readonly #timeoutMs: number;
  /** Set by the first failure, with or without a call in flight. */
  #failure: { index: number; cause: unknown } | null = null;
  #onFailure: (() => void) | null = null;
  #terminated: Promise<void> | null = null;
  readonly #ready: Promise<void>[] = [];

  /**
   * @param barrier the workers' barrier: its heartbeats tell a working worker from a stuck one
   * @param timeoutMs how long a worker may make no progress during a call
   */
  constructor(size: number, barrier: Barrier, timeoutMs: number) {
    this.size = size;
    this.#barrier = barrier;
    this.#timeoutMs = timeoutMs;
    for (let i = 0; i < size; i++) {
      const worker = spawnWorker(new URL("./_worker_entry.js", import.meta.url));
      this.#ready.push(
        new Promise((resolve) => {
          const listener = (event: MessageEvent) => {
            if (event.data !== READY_MESSAGE) return;
            worker.endpoint.removeEventListener("message", listener as EventListener);
            resolve();
          };
          worker.endpoint.addEventListener("message", listener as EventListener);
        }),
      );
      worker.onError((error: unknown) => this.#fail(i, errorFrom(error)));
      worker.onExit((code: number) => {
        if (this.#terminated === null) {
          this.#fail(i, new Error(`the worker exited (exit code ${code})`));
        }
      });
      // Idle workers do not keep the process alive; `run` holds them while a call is in flight.
      worker.unref();
      this.#workers.push(worker);
      this.#remotes.push(Comlink.wrap<WorkerApi>(worker.endpoint));
    }
  }

  /** Resolves once every worker listens (rejects with a WorkerError if one fails to load). */
  ready(action: string): Promise<void> {
    return this.run(action, (_, i) => this.#ready[i], { startup: true }).then(() => undefined);
  }

  /** The first failure, if any. */
  get failure(): { index: number; cause: unknown } | null {
    return this.#failure;
  }

  /**
   * Calls `call(remote, i)` on every worker and resolves with all results in worker
   * order. Rejects with a `WorkerError` as soon as one worker fails, exits, or makes no
   * progress (no heartbeat) for the timeout while its result is pending; the barrier is
   * aborted so that workers blocked in it return at once. During `startup` the workers
   * cannot beat yet: each gets max(timeout, 30 s) of running time to load.
   */
  run<T>(
    action: string,
    call: (remote: Comlink.Remote<WorkerApi>, i: number) => Promise<T>,
    { startup = false }: { startup?: boolean } = {},
  ): Promise<T[]> {
    if (this.#failure !== null) return Promise.reject(this.#error(action));
    if (this.#terminated !== null) {
      return Promise.reject(new Error(`Cannot run ${action}: the workers are terminated`));
    }
    const barrier = this.#barrier;
    return new Promise<T[]>((resolve, reject) => {
      const results = new Array<T>(this.size);
      const errors = new Map<number, unknown>();
      const pending = new Set(this.#workers.keys());
      let settled = false;
      let grace: ReturnType<typeof setTimeout> | undefined;
      const finish = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(grace);
        clearInterval(watchdog);
        this.#onFailure = null;
        if (this.#terminated === null) { for (const worker of this.#workers) worker.unref(); }
        if (error === null) resolve(results);
        else reject(error);
      };
      this.#onFailure = () => {
        if (this.#failure!.index >= 0) barrier.abort(this.#failure!.index);
        finish(this.#error(action));
      };
      const onError = (i: number, cause: unknown) => {
        errors.set(i, cause);
        const culprit = barrier.abortedBy >= 0 ? barrier.abortedBy : i;
        barrier.abort(i);
        if (errors.has(culprit)) return this.#fail(culprit, errors.get(culprit));
        // A timed-out barrier already waited long enough for the missing worker.
        if ((cause as Error | null)?.name === "BarrierTimeoutError") {
          return this.#fail(culprit, cause);
        }
        // Another worker only saw the abort; the culprit's own error is on its way.
        grace ??= setTimeout(
          () => this.#fail(culprit, errors.get(culprit) ?? cause),
          CULPRIT_GRACE_MS,
        );
      };
      const limit = startup ? Math.max(this.#timeoutMs, STARTUP_MS) : this.#timeoutMs;
      const clocks = this.#workers.map(() => new StallClock());
      const beats = this.#workers.map((_, i) => barrier.heartbeat(i));
      const watchdog = setInterval(() => {
        for (const i of pending) {
          const beat = barrier.heartbeat(i);
          const stalled = clocks[i].tick(!startup && beat !== beats[i]);
          beats[i] = beat;
          if (stalled >= limit) {
            barrier.abort(i);
            return this.#fail(i, new Error(stallMessage(startup, limit)));
          }
        }
      }, SLICE_MS);
      for (const worker of this.#workers) worker.ref();
      this.#remotes.forEach((remote, i) => {
        call(remote, i).then(
          (value) => {
            results[i] = value;
            pending.delete(i);
            if (pending.size === 0) finish(null);
          },
          (error) => {
            pending.delete(i);
            onError(i, error);
          },
        );
      });
    });
  }

  /**
   * Terminates every worker (idempotent), also one stuck in a loop; resolves once all
   * threads have ended. Calls in flight reject.
   */
  terminate(): Promise<void> {
    if (this.#terminated !== null) return this.#terminated;
    // Set before terminating: a runtime may report the exits from inside terminate().
    let ended: () => void = () => {};
    this.#terminated = new Promise<void>((resolve) => ended = resolve);
    Promise.all(this.#workers.map((worker) => worker.terminate())).then(() => ended());
    if (this.#onFailure !== null && this.#failure === null) {
      this.#failure = { index: -1, cause: new Error("the trainer was closed") };
      this.#onFailure();
    }
    return this.#terminated;
  }

  #fail(index: number, cause: unknown): void {
    if (this.#terminated !== null && this.#failure !== null) return;
    if (this.#failure === null) this.#failure = { index, cause };
    this.#onFailure?.();
  }

  #error(action: string): Error {
    const { index, cause } = this.#failure!;
    if (index < 0) {
      return new Error(`Cannot run ${action}: the trainer was closed during the call`, { cause });
    }
    return new WorkerError(action, index, cause);
  }
}

function stallMessage(startup: boolean, limitMs: number): string {
  return startup
    ? `the worker did not start within ${limitMs} ms of running time`
    : `the worker made no progress for ${limitMs} ms (stuck in a loop or blocked; ` +
      `if one batch really takes longer, raise timeoutMs)`;
}

/** An "error" event's value as an Error (Bun may pass a plain object or a string). */
function errorFrom(error: unknown): Error {
  if (error instanceof Error) return error;
  if (error !== null && typeof error === "object" && "message" in error) {
    const out = new Error(String(error.message));
    if ("name" in error && typeof error.name === "string") out.name = error.name;
    return out;
  }
  return new Error(String(error ?? "uncaught error in the worker"));
}
