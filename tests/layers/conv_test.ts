import { test } from "node:test";
import assert from "node:assert/strict";
import { Conv2d, type Conv2dOptions } from "../../layers/conv.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { randomTensor } from "./_inputs.ts";

interface ConvCase {
  name: string;
  args: [number, number, number | [number, number]];
  options?: Conv2dOptions;
  shape: number[];
}

const CASES: ConvCase[] = [
  { name: "3×3, stride 1, no padding", args: [2, 3, 3], shape: [2, 2, 5, 5] },
  { name: "padding 1", args: [2, 2, 3], options: { padding: 1 }, shape: [2, 2, 4, 4] },
  { name: "stride 2, odd size 7×5", args: [1, 2, 3], options: { stride: 2 }, shape: [2, 1, 7, 5] },
  {
    name: "stride [2, 1], padding [1, 0]",
    args: [2, 2, [3, 2]],
    options: { stride: [2, 1], padding: [1, 0] },
    shape: [1, 2, 6, 5],
  },
  {
    name: "dilation 2",
    args: [2, 2, 3],
    options: { dilation: 2, padding: 1 },
    shape: [1, 2, 7, 7],
  },
  { name: "groups 2", args: [4, 6, 3], options: { groups: 2, padding: 1 }, shape: [2, 4, 4, 4] },
  {
    name: "depthwise (groups = C_in)",
    args: [3, 3, 3],
    options: { groups: 3 },
    shape: [1, 3, 5, 5],
  },
  { name: "no bias", args: [2, 3, 2], options: { bias: false }, shape: [2, 2, 4, 3] },
  { name: "batch 1, 1×1 kernel", args: [3, 2, 1], shape: [1, 3, 3, 3] },
  {
    name: 'padding "same", odd kernel',
    args: [2, 2, 3],
    options: { padding: "same" },
    shape: [1, 2, 5, 4],
  },
  {
    name: 'padding "same", even kernel (asymmetric)',
    args: [2, 2, [2, 4]],
    options: { padding: "same" },
    shape: [2, 2, 4, 5],
  },
  {
    name: 'padding "same" with dilation 3',
    args: [1, 2, 2],
    options: { padding: "same", dilation: 3 },
    shape: [1, 1, 5, 5],
  },
  { name: 'padding "valid"', args: [1, 1, 2], options: { padding: "valid" }, shape: [1, 1, 3, 3] },
  { name: "unbatched [C, H, W]", args: [2, 2, 3], options: { padding: 1 }, shape: [2, 3, 4] },
];

for (const { name, args, options, shape } of CASES) {
  test(`Conv2d.backward() matches finite differences: ${name}`, () => {
    const conv = new Conv2d(...args, { ...options, rng: new Rng(3) });
    checkModuleGradients(conv, randomTensor(shape, 5));
  });
}

/**
 * Direct float64 cross-correlation with explicit top/left/bottom/right zero padding (the oracle).
 */
function convReference(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  stride: [number, number],
  pad: [number, number, number, number],
  dilation: [number, number],
  groups: number,
): { shape: number[]; data: number[] } {
  const [n, cIn, h, wd] = x.shape;
  const [cOut, cInG, kh, kw] = w.shape;
  const [top, left, bottom, right] = pad;
  const hOut = Math.floor((h + top + bottom - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const wOut = Math.floor((wd + left + right - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  const cOutG = cOut / groups;
  const data: number[] = [];
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < cOut; o++) {
      const g = Math.floor(o / cOutG);
      for (let i = 0; i < hOut; i++) {
        for (let j = 0; j < wOut; j++) {
          let sum = b === null ? 0 : b.data[o];
          for (let c = 0; c < cInG; c++) {
            for (let p = 0; p < kh; p++) {
              for (let q = 0; q < kw; q++) {
                const r = i * stride[0] - top + p * dilation[0];
                const col = j * stride[1] - left + q * dilation[1];
                if (r < 0 || r >= h || col < 0 || col >= wd) continue;
                sum += w.data[((o * cInG + c) * kh + p) * kw + q] *
                  x.data[((s * cIn + g * cInG + c) * h + r) * wd + col];
              }
            }
          }
          data.push(sum);
        }
      }
    }
  }
  return { shape: [n, cOut, hOut, wOut], data };
}

const FORWARD_CASES: {
  name: string;
  conv: () => Conv2d;
  shape: number[];
  pad: [number, number, number, number];
}[] = [
  {
    name: "stride 2, padding 1",
    conv: () => new Conv2d(2, 3, 3, { stride: 2, padding: 1 }),
    shape: [2, 2, 6, 5],
    pad: [1, 1, 1, 1],
  },
  {
    name: "dilation [2, 1], groups 2",
    conv: () => new Conv2d(4, 2, [2, 3], { dilation: [2, 1], groups: 2 }),
    shape: [1, 4, 6, 6],
    pad: [0, 0, 0, 0],
  },
  // PyTorch's "same" for total padding 3 (kernel 4): 1 before, 2 after.
  {
    name: 'padding "same", kernel [4, 3]',
    conv: () => new Conv2d(1, 2, [4, 3], { padding: "same" }),
    shape: [1, 1, 5, 5],
    pad: [1, 1, 2, 1],
  },
];

for (const { name, conv: make, shape, pad } of FORWARD_CASES) {
  test(`Conv2d.forward() matches a direct float64 convolution: ${name}`, () => {
    const conv = make();
    const x = randomTensor(shape, 21);
    const y = conv.forward(x);
    const ref = convReference(
      x,
      conv.weight.data,
      conv.bias?.data ?? null,
      conv.stride,
      pad,
      conv.dilation,
      conv.groups,
    );
    assert.deepEqual([...y.shape], ref.shape);
    assertClose(y.data, ref.data, { rtol: 1e-5, atol: 1e-5 });
  });
}

test("Conv2d.forward() computes a hand-written 2×2 kernel on a 3×3 image", () => {
  const conv = new Conv2d(1, 1, 2);
  conv.weight.data.data.set([1, 0, 0, -1]);
  conv.bias!.data.data.set([10]);
  const y = conv.forward(Tensor.fromArray([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]));
  // x[i][j] − x[i+1][j+1] + 10 = −4 + 10 everywhere
  assert.deepEqual(y.toArray(), [[[[6, 6], [6, 6]]]]);
});

test('Conv2d.forward() with padding "same" keeps H and W', () => {
  const y = new Conv2d(3, 4, [2, 5], { padding: "same", dilation: 2 }).forward(
    Tensor.zeros([2, 3, 7, 6]),
  );
  assert.deepEqual([...y.shape], [2, 4, 7, 6]);
});

test("Conv2d() initializes weight and bias within ±1/√fan_in (fan_in = C_in/groups·kh·kw)", () => {
  const conv = new Conv2d(6, 8, 3, { groups: 2, rng: new Rng(4) });
  const bound = 1 / Math.sqrt(3 * 3 * 3);
  assert.deepEqual([...conv.weight.shape], [8, 3, 3, 3]);
  for (const p of conv.parameters()) {
    const max = Math.max(...Array.from(p.data.data, Math.abs));
    assert.ok(max <= bound && max > 0.7 * bound, `max |value| ${max} vs bound ${bound}`);
  }
});

test("Conv2d.stateDict() has keys weight and bias", () => {
  assert.deepEqual(Object.keys(new Conv2d(1, 2, 3).stateDict()), ["weight", "bias"]);
  assert.deepEqual(Object.keys(new Conv2d(1, 2, 3, { bias: false }).stateDict()), ["weight"]);
});

const REPRS: [() => Conv2d, string][] = [
  [
    () => new Conv2d(3, 16, 3, { padding: 1 }),
    "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
  ],
  [() => new Conv2d(1, 8, 5), "Conv2d(1, 8, kernel_size=(5, 5), stride=(1, 1))"],
  [
    () => new Conv2d(4, 4, [3, 1], { stride: 2, dilation: 2, groups: 4, bias: false }),
    "Conv2d(4, 4, kernel_size=(3, 1), stride=(2, 2), dilation=(2, 2), groups=4, bias=False)",
  ],
  [
    () => new Conv2d(2, 2, 3, { padding: "same" }),
    "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)",
  ],
];

for (const [make, expected] of REPRS) {
  test(`Conv2d.toString() prints like PyTorch: ${expected}`, () => {
    assert.equal(String(make()), expected);
  });
}

test("Conv2d.forward() rejects the wrong channel count with a TypeError naming both shapes", () => {
  assert.throws(() => new Conv2d(3, 8, 3).forward(Tensor.zeros([8, 1, 28, 28])), {
    name: "TypeError",
    message:
      "Cannot run Conv2d.forward: expected input [N, 3, H, W] or [3, H, W], got [8, 1, 28, 28]",
  });
  assert.throws(() => new Conv2d(3, 8, 3).forward(Tensor.zeros([8, 3])), TypeError);
});

test("Conv2d.forward() rejects an input smaller than the kernel with a RangeError", () => {
  assert.throws(() => new Conv2d(1, 1, 5).forward(Tensor.zeros([1, 1, 3, 3])), {
    name: "RangeError",
    message: /^Cannot run Conv2d\.forward: .*smaller than the dilated kernel/,
  });
});

test("Conv2d.backward() before forward() is a clear error", () => {
  assert.throws(
    () => new Conv2d(1, 1, 1).backward(Tensor.zeros([1, 1, 1, 1])),
    /Cannot run Conv2d\.backward: .*forward/,
  );
});

const BAD_ARGS: [string, () => unknown, RegExp][] = [
  ["kernelSize 0", () => new Conv2d(1, 1, 0), /kernelSize/],
  ["kernelSize [3, 0]", () => new Conv2d(1, 1, [3, 0]), /kernelSize/],
  ["stride 0", () => new Conv2d(1, 1, 3, { stride: 0 }), /stride/],
  ["negative padding", () => new Conv2d(1, 1, 3, { padding: -1 }), /padding/],
  ["dilation 0", () => new Conv2d(1, 1, 3, { dilation: 0 }), /dilation/],
  [
    "groups not dividing inChannels",
    () => new Conv2d(3, 4, 3, { groups: 2 }),
    /groups 2 must divide inChannels 3/,
  ],
  [
    "groups not dividing outChannels",
    () => new Conv2d(4, 3, 3, { groups: 2 }),
    /groups 2 must divide/,
  ],
  ["inChannels 0", () => new Conv2d(0, 1, 3), /inChannels/],
  [
    '"same" with stride 2',
    () => new Conv2d(1, 1, 3, { padding: "same", stride: 2 }),
    /"same" needs stride 1/,
  ],
];

for (const [name, make, message] of BAD_ARGS) {
  test(`Conv2d() rejects ${name} with a RangeError naming the argument`, () => {
    assert.throws(make, { name: "RangeError", message });
  });
}
