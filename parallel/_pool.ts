/**
 * Internal: the workers of one DataParallel, their comlink proxies, and the one rule
 * for turning any failure (a thrown error, an uncaught error event, an exit, a barrier
 * timeout) into a prompt `WorkerError` naming the worker that failed first.
 */

import * as Comlink from "comlink";
import type { Barrier } from "./barrier.ts";
import { READY_MESSAGE, type WorkerApi, WorkerError } from "./protocol.ts";

/** How long to wait for the culprit's own error after another worker reports the abort. */
const CULPRIT_GRACE_MS = 1000;

/** N module workers running worker.ts, failing as a group. */
export class WorkerPool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  readonly #remotes: Comlink.Remote<WorkerApi>[] = [];
  /** Set by the first failure, with or without a call in flight. */
  #failure: { index: number; cause: unknown } | null = null;
  #onFailure: (() => void) | null = null;
  #terminated = false;
  readonly #ready: Promise<void>[] = [];

  constructor(size: number) {
    this.size = size;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./_worker_entry.js", import.meta.url), { type: "module" });
      this.#ready.push(
        new Promise((resolve) => {
          const listener = (event: MessageEvent) => {
            if (event.data !== READY_MESSAGE) return;
            worker.removeEventListener("message", listener);
            resolve();
          };
          worker.addEventListener("message", listener);
        }),
      );
      // An uncaught error inside a worker would otherwise also take down the main thread (Deno).
      worker.addEventListener("error", (event: Event) => {
        event.preventDefault();
        this.#fail(i, errorFromEvent(event as ErrorEvent));
      });
      worker.addEventListener(
        "messageerror",
        () => this.#fail(i, new Error("a message could not be deserialized")),
      );
      // Bun reports a worker that exited; Deno has no such event (a silent exit shows as a barrier timeout).
      worker.addEventListener("close", () => {
        if (!this.#terminated) this.#fail(i, new Error("the worker exited"));
      });
      this.#workers.push(worker);
      this.#remotes.push(Comlink.wrap<WorkerApi>(worker));
    }
  }

  /** Resolves once every worker listens (rejects with a WorkerError if one fails to load). */
  ready(action: string): Promise<void> {
    return this.run(action, (_, i) => this.#ready[i]).then(() => undefined);
  }

  /** The first failure, if any. */
  get failure(): { index: number; cause: unknown } | null {
    return this.#failure;
  }

  /**
   * Calls `call(remote, i)` on every worker and resolves with all results in worker
   * order. Rejects with a `WorkerError` as soon as one worker fails; `barrier`, if
   * given, is aborted so that workers blocked in it return at once.
   */
  run<T>(
    action: string,
    call: (remote: Comlink.Remote<WorkerApi>, i: number) => Promise<T>,
    barrier?: Barrier,
  ): Promise<T[]> {
    if (this.#failure !== null) return Promise.reject(this.#error(action));
    if (this.#terminated) {
      return Promise.reject(new Error(`Cannot run ${action}: the workers are terminated`));
    }
    return new Promise<T[]>((resolve, reject) => {
      const results = new Array<T>(this.size);
      const errors = new Map<number, unknown>();
      let pending = this.size;
      let settled = false;
      let grace: ReturnType<typeof setTimeout> | undefined;
      const finish = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(grace);
        this.#onFailure = null;
        if (error === null) resolve(results);
        else reject(error);
      };
      this.#onFailure = () => {
        if (this.#failure!.index >= 0) barrier?.abort(this.#failure!.index);
        finish(this.#error(action));
      };
      const onError = (i: number, cause: unknown) => {
        errors.set(i, cause);
        const culprit = barrier !== undefined && barrier.abortedBy >= 0 ? barrier.abortedBy : i;
        barrier?.abort(i);
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
      this.#remotes.forEach((remote, i) => {
        call(remote, i).then(
          (value) => {
            results[i] = value;
            if (--pending === 0) finish(null);
          },
          (error) => onError(i, error),
        );
      });
    });
  }

  /** Terminates every worker (idempotent). Calls in flight never settle on their own: `run` has already rejected or will not be called. */
  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    for (const worker of this.#workers) worker.terminate();
    if (this.#onFailure !== null && this.#failure === null) {
      this.#failure = { index: -1, cause: new Error("the trainer was closed") };
      this.#onFailure();
    }
  }

  #fail(index: number, cause: unknown): void {
    if (this.#terminated && this.#failure !== null) return;
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

/**
 * The error of a worker's "error" event. Deno passes the Error; Bun passes only a
 * message holding a code frame and the stack, from which the "Name: message" line is taken.
 */
function errorFromEvent(event: ErrorEvent): Error {
  if (event.error instanceof Error) return event.error;
  const text = event.message || "uncaught error in the worker";
  // Bun writes "RangeError: message", or "error: message" for a plain Error.
  const line = /^(?:Uncaught )?([A-Z][A-Za-z]*Error|error): (.*)$/m.exec(text);
  const error = new Error(line !== null ? line[2] : text);
  if (line !== null && line[1] !== "error") error.name = line[1];
  error.stack = text;
  return error;
}
