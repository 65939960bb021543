import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  compose,
  MNIST_MEAN,
  MNIST_STD,
  normalize,
  randomCrop,
  randomHorizontalFlip,
  toFloat,
} from "../../data/transforms.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import { assertClose } from "../_helpers/assert_close.ts";

/** [B, C, H, W] with value b·1000 + c·100 + h·10 + w, easy to read back. */
function coded(b: number, c: number, h: number, w: number): Tensor {
  const t = Tensor.zeros([b, c, h, w]);
  for (let i = 0; i < t.size; i++) {
    const ww = i % w,
      hh = Math.floor(i / w) % h,
      cc = Math.floor(i / (w * h)) % c,
      bb = Math.floor(i / (w * h * c));
    t.data[i] = bb * 1000 + cc * 100 + hh * 10 + ww;
  }
  return t;
}

test("toFloat() divides by 255", () => {
  const x = new Tensor(Float32Array.from([0, 51, 127.5, 255]), [1, 1, 2, 2]);
  assertClose(toFloat()(x).data, [0, 0.2, 0.5, 1]);
});

test("normalize() applies (x − mean[c]) / std[c] per channel", () => {
  const x = new Tensor(Float32Array.from([0.5, 1, 0.25, 0.75, 0, 0.4]), [1, 3, 1, 2]);
  const y = normalize(CIFAR10_MEAN, CIFAR10_STD)(x);
  assertClose(y.data, [
    (0.5 - 0.4914) / 0.2470,
    (1 - 0.4914) / 0.2470,
    (0.25 - 0.4822) / 0.2435,
    (0.75 - 0.4822) / 0.2435,
    (0 - 0.4465) / 0.2616,
    (0.4 - 0.4465) / 0.2616,
  ]);
});

test("normalize() with MNIST constants maps 0 to −0.4242 and 1 to 2.8215", () => {
  assert.deepEqual([MNIST_MEAN[0], MNIST_STD[0]], [0.1307, 0.3081]);
  const y = normalize(MNIST_MEAN, MNIST_STD)(new Tensor(Float32Array.from([0, 1]), [2, 1, 1, 1]));
  assertClose(y.data, [-0.1307 / 0.3081, 0.8693 / 0.3081]);
});

test("normalize() rejects a channel count that differs from mean", () => {
  assert.throws(
    () => normalize([0.1, 0.2], [1, 1])(Tensor.zeros([1, 3, 2, 2])),
    /expected input \[B, 2, \.\.\.\], got \[1, 3, 2, 2\]/,
  );
  assert.throws(() => normalize([0.1], [0]), RangeError);
});

test("randomCrop() without padding and full size is the identity", () => {
  const x = coded(2, 2, 3, 3);
  assert.deepEqual(randomCrop(3)(x, new Rng(0)).data, x.data);
});

test("randomCrop() cuts the window at the drawn (top, left) with zero padding outside", () => {
  const x = coded(1, 2, 3, 3);
  const rng = new Rng(5);
  const probe = new Rng(5);
  const top = probe.randint(3 + 2 - 2 + 1) - 1;
  const left = probe.randint(3 + 2 - 2 + 1) - 1;
  const y = randomCrop(2, { padding: 1, fill: -1 })(x, rng);
  assert.deepEqual(y.shape, [1, 2, 2, 2]);
  const expected: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const r = top + i, q = left + j;
        expected.push(r >= 0 && r < 3 && q >= 0 && q < 3 ? c * 100 + r * 10 + q : -1);
      }
    }
  }
  assert.deepEqual(Array.from(y.data), expected);
});

test("randomCrop() with padding 4 on 32×32 uses shifts −4…4, each output a shifted copy", () => {
  const b = 100;
  const x = Tensor.zeros([b, 1, 32, 32]);
  for (let i = 0; i < x.size; i++) x.data[i] = 1 + (i % 1024); // 1 + h·32 + w, never the fill value 0
  const y = randomCrop(32, { padding: 4 })(x, new Rng(1));
  assert.deepEqual(y.shape, [b, 1, 32, 32]);
  const shifts = new Set<string>();
  for (let n = 0; n < b; n++) {
    const img = y.data.subarray(n * 1024, (n + 1) * 1024);
    const k = img.findIndex((v) => v !== 0);
    const v = img[k] - 1;
    const top = Math.floor(v / 32) - Math.floor(k / 32);
    const left = (v % 32) - (k % 32);
    assert.ok(Math.abs(top) <= 4 && Math.abs(left) <= 4, `shift ${top}, ${left}`);
    for (let i = 0; i < 32; i++) {
      for (let j = 0; j < 32; j++) {
        const r = i + top, q = j + left;
        const want = r >= 0 && r < 32 && q >= 0 && q < 32 ? 1 + r * 32 + q : 0;
        if (img[i * 32 + j] !== want) {
          assert.fail(`sample ${n} (${i}, ${j}): ${img[i * 32 + j]} ≠ ${want}`);
        }
      }
    }
    shifts.add(`${top},${left}`);
  }
  assert.ok(shifts.size >= 30, `only ${shifts.size} distinct shifts`);
});

test("randomHorizontalFlip(1) mirrors every row; p = 0 leaves the batch unchanged", () => {
  const x = coded(2, 1, 2, 3);
  const flipped = randomHorizontalFlip(1)(x.clone(), new Rng(0));
  assert.deepEqual(Array.from(flipped.data.subarray(0, 6)), [2, 1, 0, 12, 11, 10]);
  assert.deepEqual(randomHorizontalFlip(0)(x.clone(), new Rng(0)).data, x.data);
});

test("randomHorizontalFlip(0.5) flips about half the samples, per sample", () => {
  const x = coded(400, 1, 1, 2);
  const y = randomHorizontalFlip(0.5)(x.clone(), new Rng(3));
  let flips = 0;
  for (let b = 0; b < 400; b++) if (y.data[2 * b] > y.data[2 * b + 1]) flips++;
  assert.ok(flips > 160 && flips < 240, `${flips} flips`);
});

test("compose() applies transforms left to right with one rng (replayable)", () => {
  const make = () =>
    compose([
      randomCrop(2, { padding: 1 }),
      randomHorizontalFlip(),
      toFloat(),
      normalize([0.5], [0.5]),
    ]);
  const x = coded(4, 1, 3, 3);
  const a = make()(x.clone(), new Rng(9));
  const b = make()(x.clone(), new Rng(9));
  assert.deepEqual(a.data, b.data);
  assert.deepEqual(a.shape, [4, 1, 2, 2]);
  const plain = compose([toFloat(), normalize([0.5], [0.5])])(
    new Tensor(Float32Array.from([255, 0]), [1, 1, 1, 2]),
  );
  assertClose(plain.data, [1, -1]);
});

test("randomCrop({ reuseOutput }) writes each call into one buffer, with exactly the crops of a fresh-buffer crop", () => {
  const images = new Tensor(Float32Array.from({ length: 6 * 2 * 5 * 5 }, (_, i) => i + 1), [
    6,
    2,
    5,
    5,
  ]);
  const fresh = randomCrop(5, { padding: 2, fill: -1 });
  const reused = randomCrop(5, { padding: 2, fill: -1, reuseOutput: true });
  const [rngA, rngB] = [new Rng(3), new Rng(3)];
  const first = reused(images, rngB);
  for (let call = 0; call < 4; call++) {
    const want = fresh(images, rngA);
    const got = call === 0 ? first : reused(images, rngB);
    assert.equal(got.data, first.data, "the same buffer every call");
    assert.deepEqual(got.data, want.data, `call ${call}: every cell rewritten (fill and copies)`);
  }
  assert.notEqual(
    fresh(images, rngA).data,
    fresh(images, rngA).data,
    "the default returns new tensors",
  );
});
