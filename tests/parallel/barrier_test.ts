import { test } from "node:test";
import assert from "node:assert/strict";
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
