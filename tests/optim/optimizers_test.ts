/** Trajectories of every optimizer against float64 references of the published rules, and the rule contract. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../_helpers/assert_close.ts";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import {
  Adagrad,
  Adam,
  AdamW,
  type AnyUpdateRule,
  Lion,
  type Optimizer,
  optimizerNames,
  optimizerRules,
  RMSprop,
  SGD,
  type StateBuffers,
} from "../../optim/mod.ts";
import {
  refAdagrad,
  refAdam,
  refLion,
  refRMSprop,
  refSGD,
  type RefState,
  refState,
  type RefUpdate,
} from "./_reference.ts";

const SHAPES = [[2, 3], [4]];
const STEPS = 6;

interface Case {
  cls: string;
  label: string;
  make: (params: Parameter[]) => Optimizer<{ lr: number }, object>;
  ref: RefUpdate;
  hp: Record<string, unknown>;
}

const adamDefaults = { betas: [0.9, 0.999], eps: 1e-8 };
const cases: Case[] = [
  {
    cls: "SGD",
    label: "lr only",
    make: (p) => new SGD(p, { lr: 0.1 }),
    ref: refSGD,
    hp: { lr: 0.1 },
  },
  {
    cls: "SGD",
    label: "momentum 0.9",
    make: (p) => new SGD(p, { lr: 0.05, momentum: 0.9 }),
    ref: refSGD,
    hp: { lr: 0.05, momentum: 0.9 },
  },
  {
    cls: "SGD",
    label: "momentum, dampening 0.3, weightDecay 0.1",
    make: (p) => new SGD(p, { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.1 }),
    ref: refSGD,
    hp: { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.1 },
  },
  {
    cls: "SGD",
    label: "nesterov, weightDecay, maximize",
    make: (p) =>
      new SGD(p, { lr: 0.02, momentum: 0.9, nesterov: true, weightDecay: 0.01, maximize: true }),
    ref: refSGD,
    hp: { lr: 0.02, momentum: 0.9, nesterov: true, weightDecay: 0.01, maximize: true },
  },
  {
    cls: "Adam",
    label: "defaults (lr 1e-3)",
    make: (p) => new Adam(p),
    ref: refAdam,
    hp: { lr: 1e-3, ...adamDefaults },
  },
  {
    cls: "Adam",
    label: "betas [0.8, 0.9], eps 1e-3, L2 weightDecay 0.1",
    make: (p) => new Adam(p, { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3, weightDecay: 0.1 }),
    ref: refAdam,
    hp: { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3, weightDecay: 0.1 },
  },
  {
    cls: "Adam",
    label: "amsgrad, maximize",
    make: (p) => new Adam(p, { lr: 0.01, amsgrad: true, maximize: true }),
    ref: refAdam,
    hp: { lr: 0.01, ...adamDefaults, amsgrad: true, maximize: true },
  },
  {
    cls: "AdamW",
    label: "defaults (weightDecay 0.01)",
    make: (p) => new AdamW(p, { lr: 0.01 }),
    ref: refAdam,
    hp: { lr: 0.01, ...adamDefaults, weightDecay: 0.01, decoupled: true },
  },
  {
    cls: "AdamW",
    label: "weightDecay 0.5, amsgrad",
    make: (p) => new AdamW(p, { lr: 0.02, weightDecay: 0.5, amsgrad: true }),
    ref: refAdam,
    hp: { lr: 0.02, ...adamDefaults, weightDecay: 0.5, amsgrad: true, decoupled: true },
  },
  {
    cls: "RMSprop",
    label: "defaults (lr 1e-2)",
    make: (p) => new RMSprop(p),
    ref: refRMSprop,
    hp: { lr: 1e-2 },
  },
  {
    cls: "RMSprop",
    label: "momentum 0.9, alpha 0.9, weightDecay 0.1",
    make: (p) => new RMSprop(p, { lr: 0.01, momentum: 0.9, alpha: 0.9, weightDecay: 0.1 }),
    ref: refRMSprop,
    hp: { lr: 0.01, momentum: 0.9, alpha: 0.9, weightDecay: 0.1 },
  },
  {
    cls: "RMSprop",
    label: "centered, momentum 0.5, eps 1e-4, maximize",
    make: (p) =>
      new RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5, eps: 1e-4, maximize: true }),
    ref: refRMSprop,
    hp: { lr: 0.01, centered: true, momentum: 0.5, eps: 1e-4, maximize: true },
  },
  {
    cls: "Adagrad",
    label: "defaults (lr 1e-2)",
    make: (p) => new Adagrad(p),
    ref: refAdagrad,
    hp: { lr: 1e-2 },
  },
  {
    cls: "Adagrad",
    label: "lrDecay 0.1, weightDecay 0.05, initialAccumulatorValue 0.5, maximize",
    make: (p) =>
      new Adagrad(p, {
        lr: 0.1,
        lrDecay: 0.1,
        weightDecay: 0.05,
        initialAccumulatorValue: 0.5,
        maximize: true,
      }),
    ref: refAdagrad,
    hp: { lr: 0.1, lrDecay: 0.1, weightDecay: 0.05, initialAccumulatorValue: 0.5, maximize: true },
  },
  {
    cls: "Lion",
    label: "defaults (lr 1e-4)",
    make: (p) => new Lion(p),
    ref: refLion,
    hp: { lr: 1e-4 },
  },
  {
    cls: "Lion",
    label: "betas [0.95, 0.98], weightDecay 0.5",
    make: (p) => new Lion(p, { lr: 0.01, betas: [0.95, 0.98], weightDecay: 0.5 }),
    ref: refLion,
    hp: { lr: 0.01, betas: [0.95, 0.98], weightDecay: 0.5 },
  },
];

/** Initial parameters and the fixed gradient sequence grads[step][param]. */
function fixture(seed: number): { init: Float32Array[]; grads: Float32Array[][] } {
  const rng = new Rng(seed);
  const init = SHAPES.map((s) => Tensor.randn(s, { rng }).data);
  const grads = Array.from(
    { length: STEPS },
    () => SHAPES.map((s) => Tensor.randn(s, { rng }).data),
  );
  return { init, grads };
}

for (const [index, c] of cases.entries()) {
  test(`${c.cls}.step() matches the float64 reference over ${STEPS} steps: ${c.label}`, () => {
    const { init, grads } = fixture(100 + index);
    const params = init.map((d, i) => new Parameter(new Tensor(d.slice(), SHAPES[i])));
    const optimizer = c.make(params);
    const theta = init.map((d) => Array.from(d));
    const states: RefState[] = params.map(() => refState());
    for (let t = 0; t < STEPS; t++) {
      params.forEach((p, i) => p.grad.data.set(grads[t][i]));
      optimizer.step();
      theta.forEach((th, i) => {
        theta[i] = c.ref(th, Array.from(grads[t][i]), states[i], c.hp);
      });
      params.forEach((p, i) =>
        assertClose(p.data.data, theta[i], {
          rtol: 1e-5,
          atol: 1e-6,
          message: `step ${t + 1}, param ${i}`,
        })
      );
    }
  });
}

test("SGD.step() uses each param group's own hyperparameters", () => {
  const { init, grads } = fixture(7);
  const [a, b] = init.map((d, i) => new Parameter(new Tensor(d.slice(), SHAPES[i])));
  const optimizer = new SGD([{ params: [a] }, { params: [b], lr: 0.5, momentum: 0 }], {
    lr: 0.1,
    momentum: 0.9,
  });
  const hpA = { lr: 0.1, momentum: 0.9 };
  const hpB = { lr: 0.5, momentum: 0 };
  let thA = Array.from(init[0]);
  let thB = Array.from(init[1]);
  const [sA, sB] = [refState(), refState()];
  for (let t = 0; t < STEPS; t++) {
    a.grad.data.set(grads[t][0]);
    b.grad.data.set(grads[t][1]);
    optimizer.step();
    thA = refSGD(thA, Array.from(grads[t][0]), sA, hpA);
    thB = refSGD(thB, Array.from(grads[t][1]), sB, hpB);
  }
  assertClose(a.data.data, thA, { rtol: 1e-5 });
  assertClose(b.data.data, thB, { rtol: 1e-5 });
});

const defaultsTable: [string, Record<string, unknown>][] = [
  ["sgd", {
    lr: 1e-3,
    momentum: 0,
    dampening: 0,
    weightDecay: 0,
    nesterov: false,
    maximize: false,
  }],
  ["adam", {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: false,
    maximize: false,
  }],
  ["adamw", {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 1e-2,
    amsgrad: false,
    maximize: false,
  }],
  ["rmsprop", {
    lr: 1e-2,
    alpha: 0.99,
    eps: 1e-8,
    weightDecay: 0,
    momentum: 0,
    centered: false,
    maximize: false,
  }],
  ["adagrad", {
    lr: 1e-2,
    lrDecay: 0,
    weightDecay: 0,
    initialAccumulatorValue: 0,
    eps: 1e-10,
    maximize: false,
  }],
  ["lion", { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0 }],
];
for (const [name, expected] of defaultsTable) {
  test(`optimizerRules.${name}.defaults are PyTorch's (lion-pytorch's for Lion)`, () => {
    const rule = optimizerRules[name as keyof typeof optimizerRules];
    assert.equal(rule.name, name);
    assert.deepEqual({
      ...rule.defaults,
      ...("betas" in rule.defaults ? { betas: [...rule.defaults.betas] } : {}),
    }, expected);
  });
}

test("optimizerRules lists exactly sgd, adam, adamw, rmsprop, adagrad, lion", () => {
  assert.deepEqual([...optimizerNames], ["sgd", "adam", "adamw", "rmsprop", "adagrad", "lion"]);
});

/** Options that switch on every state buffer a rule has. */
const fullOptions: Record<string, Record<string, unknown>> = {
  sgd: { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
  adam: { lr: 0.01, amsgrad: true, weightDecay: 0.01 },
  adamw: { lr: 0.01, amsgrad: true },
  rmsprop: { lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.01 },
  adagrad: { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 },
  lion: { lr: 0.01, weightDecay: 0.1 },
};
for (const name of optimizerNames) {
  test(`optimizerRules.${name}.update() on disjoint slices in any order equals one whole-array call, bit for bit`, () => {
    const rule: AnyUpdateRule = optimizerRules[name];
    const hp = rule.validate(fullOptions[name]);
    const n = 37;
    const rng = new Rng(3);
    const init = Tensor.randn([n], { rng }).data;
    const whole = { param: init.slice(), state: {} as StateBuffers };
    const sliced = { param: init.slice(), state: {} as StateBuffers };
    for (const run of [whole, sliced]) {
      for (const s of rule.stateNames(hp)) {
        run.state[s] = new Float32Array(n).fill(rule.initialState(s, hp));
      }
    }
    const cuts = [[20, 37], [0, 7], [7, 20]];
    for (let step = 1; step <= 4; step++) {
      const grad = Tensor.randn([n], { rng }).data;
      const gradCopy = grad.slice();
      rule.update(whole.param, grad, whole.state, step, hp, 0, n);
      for (const [lo, hi] of cuts) rule.update(sliced.param, grad, sliced.state, step, hp, lo, hi);
      assert.deepEqual(grad, gradCopy, "update must not modify grad");
    }
    assert.deepEqual(sliced.param, whole.param);
    for (const s of rule.stateNames(hp)) assert.deepEqual(sliced.state[s], whole.state[s], s);
    assert.notDeepEqual(whole.param, init);
  });
}

test("optimizerRules.sgd.update() copies the gradient into momentum_buffer when step === 1 (dampening ignored)", () => {
  const rule = optimizerRules.sgd;
  const hp = rule.validate({ lr: 1, momentum: 0.9, dampening: 0.5 });
  const param = new Float32Array([0, 0]);
  const state = { momentum_buffer: new Float32Array([7, 7]) };
  rule.update(param, new Float32Array([1, -2]), state, 1, hp, 0, 2);
  assert.deepEqual(Array.from(state.momentum_buffer), [1, -2]);
  rule.update(param, new Float32Array([1, -2]), state, 2, hp, 0, 2);
  assert.deepEqual(state.momentum_buffer, new Float32Array([0.9 + 0.5, -1.8 - 1]));
});

const stateNamesTable: [string, Record<string, unknown>, string[]][] = [
  ["sgd", {}, []],
  ["sgd", { momentum: 0.9 }, ["momentum_buffer"]],
  ["adam", {}, ["exp_avg", "exp_avg_sq"]],
  ["adam", { amsgrad: true }, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]],
  ["adamw", {}, ["exp_avg", "exp_avg_sq"]],
  ["rmsprop", {}, ["square_avg"]],
  ["rmsprop", { momentum: 0.9, centered: true }, ["square_avg", "momentum_buffer", "grad_avg"]],
  ["adagrad", {}, ["sum"]],
  ["lion", {}, ["exp_avg"]],
];
for (const [name, options, expected] of stateNamesTable) {
  test(`optimizerRules.${name}.stateNames() is ${JSON.stringify(expected)} for ${JSON.stringify(options)}`, () => {
    const rule: AnyUpdateRule = optimizerRules[name as keyof typeof optimizerRules];
    assert.deepEqual([...rule.stateNames(rule.validate(options))], expected);
  });
}

test("optimizerRules.adagrad.initialState() is initialAccumulatorValue", () => {
  const rule = optimizerRules.adagrad;
  assert.equal(rule.initialState("sum", rule.validate({ initialAccumulatorValue: 0.25 })), 0.25);
});
