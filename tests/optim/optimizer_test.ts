/** Optimizer base: param groups, option checking, lazy state, stateDict()/loadStateDict() and their errors. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import {
  Adagrad,
  Adam,
  AdamW,
  Lion,
  Optimizer,
  optimizerRules,
  RMSprop,
  SGD,
} from "../../optim/mod.ts";

const param = (shape: number[], fill = 1) => new Parameter(Tensor.full(shape, fill));

type ErrorRow = [
  string,
  () => unknown,
  ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  RegExp,
];
const p = param([2]);
const optimizers = { Adam, AdamW, RMSprop, Adagrad, Lion };
const constructionErrors: ErrorRow[] = [
  [
    "SGD with negative lr",
    () => new SGD([p], { lr: -0.1 }),
    RangeError,
    /Cannot create SGD: lr must be ≥ 0, got -0.1/,
  ],
  [
    "SGD with an unknown option",
    () => new SGD([p], { lr: 0.1, momentun: 0.9 } as never),
    TypeError,
    /unknown option "momentun"/,
  ],
  [
    "SGD with nesterov and no momentum",
    () => new SGD([p], { nesterov: true }),
    RangeError,
    /Nesterov momentum requires momentum > 0 and dampening 0/,
  ],
  [
    "SGD with nesterov and dampening",
    () => new SGD([p], { nesterov: true, momentum: 0.9, dampening: 0.1 }),
    RangeError,
    /dampening 0/,
  ],
  [
    "SGD with negative momentum",
    () => new SGD([p], { momentum: -1 }),
    RangeError,
    /momentum must be ≥ 0/,
  ],
  [
    "SGD with a string lr",
    () => new SGD([p], { lr: "0.1" as never }),
    TypeError,
    /lr must be a finite number, got "0.1"/,
  ],
  ["SGD with NaN lr", () => new SGD([p], { lr: NaN }), TypeError, /lr must be a finite number/],
  [
    "Adam with betas[0] = 1",
    () => new Adam([p], { betas: [1, 0.999] }),
    RangeError,
    /betas\[0\] must be in \[0, 1\), got 1/,
  ],
  [
    "Adam with betas[1] < 0",
    () => new Adam([p], { betas: [0.9, -0.1] }),
    RangeError,
    /betas\[1\] must be in \[0, 1\)/,
  ],
  [
    "Adam with three betas",
    () => new Adam([p], { betas: [0.9, 0.9, 0.9] as never }),
    TypeError,
    /betas must be an array of 2 finite numbers/,
  ],
  ["Adam with eps 0", () => new Adam([p], { eps: 0 }), RangeError, /eps must be > 0, got 0/],
  [
    "Adam with a non-boolean amsgrad",
    () => new Adam([p], { amsgrad: 1 as never }),
    TypeError,
    /amsgrad must be a boolean/,
  ],
  [
    "AdamW with negative weightDecay",
    () => new AdamW([p], { weightDecay: -1 }),
    RangeError,
    /Cannot create AdamW: weightDecay must be ≥ 0/,
  ],
  [
    "AdamW with PyTorch's snake_case name",
    () => new AdamW([p], { weight_decay: 0.1 } as never),
    TypeError,
    /unknown option "weight_decay"/,
  ],
  [
    "RMSprop with negative alpha",
    () => new RMSprop([p], { alpha: -0.5 }),
    RangeError,
    /alpha must be ≥ 0/,
  ],
  ["RMSprop with eps -1", () => new RMSprop([p], { eps: -1 }), RangeError, /eps must be > 0/],
  [
    "Adagrad with negative lrDecay",
    () => new Adagrad([p], { lrDecay: -1 }),
    RangeError,
    /lrDecay must be ≥ 0/,
  ],
  [
    "Adagrad with negative initialAccumulatorValue",
    () => new Adagrad([p], { initialAccumulatorValue: -1 }),
    RangeError,
    /initialAccumulatorValue/,
  ],
  [
    "Lion with betas[1] = 1.5",
    () => new Lion([p], { betas: [0.9, 1.5] }),
    RangeError,
    /Cannot create Lion: betas\[1\] must be in \[0, 1\)/,
  ],
  [
    "Lion with eps (Lion has none)",
    () => new Lion([p], { eps: 1e-8 } as never),
    TypeError,
    /unknown option "eps"/,
  ],
  ["an empty parameter list", () => new SGD([]), RangeError, /empty parameter list/],
  [
    "a non-Parameter",
    () => new SGD([{ data: 1 }] as never),
    TypeError,
    /param group 0 must be an object with "params"/,
  ],
  [
    "params mixing Parameters and groups",
    () => new SGD([p, { params: [param([1])] }] as never),
    TypeError,
    /mixes Parameters and param groups/,
  ],
  [
    "a parameter in two groups",
    () => new SGD([{ params: [p] }, { params: [param([3]), p] }]),
    TypeError,
    /parameter 1 of param group 1 \[2\] is already parameter 0 of param group 0; a parameter may be in one group only/,
  ],
  [
    "a parameter twice in one group",
    () => new SGD([p, p]),
    TypeError,
    /param group 0 lists one parameter twice \(indices 0 and 1\)/,
  ],
  [
    "a group with an unknown option",
    () => new SGD([{ params: [p], lr: 0.1, betas: [0.9, 0.9] } as never]),
    TypeError,
    /Cannot create SGD: param group 0: unknown option "betas"/,
  ],
  [
    "a group with a bad value",
    () => new Adam([{ params: [p] }, { params: [param([1])], eps: -1 }]),
    RangeError,
    /Cannot create Adam: param group 1: eps must be > 0/,
  ],
  [
    "options that are not an object",
    () => new SGD([p], 0.1 as never),
    TypeError,
    /Cannot create SGD: expected an options object \(\{ lr, momentum, .*\}\) as the last argument, got 0.1/,
  ],
  [
    "a misspelled option, naming the nearest one",
    () => new Adam([p], { weight_decay: 0.1 } as never),
    TypeError,
    /Cannot create Adam: unknown option "weight_decay" \(did you mean "weightDecay"\?/,
  ],
  [
    "an extra positional argument (SGD)",
    () => new (SGD as unknown as new (...a: unknown[]) => unknown)([p], { lr: 0.1 }, 0.9),
    TypeError,
    /Cannot create SGD: expected at most 2 arguments, got 3/,
  ],
  ...(["Adam", "AdamW", "RMSprop", "Adagrad", "Lion"] as const).map((name): ErrorRow => [
    `an extra positional argument (${name})`,
    () => new (optimizers[name] as unknown as new (...a: unknown[]) => unknown)([p], {}, {}),
    TypeError,
    new RegExp(`Cannot create ${name}: expected at most 2 arguments, got 3`),
  ]),
  [
    "an extra positional argument (Optimizer)",
    () =>
      new (Optimizer as unknown as new (...a: unknown[]) => unknown)(
        optimizerRules.sgd,
        [p],
        {},
        1,
      ),
    TypeError,
    /Cannot create SGD: expected at most 3 arguments, got 4/,
  ],
];
for (const [label, run, type, message] of constructionErrors) {
  test(`Optimizer constructor rejects ${label}`, () => {
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
      assert.match((error as Error).message, message);
      return true;
    });
  });
}

test("Optimizer.addParamGroup() rejects a parameter already in another group", () => {
  const a = param([2]);
  const opt = new SGD([a], { lr: 0.1 });
  assert.throws(
    () => opt.addParamGroup({ params: [a] }),
    /Cannot add a param group to SGD: parameter 0 of param group 1 \[2\] is already parameter 0 of param group 0/,
  );
  assert.equal(opt.paramGroups.length, 1);
});

test("Optimizer.addParamGroup() and loadStateDict() reject an extra positional argument", () => {
  const opt = new SGD([param([2])], { lr: 0.1 });
  const loose = opt as unknown as {
    addParamGroup(...a: unknown[]): void;
    loadStateDict(...a: unknown[]): void;
  };
  assert.throws(
    () => loose.addParamGroup({ params: [param([3])] }, { lr: 1 }),
    /Cannot add a param group to SGD: expected at most 1 argument, got 2/,
  );
  assert.throws(
    () => loose.loadStateDict(opt.stateDict(), true),
    /Cannot load optimizer state into SGD: expected at most 1 argument, got 2/,
  );
  assert.equal(opt.paramGroups.length, 1);
});

test("Optimizer.addParamGroup() fills missing options from the constructor's", () => {
  const opt = new SGD([param([2])], { lr: 0.1, momentum: 0.9 });
  opt.addParamGroup({ params: [param([3])], lr: 0.01 });
  assert.equal(opt.paramGroups[1].lr, 0.01);
  assert.equal(opt.paramGroups[1].momentum, 0.9);
  assert.equal(opt.paramGroups[1].dampening, 0);
});

test("Optimizer constructor accepts any rule from optimizerRules", () => {
  const a = param([2]);
  const opt = new Optimizer(optimizerRules.sgd, [a], { lr: 0.5 });
  a.grad.data.set([1, -1]);
  opt.step();
  assert.deepEqual(Array.from(a.data.data), [0.5, 1.5]);
});

test("Optimizer.step() creates state lazily and counts steps per parameter", () => {
  const a = param([2]);
  const opt = new Adam([a]);
  assert.equal(opt.stateOf(a), undefined);
  opt.step();
  opt.step();
  assert.equal(opt.stateOf(a)?.step, 2);
  assert.deepEqual(Object.keys(opt.stateOf(a)!.buffers), ["exp_avg", "exp_avg_sq"]);
});

test("Optimizer.step() returns the closure's loss, evaluated before the update", () => {
  const a = param([1]);
  const opt = new SGD([a], { lr: 1 });
  const loss = opt.step(() => {
    a.grad.data[0] = 2;
    return a.data.data[0] * 10;
  });
  assert.equal(loss, 10);
  assert.equal(a.data.data[0], -1);
});

test("Optimizer.zeroGrad() zeroes every gradient of every group", () => {
  const [a, b] = [param([2]), param([3])];
  const opt = new SGD([{ params: [a] }, { params: [b] }]);
  a.grad.fill(1);
  b.grad.fill(2);
  opt.zeroGrad();
  assert.deepEqual([...a.grad.data, ...b.grad.data], [0, 0, 0, 0, 0]);
});

test("Optimizer.step() follows a parameter rebound onto shared memory", () => {
  const a = param([2], 1);
  const opt = new SGD([a], { lr: 1 });
  const shared = new Float32Array(new SharedArrayBuffer(16), 0, 2);
  const sharedGrad = new Float32Array(new SharedArrayBuffer(16), 8, 2);
  a.bind(shared, sharedGrad);
  sharedGrad.set([0.5, 0.25]);
  opt.step();
  assert.deepEqual(Array.from(shared), [0.5, 0.75]);
});

test("Adagrad.step() starts the sum at initialAccumulatorValue", () => {
  const a = param([1], 0);
  const opt = new Adagrad([a], { lr: 1, initialAccumulatorValue: 3 });
  a.grad.data[0] = 1;
  opt.step();
  assert.ok(Math.abs(opt.stateOf(a)!.buffers.sum[0] - 4) < 1e-7);
  assert.ok(Math.abs(a.data.data[0] + 0.5) < 1e-7);
});

function trained(): { a: Parameter; b: Parameter; opt: Adam } {
  const a = new Parameter(Tensor.fromArray([[1, 2, 3], [4, 5, 6]]));
  const b = new Parameter(Tensor.fromArray([1, -1]));
  const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.1 }], { lr: 0.01, amsgrad: true });
  a.grad.fill(0.5);
  b.grad.fill(-0.5);
  opt.step();
  return { a, b, opt };
}

test("Optimizer.stateDict() has PyTorch's layout with JSON-serializable groups and copied buffers", () => {
  const { a, opt } = trained();
  const sd = opt.stateDict();
  assert.deepEqual(sd.param_groups.map((g) => g.params), [[0], [1]]);
  assert.deepEqual(Object.keys(sd.state), ["0", "1"]);
  assert.deepEqual(Object.keys(sd.state[0]), ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
  assert.equal(sd.state[0].step, 1);
  assert.deepEqual((sd.state[0].exp_avg as Tensor).shape, [2, 3]);
  assert.deepEqual(JSON.parse(JSON.stringify(sd.param_groups[1])), {
    params: [1],
    lr: 0.1,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: true,
    maximize: false,
  });
  (sd.state[0].exp_avg as Tensor).fill(123);
  assert.notEqual(opt.stateOf(a)!.buffers.exp_avg[0], 123);
});

test("Optimizer.loadStateDict() restores hyperparameters and state into a fresh optimizer", () => {
  const { opt } = trained();
  const a2 = param([2, 3], 0);
  const b2 = param([2], 0);
  const fresh = new Adam([{ params: [a2] }, { params: [b2] }]);
  fresh.loadStateDict(opt.stateDict());
  assert.equal(fresh.paramGroups[1].lr, 0.1);
  assert.equal(fresh.paramGroups[0].amsgrad, true);
  assert.equal(fresh.stateOf(a2)?.step, 1);
  assert.deepEqual(fresh.stateDict().state[1], opt.stateDict().state[1]);
});

const loadErrors: [
  string,
  (sd: ReturnType<Adam["stateDict"]>) => [Optimizer<{ lr: number }, object>, unknown],
  RegExp,
][] = [
  [
    "a different number of groups",
    (sd) => [new Adam([param([2, 3]), param([2])]), sd],
    /Cannot load optimizer state into Adam: the state dict has 2 param group\(s\), the optimizer 1/,
  ],
  [
    "a different number of parameters in a group",
    (sd) => [new Adam([{ params: [param([2, 3]), param([1])] }, { params: [param([2])] }]), sd],
    /param group 0 has 1 parameter\(s\) in the state dict but 2 in the optimizer/,
  ],
  [
    "differently shaped parameters",
    (sd) => [new Adam([{ params: [param([3, 2])] }, { params: [param([2])] }]), sd],
    /param group 0, parameter 0 \(state 0\): "exp_avg" has shape \[2, 3\] in the state dict but the parameter is \[3, 2\]/,
  ],
  [
    "another optimizer's state (Adam into SGD)",
    (sd) => [new SGD([{ params: [param([2, 3])] }, { params: [param([2])] }]), sd],
    /Cannot load optimizer state into SGD: param group 0: unknown option "betas"/,
  ],
  ["state buffers the options do not use", (sd) => {
    for (const g of sd.param_groups) g.amsgrad = false;
    return [new Adam([{ params: [param([2, 3])] }, { params: [param([2])] }]), sd];
  }, /param group 0, parameter 0 \(state 0\): unexpected state "max_exp_avg_sq"/],
  ["a bad hyperparameter", (sd) => {
    sd.param_groups[1].eps = -1;
    return [new Adam([{ params: [param([2, 3])] }, { params: [param([2])] }]), sd];
  }, /param group 1: eps must be > 0/],
  ["a state index in no group", (sd) => {
    sd.state[7] = { step: 1 };
    return [new Adam([{ params: [param([2, 3])] }, { params: [param([2])] }]), sd];
  }, /state index\(es\) 7 belong to no param group/],
  [
    "something that is not a state dict",
    () => [new Adam([param([1])]), { foo: 1 }],
    /expected \{ state, param_groups \}/,
  ],
];
for (const [label, setup, message] of loadErrors) {
  test(`Optimizer.loadStateDict() rejects ${label} and changes nothing`, () => {
    const [target, sd] = setup(trained().opt.stateDict());
    const before = JSON.stringify(target.stateDict());
    assert.throws(() => target.loadStateDict(sd as never), message);
    assert.equal(JSON.stringify(target.stateDict()), before);
  });
}
