/**
 * ConstantLR, PolynomialLR, LambdaLR, MultiplicativeLR, CosineAnnealingWarmRestarts,
 * CyclicLR and ChainedScheduler: fractional-epoch resume, and every wrong argument or
 * state dict as one clear error.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import {
  Adagrad,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  LambdaLR,
  MultiplicativeLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
} from "../../optim/mod.ts";

const sgd = (momentum = 0) =>
  new SGD([{ params: [new Parameter(Tensor.zeros([2]))] }, {
    params: [new Parameter(Tensor.zeros([3]))],
    lr: 0.02,
  }], { lr: 0.1, momentum });
const lrs = (opt: SGD) => opt.paramGroups.map((g) => g.lr);
type Loose = new (...args: unknown[]) => unknown;

test("CosineAnnealingWarmRestarts resumes a fractional-epoch schedule (step(e + i/4)) bit for bit through JSON", () => {
  const epochs = Array.from({ length: 24 }, (_, i) => i / 4);
  const straightOpt = sgd();
  const straight = new CosineAnnealingWarmRestarts(straightOpt, 2, { tMult: 2, etaMin: 0.001 });
  const expected = epochs.map((e) => {
    straight.step(e);
    return lrs(straightOpt);
  });

  const firstOpt = sgd();
  const first = new CosineAnnealingWarmRestarts(firstOpt, 2, { tMult: 2, etaMin: 0.001 });
  epochs.slice(0, 11).forEach((e) => first.step(e));
  const saved = JSON.parse(JSON.stringify(first.stateDict()));
  assert.equal(saved.T_cur, 0.5);
  assert.equal(saved.T_i, 4);

  const resumedOpt = sgd();
  const resumed = new CosineAnnealingWarmRestarts(resumedOpt, 2, { tMult: 2, etaMin: 0.001 });
  resumed.loadStateDict(saved);
  epochs.slice(11).forEach((e, i) => {
    resumed.step(e);
    assert.deepEqual(lrs(resumedOpt), expected[11 + i], `step(${e})`);
  });
  // step() after the jumps continues from ⌊epoch⌋ + 1 in both.
  straight.step();
  resumed.step();
  assert.deepEqual(lrs(resumedOpt), lrs(straightOpt));
});

type ErrorRow = [string, () => unknown, RegExp];
const errors: ErrorRow[] = [
  [
    "ConstantLR with factor 0",
    () => new ConstantLR(sgd(), { factor: 0 }),
    /factor must be in \(0, 1\], got 0/,
  ],
  [
    "ConstantLR with factor 1.5",
    () => new ConstantLR(sgd(), { factor: 1.5 }),
    /factor must be in \(0, 1\], got 1.5/,
  ],
  [
    "ConstantLR with totalIters 0",
    () => new ConstantLR(sgd(), { totalIters: 0 }),
    /totalIters must be an integer ≥ 1, got 0/,
  ],
  [
    "ConstantLR with total_iters",
    () => new ConstantLR(sgd(), { total_iters: 3 } as never),
    /unknown option "total_iters" \(did you mean "totalIters"\?/,
  ],
  [
    "ConstantLR with a positional factor",
    () => new ConstantLR(sgd(), 0.5 as never),
    /Cannot create ConstantLR: expected an options object .* got 0.5/,
  ],
  [
    "PolynomialLR with power -1",
    () => new PolynomialLR(sgd(), { power: -1 }),
    /power must be ≥ 0, got -1/,
  ],
  [
    "PolynomialLR with totalIters 2.5",
    () => new PolynomialLR(sgd(), { totalIters: 2.5 }),
    /totalIters must be an integer ≥ 1, got 2.5/,
  ],
  [
    "PolynomialLR with a third argument",
    () => new (PolynomialLR as unknown as Loose)(sgd(), {}, 1),
    /Cannot create PolynomialLR: expected at most 2 arguments, got 3/,
  ],
  [
    "LambdaLR with a number",
    () => new LambdaLR(sgd(), 0.5 as never),
    /lrLambda must be a function or an object with a factor\(\) method, got 0.5/,
  ],
  [
    "LambdaLR with 3 lambdas for 2 groups",
    () => new LambdaLR(sgd(), [() => 1, () => 1, () => 1]),
    /lrLambda has 3 function\(s\) but the optimizer has 2 param group\(s\)/,
  ],
  [
    "LambdaLR with an object without factor()",
    () => new LambdaLR(sgd(), [() => 1, { call: () => 1 } as never]),
    /lrLambda\[1\] must be a function or an object with a factor\(\) method/,
  ],
  [
    "LambdaLR whose lambda returns NaN at epoch 0",
    () => new LambdaLR(sgd(), () => NaN),
    /Cannot step LambdaLR: lrLambda\(0\) returned NaN, not a finite number/,
  ],
  ["MultiplicativeLR whose second lambda returns a string at epoch 2", () => {
    const s = new MultiplicativeLR(sgd(), [() => 1, (e) => (e < 2 ? 1 : "0.5") as never]);
    s.step();
    s.step();
  }, /Cannot step MultiplicativeLR: lrLambda\[1\]\(2\) returned "0.5", not a finite number/],
  [
    "MultiplicativeLR with a third argument",
    () => new (MultiplicativeLR as unknown as Loose)(sgd(), () => 1, {}),
    /expected at most 2 arguments, got 3/,
  ],
  [
    "CosineAnnealingWarmRestarts with t0 0",
    () => new CosineAnnealingWarmRestarts(sgd(), 0),
    /t0 must be an integer ≥ 1, got 0/,
  ],
  [
    "CosineAnnealingWarmRestarts with { T_0 }",
    () => new CosineAnnealingWarmRestarts(sgd(), { T_0: 10 } as never),
    /t0 must be a finite number, got Object \(usage: new CosineAnnealingWarmRestarts\(optimizer, t0, \{ tMult, etaMin \}\)\)/,
  ],
  [
    "CosineAnnealingWarmRestarts with tMult 1.5",
    () => new CosineAnnealingWarmRestarts(sgd(), 2, { tMult: 1.5 }),
    /tMult must be an integer ≥ 1, got 1.5/,
  ],
  [
    "CosineAnnealingWarmRestarts with T_mult",
    () => new CosineAnnealingWarmRestarts(sgd(), 2, { T_mult: 2 } as never),
    /unknown option "T_mult" \(did you mean "tMult"\?/,
  ],
  [
    "CosineAnnealingWarmRestarts.step(-1)",
    () => new CosineAnnealingWarmRestarts(sgd(), 2).step(-1),
    /Cannot step CosineAnnealingWarmRestarts: epoch must be a finite number ≥ 0, got -1/,
  ],
  [
    "CosineAnnealingWarmRestarts.step(NaN)",
    () => new CosineAnnealingWarmRestarts(sgd(), 2).step(NaN),
    /epoch must be a finite number ≥ 0, got NaN/,
  ],
  [
    "CyclicLR in PyTorch's keyword form",
    () => new CyclicLR(sgd(), { baseLr: 0.1, maxLr: 1 } as never, undefined as never),
    /baseLr must be a number or one number per param group, got Object \(usage: new CyclicLR\(optimizer, baseLr, maxLr, \{ stepSizeUp \}\)\)/,
  ],
  [
    "CyclicLR with step_size_up",
    () => new CyclicLR(sgd(), 0.1, 1, { step_size_up: 4 } as never),
    /unknown option "step_size_up" \(did you mean "stepSizeUp"\?/,
  ],
  [
    "CyclicLR with stepSizeUp 0",
    () => new CyclicLR(sgd(), 0.1, 1, { stepSizeUp: 0 }),
    /stepSizeUp must be an integer ≥ 1, got 0/,
  ],
  [
    'CyclicLR with mode "triangle"',
    () => new CyclicLR(sgd(), 0.1, 1, { mode: "triangle" as never }),
    /mode must be one of "triangular", "triangular2", "exp_range", got "triangle"/,
  ],
  [
    "CyclicLR with mode and scaleFn",
    () => new CyclicLR(sgd(), 0.1, 1, { mode: "triangular2", scaleFn: () => 1 }),
    /give mode or scaleFn, not both/,
  ],
  [
    "CyclicLR with scaleMode but no scaleFn",
    () => new CyclicLR(sgd(), 0.1, 1, { scaleMode: "iterations" }),
    /scaleMode applies to scaleFn only/,
  ],
  [
    "CyclicLR with gamma outside exp_range",
    () => new CyclicLR(sgd(), 0.1, 1, { gamma: 0.9 }),
    /gamma applies to mode "exp_range" only/,
  ],
  [
    "CyclicLR with 3 maxLr for 2 groups",
    () => new CyclicLR(sgd(), 0.1, [1, 2, 3]),
    /maxLr has 3 value\(s\) but the optimizer has 2 param group\(s\)/,
  ],
  [
    "CyclicLR cycling momentum on Adagrad",
    () => new CyclicLR(new Adagrad([new Parameter(Tensor.zeros([1]))]), 0.1, 1),
    /cycleMomentum needs an optimizer with momentum or betas/,
  ],
  [
    "CyclicLR with maxMomentum 1",
    () => new CyclicLR(sgd(), 0.1, 1, { maxMomentum: 1 }),
    /baseMomentum and maxMomentum must be in \[0, 1\), got 1/,
  ],
  [
    "CyclicLR with baseMomentum but cycleMomentum false",
    () => new CyclicLR(sgd(), 0.1, 1, { cycleMomentum: false, baseMomentum: 0.7 }),
    /baseMomentum and maxMomentum need cycleMomentum: true/,
  ],
  [
    "CyclicLR whose scaleFn returns Infinity",
    () => new CyclicLR(sgd(), 0.1, 1, { scaleFn: () => Infinity, cycleMomentum: false }),
    /Cannot step CyclicLR: scaleFn\(1\) returned Infinity/,
  ],
  [
    "CyclicLR with a fifth argument",
    () => new (CyclicLR as unknown as Loose)(sgd(), 0.1, 1, {}, 2),
    /Cannot create CyclicLR: expected at most 4 arguments, got 5/,
  ],
  [
    "ChainedScheduler with no schedulers",
    () => new ChainedScheduler([]),
    /schedulers must be a non-empty array of schedulers, got \[\]/,
  ],
  [
    "ChainedScheduler with ReduceLROnPlateau",
    () => new ChainedScheduler([new ReduceLROnPlateau(sgd()) as never]),
    /schedulers\[0\] must be an epoch scheduler, SequentialLR or ChainedScheduler \(not ReduceLROnPlateau\)/,
  ],
  ["ChainedScheduler across two optimizers", () => {
    const o = sgd();
    return new ChainedScheduler([new StepLR(o, 2), new StepLR(sgd(), 2)]);
  }, /schedulers\[1\] belongs to another optimizer/],
  [
    "ChainedScheduler with another optimizer option",
    () => new ChainedScheduler([new StepLR(sgd(), 2)], { optimizer: sgd() }),
    /schedulers\[0\] belongs to another optimizer/,
  ],
  [
    "ChainedScheduler in the SequentialLR argument order",
    () => {
      const o = sgd();
      return new ChainedScheduler(o as never, [new StepLR(o, 2)] as never);
    },
    /schedulers must be a non-empty array of schedulers, got SGD \(usage: new ChainedScheduler\(schedulers, \{ optimizer \}\)\)/,
  ],
  [
    "ChainedScheduler.step(3)",
    () =>
      (new ChainedScheduler([new StepLR(sgd(), 2)]) as unknown as { step(e: number): void }).step(
        3,
      ),
    /Cannot step ChainedScheduler: it takes no argument, got 3/,
  ],
];
for (const [label, run, message] of errors) {
  test(`Scheduler rejects ${label}`, () => {
    assert.throws(run, message);
  });
}

class Counter {
  count = 0;
  factor(_epoch: number): number {
    this.count += 1;
    return 1;
  }
}

const loadErrors: ErrorRow[] = [
  [
    "LambdaLR state saved from an object into a plain function",
    () => {
      const saved = new LambdaLR(sgd(), new Counter()).stateDict();
      new LambdaLR(sgd(), () => 1).loadStateDict(saved);
    },
    /Cannot load state dict into LambdaLR: lr_lambdas\[0\] holds saved fields but this function is a plain function/,
  ],
  [
    "LambdaLR state saved from a plain function into an object",
    () => {
      const saved = new LambdaLR(sgd(), () => 1).stateDict();
      new LambdaLR(sgd(), new Counter()).loadStateDict(saved);
    },
    /lr_lambdas\[0\] is null \(saved from a plain function\) but this function is an object with fields/,
  ],
  ["LambdaLR state without lr_lambdas", () => {
    const { lr_lambdas: _, ...saved } = new LambdaLR(sgd(), () => 1).stateDict();
    new LambdaLR(sgd(), () => 1).loadStateDict(saved as never);
  }, /expected a state dict with lr_lambdas/],
  ["MultiplicativeLR state with one lr_lambdas entry for 2 groups", () => {
    const saved = { ...new MultiplicativeLR(sgd(), () => 1).stateDict(), lr_lambdas: [null] };
    new MultiplicativeLR(sgd(), () => 1).loadStateDict(saved);
  }, /lr_lambdas must hold one entry \(null or an object\) per function \(2\), got \[null\]/],
  ["CosineAnnealingWarmRestarts state with T_i 0", () => {
    const saved = { ...new CosineAnnealingWarmRestarts(sgd(), 2).stateDict(), T_i: 0 };
    new CosineAnnealingWarmRestarts(sgd(), 2).loadStateDict(saved);
  }, /T_i must be an integer ≥ 1, got 0/],
  ["CosineAnnealingWarmRestarts state without T_cur", () => {
    const { T_cur: _, ...saved } = new CosineAnnealingWarmRestarts(sgd(), 2).stateDict();
    new CosineAnnealingWarmRestarts(sgd(), 2).loadStateDict(saved as never);
  }, /T_cur must be a finite number ≥ 0, got undefined/],
  ["CyclicLR state with scale fields but no scaleFn", () => {
    const saved = { ...new CyclicLR(sgd(), 0.1, 1).stateDict(), _scale_fn_custom: { decay: 1 } };
    new CyclicLR(sgd(), 0.1, 1).loadStateDict(saved);
  }, /_scale_fn_custom holds saved fields but this CyclicLR has no scaleFn/],
  ["ChainedScheduler state for 1 scheduler into a chain of 2", () => {
    const o = sgd();
    const saved = new ChainedScheduler([new StepLR(o, 2)]).stateDict();
    const p = sgd();
    new ChainedScheduler([new StepLR(p, 2), new ConstantLR(p)]).loadStateDict(saved);
  }, /the state dict has 1 scheduler\(s\), this ChainedScheduler 2/],
];
for (const [label, run, message] of loadErrors) {
  test(`Scheduler.loadStateDict() rejects ${label}`, () => {
    assert.throws(run, message);
  });
}

test("LambdaLR.loadStateDict() that fails changes nothing", () => {
  const opt = sgd();
  const counter = new Counter();
  const scheduler = new LambdaLR(opt, [counter, () => 1]);
  const saved = {
    ...scheduler.stateDict(),
    lr_lambdas: [{ count: 99 }, { stray: 1 }],
    last_epoch: 7,
  };
  assert.throws(() => scheduler.loadStateDict(saved), /lr_lambdas\[1\] holds saved fields/);
  assert.equal(counter.count, 1);
  assert.equal(scheduler.lastEpoch, 0);
});
