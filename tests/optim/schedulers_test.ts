/** Learning-rate schedulers: (epoch → lr) tables against the published formulas, chaining, and errors. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../_helpers/assert_close.ts";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import {
  Adagrad,
  Adam,
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  type LRScheduler,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SequentialLR,
  SGD,
  StepLR,
} from "../../optim/mod.ts";

const BASE = [0.1, 0.02];
const sgd = (momentum = 0) =>
  new SGD([{ params: [new Parameter(Tensor.zeros([2]))] }, {
    params: [new Parameter(Tensor.zeros([3]))],
    lr: BASE[1],
  }], {
    lr: BASE[0],
    momentum,
  });
const cosine = (start: number, end: number, pct: number) =>
  end + ((start - end) / 2) * (1 + Math.cos(Math.PI * pct));
const linear = (start: number, end: number, pct: number) => start + (end - start) * pct;

interface Row {
  label: string;
  epochs: number;
  make: (opt: SGD) => LRScheduler;
  /** The published closed form, written here independently of optim/. */
  expected: (epoch: number, base: number) => number;
}

const rows: Row[] = [
  {
    label: "StepLR stepSize 3, gamma 0.5",
    epochs: 25,
    make: (o) => new StepLR(o, 3, { gamma: 0.5 }),
    expected: (e, b) => b * 0.5 ** Math.floor(e / 3),
  },
  {
    label: "StepLR default gamma 0.1",
    epochs: 20,
    make: (o) => new StepLR(o, 7),
    expected: (e, b) => b * 0.1 ** Math.floor(e / 7),
  },
  {
    label: "MultiStepLR milestones [2, 5, 5, 9], gamma 0.3",
    epochs: 20,
    make: (o) => new MultiStepLR(o, [2, 5, 5, 9], { gamma: 0.3 }),
    expected: (e, b) => b * 0.3 ** [2, 5, 5, 9].filter((m) => m <= e).length,
  },
  {
    label: "ExponentialLR gamma 0.9",
    epochs: 25,
    make: (o) => new ExponentialLR(o, 0.9),
    expected: (e, b) => b * 0.9 ** e,
  },
  {
    label: "CosineAnnealingLR tMax 10, etaMin 0.001, past tMax",
    epochs: 35,
    make: (o) => new CosineAnnealingLR(o, 10, { etaMin: 0.001 }),
    expected: (e, b) => 0.001 + ((b - 0.001) * (1 + Math.cos((Math.PI * e) / 10))) / 2,
  },
  {
    label: "CosineAnnealingLR tMax 7",
    epochs: 22,
    make: (o) => new CosineAnnealingLR(o, 7),
    expected: (e, b) => (b * (1 + Math.cos((Math.PI * e) / 7))) / 2,
  },
  {
    label: "LinearLR defaults (1/3 → 1 over 5)",
    epochs: 20,
    make: (o) => new LinearLR(o),
    expected: (e, b) => b * (1 / 3 + (2 / 3) * Math.min(e, 5) / 5),
  },
  {
    label: "LinearLR decay 1 → 0.1 over 10",
    epochs: 20,
    make: (o) => new LinearLR(o, { startFactor: 1, endFactor: 0.1, totalIters: 10 }),
    expected: (e, b) => b * (1 - 0.9 * Math.min(e, 10) / 10),
  },
  {
    label:
      "OneCycleLR totalSteps 20, defaults (cos, pctStart 0.3, divFactor 25, finalDivFactor 1e4)",
    epochs: 20,
    make: (o) => new OneCycleLR(o, [1, 0.5], { totalSteps: 20 }),
    expected: () => 0,
  },
  {
    label: "OneCycleLR linear, three phases, pctStart 0.25, totalSteps 24",
    epochs: 24,
    make: (o) =>
      new OneCycleLR(o, 1, {
        totalSteps: 24,
        pctStart: 0.25,
        annealStrategy: "linear",
        threePhase: true,
        divFactor: 10,
        finalDivFactor: 100,
      }),
    expected: () => 0,
  },
  {
    label: "OneCycleLR epochs 4 × stepsPerEpoch 6",
    epochs: 24,
    make: (o) => new OneCycleLR(o, 0.4, { epochs: 4, stepsPerEpoch: 6, pctStart: 0.5 }),
    expected: () => 0,
  },
];

/** OneCycleLR, written from PyTorch's documented phases: the lr at step s for group g. */
function oneCycle(row: string, s: number, g: number): number {
  if (row.startsWith("OneCycleLR totalSteps 20")) {
    const max = [1, 0.5][g];
    const initial = max / 25;
    const min = initial / 1e4;
    const up = 0.3 * 20 - 1; // 5
    return s <= up ? cosine(initial, max, s / up) : cosine(max, min, (s - up) / (19 - up));
  }
  if (row.startsWith("OneCycleLR linear")) {
    const [initial, max, min] = [0.1, 1, 0.001];
    if (s <= 5) return linear(initial, max, s / 5);
    if (s <= 10) return linear(max, initial, (s - 5) / 5);
    return linear(initial, min, (s - 10) / 13);
  }
  const [initial, max, min] = [0.4 / 25, 0.4, 0.4 / 25 / 1e4];
  return s <= 11 ? cosine(initial, max, s / 11) : cosine(max, min, (s - 11) / 12);
}

for (const row of rows) {
  test(`${row.label.split(" ")[0]}.step() follows the published schedule for ${row.epochs} steps: ${row.label}`, () => {
    const opt = sgd(0.9);
    const scheduler = row.make(opt);
    const lrAt = (scheduler as unknown as { lrAt: (e: number) => number[] }).lrAt.bind(scheduler);
    for (let e = 0; e <= row.epochs; e++) {
      if (e > 0) scheduler.step();
      const expected = BASE.map((
        b,
        g,
      ) => (row.label.startsWith("OneCycleLR") ? oneCycle(row.label, e, g) : row.expected(e, b)));
      assertClose(opt.paramGroups.map((g) => g.lr), expected, {
        rtol: 1e-12,
        atol: 1e-15,
        message: `epoch ${e}`,
      });
      assert.deepEqual(scheduler.getLastLr(), opt.paramGroups.map((g) => g.lr));
      assertClose(lrAt(e), expected, { rtol: 1e-12, atol: 1e-15, message: `lrAt(${e})` });
    }
  });
}

test("OneCycleLR.step() cycles SGD momentum between maxMomentum and baseMomentum inversely to the lr", () => {
  const opt = sgd(0);
  const scheduler = new OneCycleLR(opt, 1, {
    totalSteps: 20,
    baseMomentum: 0.8,
    maxMomentum: 0.9,
  });
  for (let s = 0; s <= 20; s++) {
    if (s > 0) scheduler.step();
    const expected = s <= 5 ? cosine(0.9, 0.8, s / 5) : cosine(0.8, 0.9, (s - 5) / 14);
    for (const group of opt.paramGroups) {
      assertClose(group.momentum, expected, { rtol: 1e-12, message: `step ${s}` });
    }
  }
});

test("OneCycleLR.step() cycles Adam's betas[0] and keeps betas[1]", () => {
  const opt = new Adam([new Parameter(Tensor.zeros([1]))], { betas: [0.9, 0.99] });
  const scheduler = new OneCycleLR(opt, 0.01, { totalSteps: 10 });
  assert.deepEqual([...opt.paramGroups[0].betas], [0.95, 0.99]);
  for (let s = 1; s <= 10; s++) {
    scheduler.step();
    const expected = s <= 2 ? cosine(0.95, 0.85, s / 2) : cosine(0.85, 0.95, (s - 2) / 7);
    assertClose(opt.paramGroups[0].betas[0], expected, { rtol: 1e-12 });
    assert.equal(opt.paramGroups[0].betas[1], 0.99);
  }
});

test("OneCycleLR.step() past totalSteps is a RangeError", () => {
  const scheduler = new OneCycleLR(sgd(), 1, { totalSteps: 3, cycleMomentum: false });
  for (let i = 0; i < 3; i++) scheduler.step();
  assert.throws(
    () => scheduler.step(),
    /Cannot step OneCycleLR: tried to step 4 times; totalSteps is 3/,
  );
});

test("ReduceLROnPlateau.step() follows patience, threshold, cooldown and minLr (mode min, rel)", () => {
  const opt = sgd();
  opt.paramGroups[0].lr = 1;
  opt.paramGroups[1].lr = 0.1;
  const scheduler = new ReduceLROnPlateau(opt, {
    patience: 2,
    cooldown: 1,
    factor: 0.5,
    threshold: 0.1,
    minLr: [0.2, 0],
  });
  const metrics = [10, 9, 9.5, 9.2, 9.1, 8, 8, 8, 8, 8, 8, 8, 7, 7, 7, 7, 7, 7, 7, 7, 7];
  const lr0 = [
    1,
    1,
    1,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.25,
    0.25,
    0.25,
    0.25,
    0.25,
    0.25,
    0.25,
    0.2,
    0.2,
    0.2,
    0.2,
    0.2,
    0.2,
  ];
  const lr1 = [
    ...Array(3).fill(0.1),
    ...Array(5).fill(0.05),
    ...Array(7).fill(0.025),
    ...Array(4).fill(0.0125),
    ...Array(2).fill(0.00625),
  ];
  assert.deepEqual(scheduler.getLastLr(), [1, 0.1]);
  metrics.forEach((m, i) => {
    scheduler.step(m);
    assert.deepEqual(
      opt.paramGroups.map((g) => g.lr),
      [lr0[i], lr1[i]],
      `epoch ${i + 1}, metric ${m}`,
    );
    assert.deepEqual(scheduler.getLastLr(), [lr0[i], lr1[i]]);
  });
});

test("ReduceLROnPlateau.step() with mode max, abs threshold and patience 0 reduces on every non-improvement", () => {
  const opt = sgd();
  opt.paramGroups[0].lr = 1;
  const scheduler = new ReduceLROnPlateau(opt, {
    mode: "max",
    thresholdMode: "abs",
    threshold: 0.5,
    patience: 0,
    factor: 0.5,
  });
  const metrics = [
    0.5,
    0.6,
    1.2,
    1.3,
    1.8,
    2.4,
    2.5,
    3.0,
    3.1,
    3.2,
    3.7,
    3.7,
    4.3,
    4.3,
    4.3,
    4.9,
    5.0,
    5.5,
    5.5,
    6.1,
  ];
  const halvings = [0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 8, 8, 9, 9, 10, 10];
  metrics.forEach((m, i) => {
    scheduler.step(m);
    assert.equal(opt.paramGroups[0].lr, 0.5 ** halvings[i], `epoch ${i + 1}, metric ${m}`);
  });
});

test("ReduceLROnPlateau constructor leaves the lrs unchanged", () => {
  const opt = sgd();
  new ReduceLROnPlateau(opt);
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), BASE);
});

test("SequentialLR.step() runs LinearLR warm-up then CosineAnnealingLR from the base lr (25 steps)", () => {
  const opt = sgd();
  const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 4 });
  const cos = new CosineAnnealingLR(opt, 16);
  const scheduler = new SequentialLR(opt, [warmup, cos], [5]);
  for (let e = 0; e <= 25; e++) {
    if (e > 0) scheduler.step();
    const expected = BASE.map((
      b,
    ) => (e < 5
      ? b * (0.1 + (0.9 * Math.min(e, 4)) / 4)
      : (b * (1 + Math.cos((Math.PI * (e - 5)) / 16))) / 2)
    );
    assertClose(opt.paramGroups.map((g) => g.lr), expected, { rtol: 1e-12, message: `epoch ${e}` });
    assert.deepEqual(scheduler.getLastLr(), opt.paramGroups.map((g) => g.lr));
  }
});

test("SequentialLR.step() chains three schedulers, each restarting from the initial lr at its milestone (20 steps)", () => {
  const opt = sgd();
  const a = new ExponentialLR(opt, 0.5);
  const b = new StepLR(opt, 2, { gamma: 0.1 });
  const c = new CosineAnnealingLR(opt, 4);
  const scheduler = new SequentialLR(opt, [a, b, c], [3, 8]);
  for (let e = 0; e <= 20; e++) {
    if (e > 0) scheduler.step();
    const expected = BASE.map((base) => {
      if (e < 3) return base * 0.5 ** e;
      if (e < 8) return base * 0.1 ** Math.floor((e - 3) / 2);
      return (base * (1 + Math.cos((Math.PI * (e - 8)) / 4))) / 2;
    });
    assertClose(opt.paramGroups.map((g) => g.lr), expected, {
      rtol: 1e-12,
      atol: 1e-17,
      message: `epoch ${e}`,
    });
  }
});

test("LRScheduler constructor records initialLr once, so a second scheduler starts from the original lr", () => {
  const opt = sgd();
  new LinearLR(opt, { startFactor: 0.5 });
  const second = new ExponentialLR(opt, 0.5);
  assert.deepEqual(second.baseLrs, BASE);
  assert.deepEqual(opt.paramGroups.map((g) => g.initialLr), BASE);
});

type ErrorRow = [string, () => unknown, RegExp];
const errors: ErrorRow[] = [
  [
    "StepLR without stepSize",
    () => new StepLR(sgd(), undefined as never),
    /Cannot create StepLR: stepSize must be a finite number, got undefined/,
  ],
  [
    "StepLR in the old options-only form",
    () => new StepLR(sgd(), { stepSize: 2 } as never),
    /stepSize must be a finite number, got Object \(usage: new StepLR\(optimizer, stepSize, \{ gamma \}\)\)/,
  ],
  [
    "StepLR with an extra positional argument",
    () => new StepLR(sgd(), 2, 0.5 as never),
    /Cannot create StepLR: expected an options object \(\{ gamma \}\) as the last argument, got 0.5/,
  ],
  [
    "StepLR with a fourth argument",
    () => (new (StepLR as unknown as new (...a: unknown[]) => unknown)(sgd(), 2, {}, 1)),
    /Cannot create StepLR: expected at most 3 arguments, got 4/,
  ],
  [
    "StepLR with stepSize 0",
    () => new StepLR(sgd(), 0),
    /stepSize must be an integer ≥ 1, got 0/,
  ],
  [
    "StepLR with an unknown option",
    () => new StepLR(sgd(), 2, { Gamma: 2 } as never),
    /unknown option "Gamma" \(did you mean "gamma"\?/,
  ],
  [
    "MultiStepLR with decreasing milestones",
    () => new MultiStepLR(sgd(), [5, 2]),
    /milestones must be non-negative integers in increasing order/,
  ],
  [
    "ExponentialLR with gamma in an options object",
    () => new ExponentialLR(sgd(), { gamma: 0.5 } as never),
    /gamma must be a finite number, got Object \(usage: new ExponentialLR\(optimizer, gamma\)\)/,
  ],
  [
    "ExponentialLR with a third argument",
    () => new (ExponentialLR as unknown as new (...a: unknown[]) => unknown)(sgd(), 0.5, {}),
    /Cannot create ExponentialLR: expected at most 2 arguments, got 3/,
  ],
  [
    "CosineAnnealingLR with tMax 0",
    () => new CosineAnnealingLR(sgd(), 0),
    /tMax must be an integer ≥ 1/,
  ],
  [
    "CosineAnnealingLR with eta_min",
    () => new CosineAnnealingLR(sgd(), 10, { eta_min: 0.1 } as never),
    /unknown option "eta_min" \(did you mean "etaMin"\?/,
  ],
  [
    "CosineAnnealingLR with tMax NaN",
    () => new CosineAnnealingLR(sgd(), NaN),
    /tMax must be a finite number, got NaN/,
  ],
  [
    "LinearLR with startFactor 0",
    () => new LinearLR(sgd(), { startFactor: 0 }),
    /startFactor must be in \(0, 1\], got 0/,
  ],
  [
    "LinearLR with the options object second and a third argument",
    () => new (LinearLR as unknown as new (...a: unknown[]) => unknown)(sgd(), {}, 5),
    /Cannot create LinearLR: expected at most 2 arguments, got 3/,
  ],
  [
    "LinearLR with endFactor 2",
    () => new LinearLR(sgd(), { endFactor: 2 }),
    /endFactor must be in \[0, 1\]/,
  ],
  [
    "OneCycleLR without a length",
    () => new OneCycleLR(sgd(), 1),
    /give totalSteps, or both epochs and stepsPerEpoch/,
  ],
  [
    "OneCycleLR in the old options-only form",
    () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10 } as never),
    /maxLr must be a number or one number per param group, got Object \(usage: new OneCycleLR/,
  ],
  [
    "OneCycleLR with total_steps",
    () => new OneCycleLR(sgd(), 1, { total_steps: 10 } as never),
    /unknown option "total_steps" \(did you mean "totalSteps"\?/,
  ],
  [
    "OneCycleLR with pctStart 1.5",
    () => new OneCycleLR(sgd(), 1, { totalSteps: 10, pctStart: 1.5 }),
    /pctStart must be in \[0, 1\]/,
  ],
  [
    "OneCycleLR with one maxLr per group but the wrong count",
    () => new OneCycleLR(sgd(), [1, 2, 3], { totalSteps: 10 }),
    /maxLr has 3 value\(s\) but the optimizer has 2 param group\(s\)/,
  ],
  [
    'OneCycleLR with annealStrategy "cosine"',
    () => new OneCycleLR(sgd(), 1, { totalSteps: 10, annealStrategy: "cosine" as never }),
    /annealStrategy must be one of "cos", "linear"/,
  ],
  [
    "OneCycleLR cycling momentum on Adagrad",
    () => new OneCycleLR(new Adagrad([new Parameter(Tensor.zeros([1]))]), 1, { totalSteps: 10 }),
    /cycleMomentum needs an optimizer with momentum or betas/,
  ],
  [
    "OneCycleLR with an empty phase",
    () => new OneCycleLR(sgd(), 1, { totalSteps: 10, pctStart: 0.1 }),
    /phase 1 of the cycle is empty/,
  ],
  [
    "ReduceLROnPlateau with factor 1",
    () => new ReduceLROnPlateau(sgd(), { factor: 1 }),
    /factor must be in \[0, 1\), got 1/,
  ],
  [
    'ReduceLROnPlateau with mode "minimum"',
    () => new ReduceLROnPlateau(sgd(), { mode: "minimum" as never }),
    /mode must be one of "min", "max"/,
  ],
  [
    "ReduceLROnPlateau with patience 1.5",
    () => new ReduceLROnPlateau(sgd(), { patience: 1.5 }),
    /patience must be an integer ≥ 0/,
  ],
  [
    "ReduceLROnPlateau with threshold_mode",
    () => new ReduceLROnPlateau(sgd(), { threshold_mode: "abs" } as never),
    /unknown option "threshold_mode" \(did you mean "thresholdMode"\?/,
  ],
  [
    "ReduceLROnPlateau with a positional mode",
    () => new ReduceLROnPlateau(sgd(), "max" as never),
    /Cannot create ReduceLROnPlateau: expected an options object .* got "max"/,
  ],
  ["SequentialLR with too few milestones", () => {
    const o = sgd();
    return new SequentialLR(o, [new StepLR(o, 1), new StepLR(o, 1)], []);
  }, /expected 1 milestone\(s\) for 2 schedulers/],
  ["SequentialLR with ReduceLROnPlateau", () => {
    const o = sgd();
    return new SequentialLR(o, [new ReduceLROnPlateau(o) as never, new StepLR(o, 1)], [2]);
  }, /schedulers\[0\] must be an epoch scheduler/],
  ["SequentialLR with another optimizer's scheduler", () => {
    const o = sgd();
    return new SequentialLR(o, [new StepLR(sgd(), 1)], []);
  }, /schedulers\[0\] belongs to another optimizer/],
  [
    "SequentialLR in the old options form",
    () => {
      const o = sgd();
      return new SequentialLR(o, { schedulers: [new StepLR(o, 1)], milestones: [] } as never, []);
    },
    /schedulers must be a non-empty array .* \(usage: new SequentialLR\(optimizer, schedulers, milestones\)\)/,
  ],
  [
    "a scheduler on something without paramGroups",
    () => new StepLR({} as never, 1),
    /expected an optimizer with paramGroups/,
  ],
];
for (const [label, run, message] of errors) {
  test(`Scheduler constructor rejects ${label}`, () => {
    assert.throws(run, message);
  });
}

test("ReduceLROnPlateau.step() rejects a non-number metric", () => {
  assert.throws(
    () => new ReduceLROnPlateau(sgd()).step("0.5" as never),
    /expected the metric as a number, got "0.5"/,
  );
});

test("LRScheduler.step(epoch) jumps to that epoch with the closed form, as PyTorch's step(epoch)", () => {
  const opt = sgd();
  const scheduler = new StepLR(opt, 3, { gamma: 0.5 });
  scheduler.step(7);
  assert.equal(scheduler.lastEpoch, 7);
  assertClose(opt.paramGroups.map((g) => g.lr), BASE.map((b) => b * 0.25), { rtol: 1e-15 });
  scheduler.step();
  assertClose(opt.paramGroups.map((g) => g.lr), BASE.map((b) => b * 0.25), { rtol: 1e-15 });
  scheduler.step();
  assertClose(opt.paramGroups.map((g) => g.lr), BASE.map((b) => b * 0.125), { rtol: 1e-15 });
});

const stepErrors: ErrorRow[] = [
  [
    "StepLR.step(1.5)",
    () => new StepLR(sgd(), 3).step(1.5),
    /Cannot step StepLR: epoch must be an integer ≥ 0, got 1.5/,
  ],
  [
    "StepLR.step() with two arguments",
    () => (new StepLR(sgd(), 3) as unknown as { step(...a: unknown[]): void }).step(1, 2),
    /Cannot step StepLR: expected at most 1 argument, got 2/,
  ],
  [
    "SequentialLR.step(3)",
    () => {
      const o = sgd();
      (new SequentialLR(o, [new StepLR(o, 1)], []) as unknown as { step(e: number): void }).step(3);
    },
    /Cannot step SequentialLR: it takes no argument, got 3/,
  ],
  [
    "ReduceLROnPlateau.step() with two arguments",
    () => (new ReduceLROnPlateau(sgd()) as unknown as { step(...a: unknown[]): void }).step(1, 2),
    /Cannot step ReduceLROnPlateau: expected at most 1 argument, got 2/,
  ],
  [
    "StepLR.loadStateDict() with two arguments",
    () => {
      const s = new StepLR(sgd(), 3) as unknown as { loadStateDict(...a: unknown[]): void };
      s.loadStateDict(new StepLR(sgd(), 3).stateDict(), {});
    },
    /Cannot load state dict into StepLR: expected at most 1 argument, got 2/,
  ],
];
for (const [label, run, message] of stepErrors) {
  test(`Scheduler rejects ${label}`, () => {
    assert.throws(run, message);
  });
}

test("OneCycleLR.step(epoch) jumps the momentum with the lr (PyTorch runs get_lr() there)", () => {
  const walked = sgd(0.9);
  const a = new OneCycleLR(walked, 1, { totalSteps: 20 });
  for (let s = 0; s < 7; s++) a.step();
  const jumped = sgd(0.9);
  const b = new OneCycleLR(jumped, 1, { totalSteps: 20 });
  b.step(7);
  assert.deepEqual(
    jumped.paramGroups.map((g) => [g.lr, g.momentum]),
    walked.paramGroups.map((g) => [g.lr, g.momentum]),
  );
  assert.notEqual(jumped.paramGroups[0].momentum, 0.95);
});
