import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import {
  Barrier,
  BarrierAbortedError,
  BarrierTimeoutError,
  barrierWords,
} from "../../parallel/barrier.ts";

function words(parties: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * barrierWords(parties)));
}

test("Barrier.wait() lets a single party through at once, again and again", () => {
  const barrier = new Barrier(words(1), 1, 1000);
  for (let i = 0; i < 3; i++) barrier.wait(0);
});

test("Barrier.wait() throws a BarrierTimeoutError naming the workers that did not arrive", () => {
  const shared = words(3);
  const start = performance.now();
  assert.throws(() => new Barrier(shared, 3, 50).wait(0), (error: unknown) => {
    assert.ok(error instanceof BarrierTimeoutError);
    assert.deepEqual(error.missing, [1, 2]);
    assert.match(error.message, /workers 1, 2 did not arrive and made no progress within 50 ms/);
    return true;
  });
  assert.ok(performance.now() - start >= 45);
});

test("Barrier.abort() makes every later wait throw a BarrierAbortedError naming the first aborting worker", () => {
  const shared = words(2);
  const a = new Barrier(shared, 2, 1000);
  const b = new Barrier(shared, 2, 1000);
  assert.equal(a.abort(1), true);
  assert.equal(b.abort(0), false);
  assert.equal(b.abortedBy, 1);
  assert.throws(
    () => b.wait(0),
    (error: unknown) => error instanceof BarrierAbortedError && error.failedWorker === 1,
  );
});

test("Barrier.reset() clears an abort", () => {
  const barrier = new Barrier(words(1), 1, 1000);
  barrier.abort(0);
  barrier.reset();
  assert.equal(barrier.abortedBy, -1);
  barrier.wait(0);
});

test("Barrier() rejects memory that is not shared, too few words and bad counts", () => {
  assert.throws(() => new Barrier(new Int32Array(8), 2, 100), TypeError);
  assert.throws(() => new Barrier(words(1), 2, 100), RangeError);
  assert.throws(() => new Barrier(words(2), 0, 100), RangeError);
  assert.throws(() => new Barrier(words(2), 2, 0), RangeError);
});

/**
 * A worker thread that, once loaded, beats as worker 1 for `beatMs`, then arrives (or, with
 * `arrive` false, spins without beating); resolves when it starts beating.
 */
async function beatingWorker(words: Int32Array, beatMs: number, arrive: boolean): Promise<Worker> {
  const url = new URL("../../parallel/barrier.ts", import.meta.url).href;
  const code = `Promise.all([import("node:worker_threads"), import(${JSON.stringify(url)})]).then(
    ([{ workerData }, { Barrier }]) => {
      const barrier = new Barrier(workerData.words, 2, 150);
      Atomics.store(workerData.started, 0, 1);
      const end = performance.now() + workerData.beatMs;
      while (performance.now() < end) barrier.beat(1);
      if (workerData.arrive) barrier.wait(1);
      else for (;;);
    });`;
  const started = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(code, { eval: true, workerData: { words, started, beatMs, arrive } });
  while (Atomics.load(started, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  return worker;
}

test("Barrier.wait() waits past timeoutMs for a worker that beats, and names one that stops beating after timeoutMs", async () => {
  const words = new Int32Array(new SharedArrayBuffer(4 * barrierWords(2)));
  const working = await beatingWorker(words, 600, true);
  try {
    const start = performance.now();
    new Barrier(words, 2, 150).wait(0); // 600 ms of beats, then the worker arrives: no timeout
    assert.ok(performance.now() - start >= 450, "returned before worker 1 arrived");
  } finally {
    await working.terminate();
  }
  const stuck = await beatingWorker(words, 300, false);
  try {
    const start = performance.now();
    assert.throws(() => new Barrier(words, 2, 150).wait(0), (error: unknown) => {
      assert.ok(error instanceof BarrierTimeoutError);
      assert.deepEqual(error.missing, [1]);
      return true;
    });
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 350, `timed out after ${elapsed.toFixed(0)} ms, while worker 1 still beat`);
  } finally {
    await stuck.terminate();
  }
});
