import { test } from "node:test";
import assert from "node:assert/strict";
import { broadcastInto, mseForward } from "../../../tensor/kernels/pointwise_loss.ts";

const BROADCAST_ROWS: {
  src: number[];
  srcShape: number[];
  dstShape: number[];
  expected: number[];
}[] = [
  { src: [1, 2, 3], srcShape: [3], dstShape: [2, 3], expected: [1, 2, 3, 1, 2, 3] },
  { src: [1, 2], srcShape: [2, 1], dstShape: [2, 3], expected: [1, 1, 1, 2, 2, 2] },
  { src: [7], srcShape: [], dstShape: [2, 2], expected: [7, 7, 7, 7] },
  {
    src: [1, 2],
    srcShape: [2, 1, 1],
    dstShape: [2, 2, 2, 2],
    expected: [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2],
  },
  {
    src: [1, 2, 3, 4],
    srcShape: [1, 2, 2],
    dstShape: [2, 2, 2],
    expected: [1, 2, 3, 4, 1, 2, 3, 4],
  },
];
for (const r of BROADCAST_ROWS) {
  test(`broadcastInto() expands [${r.srcShape}] to [${r.dstShape}]`, () => {
    const dst = new Float32Array(r.expected.length).fill(NaN);
    broadcastInto(new Float32Array(r.src), r.srcShape, dst, r.dstShape);
    assert.deepEqual([...dst], r.expected);
  });
}

test("mseForward() accumulates in float64 and fills losses only in [lo, hi)", () => {
  const losses = new Float32Array(3).fill(-1);
  const total = mseForward(
    new Float32Array([1e4, 1, 2]),
    new Float32Array([0, 0, 0]),
    losses,
    1,
    3,
  );
  assert.equal(total, 5);
  assert.deepEqual([...losses], [-1, 1, 4]);
});
