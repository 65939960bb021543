import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ELU,
  GELU,
  LeakyReLU,
  LogSoftmax,
  ReLU,
  Sigmoid,
  Softmax,
  Softplus,
  Tanh,
} from "../../layers/activation.ts";
import type { Module } from "../../layers/module.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { splitAtDim } from "../../tensor/shape.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { awayFromZero, randomTensor } from "./_inputs.ts";

// Inputs at least 0.1 from 0, so the ±0.01 nudges never cross a kink.
const GRAD_CASES: { name: string; make: () => Module; input: () => Tensor }[] = [
  { name: "ReLU()", make: () => new ReLU(), input: () => awayFromZero([3, 5], 1) },
  { name: "LeakyReLU()", make: () => new LeakyReLU(), input: () => awayFromZero([3, 5], 2) },
  {
    name: "LeakyReLU(negativeSlope 0.3)",
    make: () => new LeakyReLU({ negativeSlope: 0.3 }),
    input: () => awayFromZero([2, 2, 3], 3),
  },
  { name: "ELU()", make: () => new ELU(), input: () => awayFromZero([3, 5], 4) },
  {
    name: "ELU(alpha 0.5)",
    make: () => new ELU({ alpha: 0.5 }),
    input: () => awayFromZero([3, 5], 5),
  },
  { name: "GELU()", make: () => new GELU(), input: () => randomTensor([3, 5], 6, -3, 3) },
  {
    name: 'GELU(approximate "tanh")',
    make: () => new GELU({ approximate: "tanh" }),
    input: () => randomTensor([3, 5], 7, -3, 3),
  },
  { name: "Sigmoid()", make: () => new Sigmoid(), input: () => randomTensor([3, 5], 8, -4, 4) },
  { name: "Tanh()", make: () => new Tanh(), input: () => randomTensor([3, 5], 9, -2, 2) },
  { name: "Softplus()", make: () => new Softplus(), input: () => randomTensor([3, 5], 10, -4, 4) },
  {
    name: "Softplus(beta 2, threshold 5)",
    make: () => new Softplus({ beta: 2, threshold: 5 }),
    input: () => randomTensor([3, 5], 11, -2, 2),
  },
  {
    name: "Softmax(dim 0)",
    make: () => new Softmax({ dim: 0 }),
    input: () => randomTensor([3, 4], 12, -2, 2),
  },
  {
    name: "Softmax(dim 1) on [2, 3, 4]",
    make: () => new Softmax({ dim: 1 }),
    input: () => randomTensor([2, 3, 4], 13, -2, 2),
  },
  {
    name: "Softmax(dim -1)",
    make: () => new Softmax(),
    input: () => randomTensor([3, 5], 14, -2, 2),
  },
  {
    name: "LogSoftmax(dim 0)",
    make: () => new LogSoftmax({ dim: 0 }),
    input: () => randomTensor([4, 3], 15, -2, 2),
  },
  {
    name: "LogSoftmax(dim 1) on [2, 3, 4]",
    make: () => new LogSoftmax({ dim: 1 }),
    input: () => randomTensor([2, 3, 4], 16, -2, 2),
  },
  {
    name: "LogSoftmax(dim -1)",
    make: () => new LogSoftmax(),
    input: () => randomTensor([3, 5], 17, -2, 2),
  },
];

for (const { name, make, input } of GRAD_CASES) {
  test(`${name.split("(")[0]}.backward() matches finite differences: ${name}`, () => {
    checkModuleGradients(make(), input());
  });
}

const XS = [-4, -3, -1.5, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 1.5, 3, 4];

// References: x·Φ(x) from scipy.special.erf and the tanh formula, both in float64.
const GELU_EXACT = [
  -0.00012668496733247991,
  -0.00404969409489031,
  -0.10021080190328713,
  -0.15865525393145707,
  -0.15426876936299347,
  -0.0460172162722971,
  0,
  0.053982783727702904,
  0.3457312306370065,
  0.8413447460685429,
  1.399789198096713,
  2.99595030590511,
  3.9998733150326675,
];
const GELU_TANH = [
  -7.024594819227126e-05,
  -0.0036373920817729943,
  -0.10042842301976707,
  -0.15880800939172324,
  -0.15428599017485606,
  -0.04601724895456484,
  0,
  0.053982751045435165,
  0.34571400982514394,
  0.8411919906082768,
  1.3995715769802328,
  2.996362607918227,
  3.9999297540518075,
];

const VALUE_CASES: { name: string; make: () => Module; expected: number[] }[] = [
  { name: "ReLU()", make: () => new ReLU(), expected: XS.map((x) => Math.max(0, x)) },
  {
    name: "LeakyReLU()",
    make: () => new LeakyReLU(),
    expected: XS.map((x) => (x > 0 ? x : 0.01 * x)),
  },
  {
    name: "ELU(alpha 2)",
    make: () => new ELU({ alpha: 2 }),
    expected: XS.map((x) => (x > 0 ? x : 2 * (Math.exp(x) - 1))),
  },
  { name: "GELU()", make: () => new GELU(), expected: GELU_EXACT },
  {
    name: 'GELU(approximate "tanh")',
    make: () => new GELU({ approximate: "tanh" }),
    expected: GELU_TANH,
  },
  { name: "Sigmoid()", make: () => new Sigmoid(), expected: XS.map((x) => 1 / (1 + Math.exp(-x))) },
  { name: "Tanh()", make: () => new Tanh(), expected: XS.map(Math.tanh) },
  {
    name: "Softplus()",
    make: () => new Softplus(),
    expected: XS.map((x) => Math.log(1 + Math.exp(x))),
  },
];

for (const { name, make, expected } of VALUE_CASES) {
  test(`${name.split("(")[0]}.forward() matches float64 reference values: ${name}`, () => {
    const y = make().forward(new Tensor(Float32Array.from(XS), [XS.length]));
    assertClose(y.data, expected, { rtol: 1e-6, atol: 1e-7 });
  });
}

test("Softplus.forward() returns x itself above the threshold, as PyTorch", () => {
  const y = new Softplus({ beta: 2, threshold: 1 }).forward(Tensor.fromArray([0.6, 0.4, 25]));
  // β·x = 1.2 > 1 → x; β·x = 0.8 → log(1 + e^0.8) / 2
  assertClose(y.data, [0.6, 0.5855503329738889, 25], { rtol: 1e-6 });
  assert.equal(new Softplus().forward(Tensor.fromArray([30])).data[0], 30);
});

test("Softplus.forward() stays finite for large negative and positive inputs", () => {
  const y = new Softplus().forward(Tensor.fromArray([-200, 200, 19]));
  assertClose(y.data, [0, 200, 19 + Math.log1p(Math.exp(-19))], { rtol: 1e-6, atol: 1e-30 });
});

test("ReLU.backward() gives gradient 0 at exactly x = 0, as PyTorch", () => {
  const relu = new ReLU();
  relu.forward(Tensor.fromArray([0, 1, -1]));
  assert.deepEqual(Array.from(relu.backward(Tensor.fromArray([5, 5, 5])).data), [0, 5, 0]);
});

/** Softmax along `dim` in float64. */
function softmaxReference(x: Tensor, dim: number, log: boolean): number[] {
  const [outer, size, inner] = splitAtDim(x.shape, dim);
  const out = new Array<number>(x.size);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const idx = (i: number) => (o * size + i) * inner + j;
      let max = -Infinity;
      for (let i = 0; i < size; i++) max = Math.max(max, x.data[idx(i)]);
      let sum = 0;
      for (let i = 0; i < size; i++) sum += Math.exp(x.data[idx(i)] - max);
      for (let i = 0; i < size; i++) {
        const v = x.data[idx(i)] - max;
        out[idx(i)] = log ? v - Math.log(sum) : Math.exp(v) / sum;
      }
    }
  }
  return out;
}

for (const dim of [0, 1, 2, -1, -3]) {
  for (const log of [false, true]) {
    const name = log ? "LogSoftmax" : "Softmax";
    test(`${name}.forward() matches a float64 reference along dim ${dim} of [2, 3, 4]`, () => {
      const x = randomTensor([2, 3, 4], 30 + dim, -5, 5);
      const layer = log ? new LogSoftmax({ dim }) : new Softmax({ dim });
      assertClose(layer.forward(x).data, softmaxReference(x, (dim + 3) % 3, log), {
        rtol: 1e-5,
        atol: 1e-6,
      });
    });
  }
}

test("Softmax.forward() and LogSoftmax.forward() are stable for inputs of ±1000", () => {
  const x = Tensor.fromArray([[1000, 999], [-1000, -1000]]);
  const p = 1 / (1 + Math.exp(-1));
  assertClose(new Softmax().forward(x).data, [p, 1 - p, 0.5, 0.5], { rtol: 1e-6 });
  assertClose(new LogSoftmax().forward(x).data, [
    Math.log(p),
    Math.log(1 - p),
    -Math.LN2,
    -Math.LN2,
  ], { rtol: 1e-6 });
});

test("Softmax() defaults to the last dimension", () => {
  const y = new Softmax().forward(randomTensor([2, 3], 1));
  assertClose([y.data[0] + y.data[1] + y.data[2], y.data[3] + y.data[4] + y.data[5]], [1, 1], {
    rtol: 1e-6,
  });
});

test("Softmax.forward() rejects a dim out of range with a RangeError", () => {
  assert.throws(() => new Softmax({ dim: 2 }).forward(Tensor.zeros([2, 3])), {
    name: "RangeError",
    message: /^Cannot run Softmax\.forward: dim 2 is out of range for a tensor of rank 2/,
  });
});

const REPRS: [() => Module, string][] = [
  [() => new ReLU(), "ReLU()"],
  [() => new LeakyReLU(), "LeakyReLU(negative_slope=0.01)"],
  [() => new ELU(), "ELU(alpha=1.0)"],
  [() => new GELU({ approximate: "tanh" }), "GELU(approximate='tanh')"],
  [() => new Sigmoid(), "Sigmoid()"],
  [() => new Tanh(), "Tanh()"],
  [() => new Softplus(), "Softplus(beta=1.0, threshold=20.0)"],
  [() => new Softmax({ dim: 1 }), "Softmax(dim=1)"],
  [() => new LogSoftmax(), "LogSoftmax(dim=-1)"],
];

for (const [make, expected] of REPRS) {
  test(`${expected.split("(")[0]}.toString() prints like PyTorch: ${expected}`, () => {
    assert.equal(String(make()), expected);
  });
}

const NO_FORWARD: [string, () => Module][] = [
  ["ReLU", () => new ReLU()],
  ["GELU", () => new GELU()],
  ["Softmax", () => new Softmax()],
  ["LogSoftmax", () => new LogSoftmax()],
];

for (const [name, make] of NO_FORWARD) {
  test(`${name}.backward() before forward() is a clear error`, () => {
    assert.throws(
      () => make().backward(Tensor.zeros([2])),
      new RegExp(`Cannot run ${name}\\.backward: .*forward`),
    );
  });
}

test("Sigmoid.backward() rejects a gradient of the wrong shape", () => {
  const s = new Sigmoid();
  s.forward(Tensor.zeros([2, 3]));
  assert.throws(() => s.backward(Tensor.zeros([3, 2])), {
    name: "TypeError",
    message: /expected gradOutput \[2, 3\]/,
  });
});

const BAD_ARGS: [string, () => unknown, RegExp][] = [
  ["GELU approximate", () => new GELU({ approximate: "fast" as "none" }), /approximate/],
  ["Softplus beta 0", () => new Softplus({ beta: 0 }), /beta/],
  ["LeakyReLU negativeSlope NaN", () => new LeakyReLU({ negativeSlope: NaN }), /negativeSlope/],
  ["ELU alpha Infinity", () => new ELU({ alpha: Infinity }), /alpha/],
  ["Softmax dim 0.5", () => new Softmax({ dim: 0.5 }), /dim/],
];

for (const [name, make, message] of BAD_ARGS) {
  test(`${name.split(" ")[0]}() rejects an invalid ${name.split(" ").slice(1).join(" ")} with a RangeError`, () => {
    assert.throws(make, { name: "RangeError", message });
  });
}
