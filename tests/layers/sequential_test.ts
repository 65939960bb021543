import { test } from "node:test";
import assert from "node:assert/strict";
import { Sequential } from "../../layers/sequential.ts";
import { Linear } from "../../layers/linear.ts";
import { Conv2d } from "../../layers/conv.ts";
import { BatchNorm1d, BatchNorm2d, LayerNorm } from "../../layers/normalization.ts";
import { GELU, ReLU, Tanh } from "../../layers/activation.ts";
import { AvgPool2d, MaxPool2d } from "../../layers/pooling.ts";
import { Flatten } from "../../layers/flatten.ts";
import { Dropout } from "../../layers/dropout.ts";
import { Residual } from "../../layers/residual.ts";
import { Identity } from "../../layers/identity.ts";
import type { Module } from "../../layers/module.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { distinctTensor, randomizeParameters, randomTensor } from "./_inputs.ts";

const rng = () => new Rng(17);

const GRAD_CASES: { name: string; make: () => Module; input: () => Tensor }[] = [
  {
    name: "Linear → Tanh → Linear",
    make: () =>
      new Sequential(
        new Linear(4, 5, { rng: rng() }),
        new Tanh(),
        new Linear(5, 3, { rng: rng() }),
      ),
    input: () => randomTensor([3, 4], 1),
  },
  {
    name: "Conv2d → BatchNorm2d → GELU → AvgPool2d → Flatten → Linear",
    make: () =>
      new Sequential(
        new Conv2d(2, 3, 3, { padding: 1, rng: rng() }),
        new BatchNorm2d(3),
        new GELU(),
        new AvgPool2d(2),
        new Flatten(),
        new Linear(12, 2, { rng: rng() }),
      ),
    input: () => randomTensor([2, 2, 4, 4], 2),
  },
  {
    name: "Conv2d → MaxPool2d (distinct inputs) → Flatten",
    make: () =>
      new Sequential(new Conv2d(1, 2, 1, { rng: rng() }), new MaxPool2d(2), new Flatten()),
    input: () => distinctTensor([1, 1, 4, 4], 3, 0.2),
  },
  {
    name: "nested Sequential with LayerNorm and BatchNorm1d",
    make: () =>
      new Sequential(
        new Linear(3, 4, { rng: rng() }),
        new Sequential(new LayerNorm(4), new Tanh(), new Linear(4, 4, { rng: rng() })),
        new BatchNorm1d(4),
      ),
    input: () => randomTensor([5, 3], 4),
  },
  {
    name: "Residual blocks inside a Sequential",
    make: () =>
      new Sequential(
        new Linear(3, 4, { rng: rng() }),
        new Residual(
          new Sequential(
            new Linear(4, 4, { rng: rng() }),
            new Tanh(),
            new Linear(4, 4, { rng: rng() }),
          ),
        ),
        new Residual(new Residual(new LayerNorm(4))),
      ),
    input: () => randomTensor([2, 3], 5),
  },
  { name: "empty Sequential", make: () => new Sequential(), input: () => randomTensor([2, 3], 6) },
];

for (const { name, make, input } of GRAD_CASES) {
  test(`Sequential.backward() matches finite differences: ${name}`, () => {
    const model = make();
    randomizeParameters(model, 9, 0.3, 1);
    checkModuleGradients(model, input());
  });
}

function nestedModel(): Sequential {
  return new Sequential(
    new Conv2d(1, 2, 3),
    new BatchNorm2d(2),
    new ReLU(),
    new Sequential(new Flatten(), new Linear(8, 4), new BatchNorm1d(4)),
    new Residual(new Sequential(new Linear(4, 4))),
  );
}

test("Sequential.stateDict() keys match PyTorch's strings for a nested model", () => {
  assert.deepEqual(Object.keys(nestedModel().stateDict()), [
    "0.weight",
    "0.bias",
    "1.weight",
    "1.bias",
    "1.running_mean",
    "1.running_var",
    "1.num_batches_tracked",
    "3.1.weight",
    "3.1.bias",
    "3.2.weight",
    "3.2.bias",
    "3.2.running_mean",
    "3.2.running_var",
    "3.2.num_batches_tracked",
    "4.fn.0.weight",
    "4.fn.0.bias",
  ]);
});

test("Sequential.namedParameters() lists parameters only, in state-dict order", () => {
  assert.deepEqual(nestedModel().namedParameters().map(([k]) => k), [
    "0.weight",
    "0.bias",
    "1.weight",
    "1.bias",
    "3.1.weight",
    "3.1.bias",
    "3.2.weight",
    "3.2.bias",
    "4.fn.0.weight",
    "4.fn.0.bias",
  ]);
});

test("Sequential.loadStateDict() copies every tensor in place", () => {
  const a = nestedModel();
  const b = nestedModel();
  a.forward(randomTensor([2, 1, 4, 4], 1));
  const weight = b.parameters()[0].data;
  b.loadStateDict(a.stateDict());
  for (const [key, t] of Object.entries(a.stateDict())) {
    assert.deepEqual(b.stateDict()[key].data, t.data, key);
  }
  assert.equal(b.parameters()[0].data, weight, "parameters are updated in place, not replaced");
  assert.equal(b.stateDict()["1.num_batches_tracked"].data[0], 1);
});

test("Sequential.loadStateDict() names a missing key", () => {
  const state = nestedModel().stateDict();
  delete state["1.running_var"];
  assert.throws(() => nestedModel().loadStateDict(state), {
    name: "TypeError",
    message: /missing key\(s\) "1\.running_var"/,
  });
});

test("Sequential.loadStateDict() names an unexpected key", () => {
  const state = { ...nestedModel().stateDict(), "5.weight": Tensor.zeros([1]) };
  assert.throws(() => nestedModel().loadStateDict(state), {
    name: "TypeError",
    message: /unexpected key\(s\) "5\.weight"/,
  });
});

test("Sequential.loadStateDict() names the key and both shapes on a shape mismatch", () => {
  const state = { ...nestedModel().stateDict(), "3.1.weight": Tensor.zeros([4, 9]) };
  assert.throws(() => nestedModel().loadStateDict(state), {
    name: "TypeError",
    message: /"3\.1\.weight" has shape \[4, 9\] in the state dict but \[4, 8\] in the model/,
  });
});

test("Sequential.train() and eval() recurse into nested children", () => {
  const model = nestedModel();
  const all = (m: Module): Module[] => [m, ...m.children().flatMap(([, c]) => all(c))];
  model.eval();
  assert.ok(all(model).every((m) => !m.training));
  model.train();
  assert.ok(all(model).every((m) => m.training));
  assert.equal(all(model).length, 11);
});

test("Sequential in eval mode makes Dropout the identity and BatchNorm use running statistics", () => {
  const model = new Sequential(new Dropout({ p: 0.5, rng: new Rng(1) }), new BatchNorm1d(3)).eval();
  const x = randomTensor([4, 3], 2);
  const y = model.forward(x);
  for (let i = 0; i < x.size; i++) {
    assert.ok(Math.abs(y.data[i] - x.data[i] / Math.sqrt(1 + 1e-5)) < 1e-6);
  }
});

test("Sequential.zeroGrad() clears the gradients accumulated by backward", () => {
  const model = new Sequential(new Linear(3, 2), new ReLU(), new Linear(2, 1));
  model.forward(randomTensor([4, 3], 1));
  model.backward(Tensor.ones([4, 1]));
  assert.ok(model.parameters().some((p) => p.grad.data.some((v) => v !== 0)));
  model.zeroGrad();
  assert.ok(model.parameters().every((p) => p.grad.data.every((v) => v === 0)));
});

test("Sequential.at(), .length, .append() and iteration", () => {
  const a = new Linear(2, 3), b = new ReLU(), c = new Linear(3, 1);
  const model = new Sequential(a, b);
  assert.equal(model.length, 2);
  assert.equal(model.append(c), model);
  assert.equal(model.length, 3);
  assert.equal(model.at(0), a);
  assert.equal(model.at(-1), c);
  assert.deepEqual([...model], [a, b, c]);
  assert.deepEqual(Object.keys(model.stateDict()), ["0.weight", "0.bias", "2.weight", "2.bias"]);
  assert.throws(() => model.at(3), {
    name: "RangeError",
    message: /index 3 is out of range for 3 module/,
  });
});

test("Sequential() rejects something that is not a Module with a TypeError", () => {
  assert.throws(() => new Sequential(new ReLU(), {} as Module), {
    name: "TypeError",
    message: /module 1 is not a Module/,
  });
});

test("Sequential.toString() prints its children like PyTorch, nested ones indented", () => {
  const model = new Sequential(
    new Linear(784, 10),
    new Sequential(new ReLU(), new Dropout({ p: 0.1 })),
  );
  assert.equal(
    String(model),
    [
      "Sequential(",
      "  (0): Linear(in_features=784, out_features=10, bias=True)",
      "  (1): Sequential(",
      "    (0): ReLU()",
      "    (1): Dropout(p=0.1, inplace=False)",
      "  )",
      ")",
    ].join("\n"),
  );
});

test("Sequential.forward() passes errors of a child through unchanged", () => {
  assert.throws(() => new Sequential(new Linear(3, 2)).forward(Tensor.zeros([1, 4])), {
    name: "TypeError",
    message: "Cannot run Linear.forward: expected input [*, 3], got [1, 4]",
  });
});

test("Sequential.toString() prints a child without its own toString as ClassName()", () => {
  class Custom extends Identity {}
  Object.defineProperty(Custom.prototype, "toString", { value: Object.prototype.toString });
  assert.equal(String(new Sequential(new Custom())), "Sequential(\n  (0): Custom()\n)");
});
