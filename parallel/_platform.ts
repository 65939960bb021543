/**
 * Internal: the one place where DataParallel's threads meet the platform. Deno and Bun get
 * `node:worker_threads` Workers (reached through `process.getBuiltinModule`, so that no
 * module of parallel/ imports a `node:` module and the folder loads unchanged in a page):
 * unlike their web Workers these report an exit (Deno's web Worker has no such event),
 * `terminate()` ends a worker stuck in a loop (Deno's web Worker keeps running it and the
 * process never exits), and `unref()` lets a script that forgot `close()` exit. A browser,
 * which has no `process`, gets module Web Workers: `terminate()` stops them at once, load
 * and uncaught errors arrive as "error" events, and there is no exit event and no process
 * to keep alive (a stall is still caught by the pool's heartbeat watchdog).
 */

import type { Endpoint } from "comlink";
import { nodeEndpoint, type NodePort } from "./_node_endpoint.ts";

/** A started worker as the pool sees it, whatever the platform. */
export interface WorkerHandle {
  /** comlink's view of the worker (message events carry the posted data). */
  readonly endpoint: Endpoint;
  /** Calls `listener` with any uncaught or load error of the worker. */
  onError(listener: (error: unknown) => void): void;
  /** Calls `listener` with the exit code when the thread ends (never, for a Web Worker). */
  onExit(listener: (code: number) => void): void;
  /** Keeps the process alive while the worker exists (no-op in a browser). */
  ref(): void;
  /** Lets the process exit although the worker exists (no-op in a browser). */
  unref(): void;
  /** Ends the worker, also one stuck in a loop; resolves once it has ended. */
  terminate(): Promise<void>;
}

/** The platform's worker kind: "worker_threads" (Deno, Bun, Node) or "web" (a browser). */
export const workerPlatform: "worker_threads" | "web" = workerThreads() === null
  ? "web"
  : "worker_threads";

/**
 * Starts a worker on the module `entry`. Under worker_threads an entry that is not a file
 * (this module imported by http(s) URL, Deno) runs through an evaluated dynamic import,
 * since that Worker constructor takes only file: and data: URLs.
 */
export function spawnWorker(entry: URL): WorkerHandle {
  const threads = workerThreads();
  if (threads === null) return webWorker(entry);
  const worker = entry.protocol === "file:"
    ? new threads.Worker(entry)
    : new threads.Worker(`import(${JSON.stringify(entry.href)});`, { eval: true });
  return {
    endpoint: nodeEndpoint(worker),
    onError: (listener) => {
      worker.on("error", listener);
      worker.on("messageerror", () => listener(new Error("a message could not be deserialized")));
    },
    onExit: (listener) => worker.on("exit", listener),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: () => worker.terminate().then(() => undefined),
  };
}

/**
 * Inside a worker: the endpoint to the thread that started it (`parentPort` under
 * worker_threads, the worker's global scope in a browser). Throws on a main thread.
 */
export function parentEndpoint(): Endpoint & { postMessage(message: unknown): void } {
  const threads = workerThreads();
  if (threads !== null) {
    if (threads.parentPort === null) {
      throw new Error("parallel/worker.ts runs only as a node:worker_threads Worker");
    }
    return nodeEndpoint(threads.parentPort);
  }
  const scope = globalThis as unknown as { WorkerGlobalScope?: unknown };
  if (scope.WorkerGlobalScope === undefined) {
    throw new Error("parallel/worker.ts runs only in a Worker (no WorkerGlobalScope here)");
  }
  return globalThis as unknown as Endpoint & { postMessage(message: unknown): void };
}

/** The part of node:worker_threads this module uses. */
interface WorkerThreads {
  Worker: new (entry: URL | string, options?: { eval?: boolean }) => NodeWorker;
  parentPort: NodePort | null;
}

interface NodeWorker extends NodePort {
  on(event: string, listener: (value: never) => void): unknown;
  ref(): void;
  unref(): void;
  terminate(): Promise<number | void>;
}

/** node:worker_threads where the runtime has it (Deno 2, Bun, Node ≥ 20.16), else null. */
function workerThreads(): WorkerThreads | null {
  const process = (globalThis as {
    process?: { getBuiltinModule?: (name: string) => unknown };
  }).process;
  const module = process?.getBuiltinModule?.("node:worker_threads");
  return (module as WorkerThreads | undefined) ?? null;
}

/**
 * A synchronous full garbage collection where the runtime offers one to scripts: Bun's
 * `Bun.gc(true)`, or V8's `gc()` when the process was started with `--expose-gc` (Deno:
 * `deno run --v8-flags=--expose-gc`); nothing elsewhere (a browser, V8 without the flag).
 * Evaluation calls it every few chunks: eval-mode layers allocate new outputs, and
 * JavaScriptCore let their garbage reach ~3 GB in a cifar-cnn test pass on 2 workers where
 * V8 keeps it under ~1 GB; V8 lets up to ~64 MB of such young buffers pile up per worker
 * before a scavenge (issue 16, README "Memory").
 */
export function collectGarbage(): void {
  const scope = globalThis as { Bun?: { gc(force: boolean): void }; gc?: unknown };
  if (scope.Bun !== undefined) scope.Bun.gc(true);
  else if (typeof scope.gc === "function") scope.gc();
}

/** A module Web Worker on `entry` as a WorkerHandle. */
function webWorker(entry: URL): WorkerHandle {
  const worker = new Worker(entry, { type: "module" });
  return {
    endpoint: worker as unknown as Endpoint,
    onError: (listener) => {
      worker.addEventListener("error", (event) => {
        // Handled here: the pool reports it as a WorkerError naming the worker.
        event.preventDefault();
        listener(
          event.error ?? new Error(event.message || `the worker ${entry.href} failed to load`),
        );
      });
      worker.addEventListener(
        "messageerror",
        () => listener(new Error("a message could not be deserialized")),
      );
    },
    onExit: () => {},
    ref: () => {},
    unref: () => {},
    terminate: () => {
      worker.terminate();
      return Promise.resolve();
    },
  };
}
