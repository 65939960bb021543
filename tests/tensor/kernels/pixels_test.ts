/** pixelTable + gatherPixels: bit for bit data/transforms.ts's toFloat() then normalize(), in one pass. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { gatherPixels, pixelTable } from "../../../tensor/kernels/pixels.ts";
import { compose, normalize, toFloat } from "../../../data/transforms.ts";
import { Tensor } from "../../../tensor/tensor.ts";
import { Rng } from "../../../tensor/rng.ts";

for (
  const { name, channels, inner, mean, std } of [
    { name: "MNIST's one channel", channels: 1, inner: 28 * 28, mean: [0.1307], std: [0.3081] },
    {
      name: "CIFAR's three channels",
      channels: 3,
      inner: 32 * 32,
      mean: [0.4914, 0.4822, 0.4465],
      std: [0.247, 0.2435, 0.2616],
    },
    { name: "one mean for three channels", channels: 3, inner: 5, mean: [0.5], std: [0.25] },
  ]
) {
  test(`gatherPixels gives toFloat + normalize's values exactly: ${name}`, () => {
    const rng = new Rng(7);
    const n = 9, size = channels * inner;
    // Every byte value appears, in every channel.
    const rows = Uint8Array.from({ length: n * size }, (_, i) => (i * 37 + rng.randint(256)) % 256);
    const indices = Int32Array.from([8, 0, 3, 3, 5]);
    const out = new Float32Array(indices.length * size).fill(NaN);
    gatherPixels(rows, indices, channels, inner, pixelTable(mean, std, channels), out);
    const copied = new Float32Array(indices.length * size);
    indices.forEach((row, b) => copied.set(rows.subarray(row * size, (row + 1) * size), b * size));
    const expected = compose([toFloat(), normalize(mean, std)])(
      new Tensor(copied, [indices.length, channels, inner]),
    ).data;
    for (let i = 0; i < out.length; i++) {
      if (!Object.is(out[i], expected[i])) {
        assert.fail(`element ${i}: ${out[i]}, the transforms give ${expected[i]}`);
      }
    }
  });
}

test("pixelTable maps byte 0 and 255 of each channel as (0 − m)/s and (1 − m)/s", () => {
  const t = pixelTable([0.25, 0.5], [0.5, 0.25], 2);
  assert.deepEqual([t[0], t[255], t[256], t[511]], [-0.5, 1.5, -2, 2]);
});
