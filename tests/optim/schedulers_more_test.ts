/**
 * ConstantLR, PolynomialLR, LambdaLR, MultiplicativeLR, CosineAnnealingWarmRestarts,
 * CyclicLR and ChainedScheduler: ≥ 20-step tables against PyTorch's formulas, written here
 * independently of optim/ — the chainable recurrence that `step()` follows (same float64
 * operations, so equal bit for bit) and the closed form (equal up to rounding).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../_helpers/assert_close.ts";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import {
  Adam,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  type LRScheduler,
  MultiplicativeLR,
  PolynomialLR,
  SequentialLR,
  SGD,
  StepLR,
} from "../../optim/mod.ts";

const BASE = [0.1, 0.02];
const sgd = (momentum = 0) =>
  new SGD(
    [{ params: [new Parameter(Tensor.zeros([2]))] }, {
      params: [new Parameter(Tensor.zeros([3]))],
      lr: BASE[1],
    }],
    { lr: BASE[0], momentum },
  );
const lrs = (opt: { paramGroups: { lr: number }[] }) => opt.paramGroups.map((g) => g.lr);
const CLOSE = { rtol: 1e-12, atol: 1e-16 };

interface Row {
  label: string;
  steps: number;
  make: (opt: SGD) => LRScheduler;
  /** PyTorch's chainable `get_lr()`: the lr of epoch e from the lr of epoch e − 1 (e ≥ 1). */
  chain: (e: number, lr: number, base: number, group: number) => number;
  /** The lr at epoch 0 (after the constructor's initial step). */
  first: (base: number, group: number) => number;
  /** PyTorch's `_get_closed_form_lr()` (or the schedule's published formula). */
  closed: (e: number, base: number, group: number) => number;
}

const rows: Row[] = [
  {
    label: "ConstantLR factor 0.3, totalIters 7",
    steps: 25,
    make: (o) => new ConstantLR(o, { factor: 0.3, totalIters: 7 }),
    first: (b) => b * 0.3,
    chain: (e, lr) => (e === 7 ? lr * (1 / 0.3) : lr),
    closed: (e, b) => b * (0.3 + (e >= 7 ? 1 : 0) * (1 - 0.3)),
  },
  {
    label: "ConstantLR defaults (1/3 for 5 epochs)",
    steps: 20,
    make: (o) => new ConstantLR(o),
    first: (b) => b * (1 / 3),
    chain: (e, lr) => (e === 5 ? lr * (1 / (1 / 3)) : lr),
    closed: (e, b) => (e < 5 ? b / 3 : b),
  },
  {
    label: "PolynomialLR totalIters 10, power 2",
    steps: 25,
    make: (o) => new PolynomialLR(o, { totalIters: 10, power: 2 }),
    first: (b) => b,
    chain: (e, lr) => (e > 10 ? lr : lr * ((1 - e / 10) / (1 - (e - 1) / 10)) ** 2),
    closed: (e, b) => b * (1 - Math.min(e, 10) / 10) ** 2,
  },
  {
    label: "PolynomialLR defaults (totalIters 5, power 1)",
    steps: 20,
    make: (o) => new PolynomialLR(o),
    first: (b) => b,
    chain: (e, lr) => (e > 5 ? lr : lr * ((1 - e / 5) / (1 - (e - 1) / 5))),
    closed: (e, b) => b * (1 - Math.min(e, 5) / 5),
  },
  {
    label: "PolynomialLR totalIters 16, power 0.9",
    steps: 22,
    make: (o) => new PolynomialLR(o, { totalIters: 16, power: 0.9 }),
    first: (b) => b,
    chain: (e, lr) => (e > 16 ? lr : lr * ((1 - e / 16) / (1 - (e - 1) / 16)) ** 0.9),
    closed: (e, b) => b * (1 - Math.min(e, 16) / 16) ** 0.9,
  },
  {
    label: "LambdaLR one lambda per group (e // 3, 0.95^e)",
    steps: 25,
    make: (o) => new LambdaLR(o, [(e) => Math.floor(e / 3), (e) => 0.95 ** e]),
    first: (b, g) => b * (g === 0 ? 0 : 1),
    chain: (e, _lr, b, g) => b * (g === 0 ? Math.floor(e / 3) : 0.95 ** e),
    closed: (e, b, g) => b * (g === 0 ? Math.floor(e / 3) : 0.95 ** e),
  },
  {
    label: "LambdaLR linear warm-up over 8 epochs, shared",
    steps: 20,
    make: (o) => new LambdaLR(o, (e) => Math.min(1, (e + 1) / 8)),
    first: (b) => b * (1 / 8),
    chain: (e, _lr, b) => b * Math.min(1, (e + 1) / 8),
    closed: (e, b) => b * Math.min(1, (e + 1) / 8),
  },
  {
    label: "MultiplicativeLR factor 1 − 0.02·e",
    steps: 25,
    make: (o) => new MultiplicativeLR(o, (e) => 1 - 0.02 * e),
    first: (b) => b,
    chain: (e, lr) => lr * (1 - 0.02 * e),
    closed: (e, b) => {
      let f = b;
      for (let k = 1; k <= e; k++) f *= 1 - 0.02 * k;
      return f;
    },
  },
  {
    label: "MultiplicativeLR per group (0.9, 1.05)",
    steps: 20,
    make: (o) => new MultiplicativeLR(o, [() => 0.9, () => 1.05]),
    first: (b) => b,
    chain: (_e, lr, _b, g) => lr * [0.9, 1.05][g],
    closed: (e, b, g) => b * [0.9, 1.05][g] ** e,
  },
  {
    label: "CosineAnnealingWarmRestarts t0 3, tMult 2, etaMin 0.001",
    steps: 30,
    make: (o) => new CosineAnnealingWarmRestarts(o, 3, { tMult: 2, etaMin: 0.001 }),
    first: (b) => b,
    chain: (e, _lr, b) => sgdr(e, b, 3, 2, 0.001),
    closed: (e, b) => sgdr(e, b, 3, 2, 0.001),
  },
  {
    label: "CosineAnnealingWarmRestarts t0 5 (tMult 1)",
    steps: 22,
    make: (o) => new CosineAnnealingWarmRestarts(o, 5),
    first: (b) => b,
    chain: (e, _lr, b) => sgdr(e, b, 5, 1, 0),
    closed: (e, b) => sgdr(e, b, 5, 1, 0),
  },
];

/** SGDR from the paper: walk the periods t0, t0·tMult, ... to find T_cur and T_i at `epoch`. */
function sgdr(epoch: number, base: number, t0: number, tMult: number, etaMin: number): number {
  let tCur = epoch;
  let tI = t0;
  while (tCur >= tI) {
    tCur -= tI;
    tI *= tMult;
  }
  return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
}

for (const row of rows) {
  const name = row.label.split(" ")[0];
  test(`${name}.step() follows PyTorch's chainable form bit for bit for ${row.steps} steps, and the closed form: ${row.label}`, () => {
    const opt = sgd();
    const scheduler = row.make(opt);
    const closedAt = (scheduler as unknown as { lrAt?: (e: number) => number[] }).lrAt
      ?.bind(scheduler);
    let chained = BASE.map((b, g) => row.first(b, g));
    for (let e = 0; e <= row.steps; e++) {
      if (e > 0) {
        scheduler.step();
        chained = chained.map((lr, g) => row.chain(e, lr, BASE[g], g));
      }
      assert.deepEqual(lrs(opt), chained, `epoch ${e}: step() vs the chainable form`);
      assert.deepEqual(scheduler.getLastLr(), lrs(opt));
      const closed = BASE.map((b, g) => row.closed(e, b, g));
      assertClose(lrs(opt), closed, { ...CLOSE, message: `epoch ${e}: step() vs the closed form` });
      if (closedAt !== undefined) {
        assertClose(closedAt(e), closed, { ...CLOSE, message: `lrAt(${e})` });
      }
    }
  });
}

test("CosineAnnealingWarmRestarts.step(epoch) with fractional epochs (4 per epoch, 28 steps) follows PyTorch's formula and the SGDR periods", () => {
  const opt = sgd();
  const scheduler = new CosineAnnealingWarmRestarts(opt, 2, { tMult: 3, etaMin: 0.0005 });
  for (let i = 0; i < 28; i++) {
    const epoch = i / 4;
    scheduler.step(epoch);
    // PyTorch's step(epoch): n = int(log(epoch/T_0·(T_mult − 1) + 1, T_mult)).
    let tCur = epoch;
    let tI = 2;
    if (epoch >= 2) {
      const n = Math.trunc(Math.log((epoch / 2) * 2 + 1) / Math.log(3));
      tCur = epoch - (2 * (3 ** n - 1)) / 2;
      tI = 2 * 3 ** n;
    }
    const expected = BASE.map((b) =>
      0.0005 + ((b - 0.0005) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2
    );
    assert.deepEqual(lrs(opt), expected, `step(${epoch})`);
    assertClose(lrs(opt), BASE.map((b) => sgdr(epoch, b, 2, 3, 0.0005)), {
      ...CLOSE,
      message: `SGDR at ${epoch}`,
    });
    assert.equal(scheduler.lastEpoch, Math.floor(epoch));
  }
});

test("CosineAnnealingWarmRestarts.step() after step(26) continues as step(27), as PyTorch documents", () => {
  const a = sgd();
  const interleaved = new CosineAnnealingWarmRestarts(a, 3, { tMult: 2 });
  for (let i = 0; i < 20; i++) interleaved.step();
  interleaved.step(26);
  interleaved.step();
  const b = sgd();
  const direct = new CosineAnnealingWarmRestarts(b, 3, { tMult: 2 });
  direct.step(27);
  assert.equal(interleaved.lastEpoch, 27);
  assertClose(lrs(a), lrs(b), CLOSE);
  assertClose(lrs(a), BASE.map((base) => sgdr(27, base, 3, 2, 0)), CLOSE);
});

/** CyclicLR as a triangle wave: position p in the cycle rises for `up` steps, falls for `down`. */
function triangle(s: number, up: number, down: number): { f: number; cycle: number } {
  const p = s % (up + down);
  return { f: p <= up ? p / up : (up + down - p) / down, cycle: Math.floor(s / (up + down)) + 1 };
}

interface CyclicRow {
  label: string;
  steps: number;
  make: (opt: SGD) => CyclicLR;
  baseLr: number[];
  maxLr: number[];
  up: number;
  down: number;
  scale: (cycle: number, s: number) => number;
  momentum?: [number, number];
}

const cyclicRows: CyclicRow[] = [
  {
    label: "triangular, up 4, down 6, per-group bounds, SGD momentum 0.8–0.9",
    steps: 30,
    make: (o) => new CyclicLR(o, [0.01, 0.02], [0.1, 0.05], { stepSizeUp: 4, stepSizeDown: 6 }),
    baseLr: [0.01, 0.02],
    maxLr: [0.1, 0.05],
    up: 4,
    down: 6,
    scale: () => 1,
    momentum: [0.8, 0.9],
  },
  {
    label: "triangular2, up 3 (down = up), no momentum cycling",
    steps: 30,
    make: (o) =>
      new CyclicLR(o, 0.001, 0.01, { stepSizeUp: 3, mode: "triangular2", cycleMomentum: false }),
    baseLr: [0.001, 0.001],
    maxLr: [0.01, 0.01],
    up: 3,
    down: 3,
    scale: (cycle) => 1 / 2 ** (cycle - 1),
  },
  {
    label: "exp_range gamma 0.97, up 5, down 2, momentum 0.85–0.95",
    steps: 25,
    make: (o) =>
      new CyclicLR(o, 0.01, 0.1, {
        stepSizeUp: 5,
        stepSizeDown: 2,
        mode: "exp_range",
        gamma: 0.97,
        baseMomentum: 0.85,
        maxMomentum: 0.95,
      }),
    baseLr: [0.01, 0.01],
    maxLr: [0.1, 0.1],
    up: 5,
    down: 2,
    scale: (_cycle, s) => 0.97 ** s,
    momentum: [0.85, 0.95],
  },
  {
    label: "scaleFn 1/cycle on iterations (scaleMode iterations), up 2, down 4",
    steps: 24,
    make: (o) =>
      new CyclicLR(o, 0.05, 0.2, {
        stepSizeUp: 2,
        stepSizeDown: 4,
        scaleFn: (x) => 1 / (1 + x / 10),
        scaleMode: "iterations",
        cycleMomentum: false,
      }),
    baseLr: [0.05, 0.05],
    maxLr: [0.2, 0.2],
    up: 2,
    down: 4,
    scale: (_cycle, s) => 1 / (1 + s / 10),
  },
];

for (const row of cyclicRows) {
  test(`CyclicLR.step() follows the cyclical policy for ${row.steps} steps: ${row.label}`, () => {
    const opt = sgd(0);
    const scheduler = row.make(opt);
    for (let s = 0; s <= row.steps; s++) {
      if (s > 0) scheduler.step();
      const { f, cycle } = triangle(s, row.up, row.down);
      const k = f * row.scale(cycle, s);
      const expected = row.baseLr.map((b, g) => b + (row.maxLr[g] - b) * k);
      assertClose(lrs(opt), expected, { ...CLOSE, message: `step ${s}` });
      const momentum = row.momentum === undefined
        ? 0
        : row.momentum[1] - (row.momentum[1] - row.momentum[0]) * k;
      for (const group of opt.paramGroups) {
        assertClose(group.momentum, momentum, { ...CLOSE, message: `momentum at step ${s}` });
      }
    }
  });
}

test("CyclicLR cycles Adam's betas[0] (0.8–0.9) and keeps betas[1], from the constructor on", () => {
  const opt = new Adam([new Parameter(Tensor.zeros([1]))], { lr: 0.5, betas: [0.9, 0.99] });
  const scheduler = new CyclicLR(opt, 0.001, 0.006, { stepSizeUp: 5 });
  assert.deepEqual([...opt.paramGroups[0].betas], [0.9, 0.99]);
  assert.equal(opt.paramGroups[0].lr, 0.001);
  for (let s = 1; s <= 20; s++) {
    scheduler.step();
    const { f } = triangle(s, 5, 5);
    assertClose(opt.paramGroups[0].lr, 0.001 + 0.005 * f, { ...CLOSE, message: `lr at ${s}` });
    assertClose(opt.paramGroups[0].betas[0], 0.9 - 0.1 * f, { ...CLOSE, message: `beta1 at ${s}` });
    assert.equal(opt.paramGroups[0].betas[1], 0.99);
  }
});

test("ChainedScheduler.step() compounds ConstantLR(0.1, 20) and ExponentialLR(0.9) for 30 steps", () => {
  const opt = sgd();
  const scheduler = new ChainedScheduler([
    new ConstantLR(opt, { factor: 0.1, totalIters: 20 }),
    new ExponentialLR(opt, 0.9),
  ]);
  for (let e = 0; e <= 30; e++) {
    if (e > 0) scheduler.step();
    const expected = BASE.map((b) => b * 0.9 ** e * (e < 20 ? 0.1 : 1));
    assertClose(lrs(opt), expected, { ...CLOSE, message: `epoch ${e}` });
    assert.deepEqual(scheduler.getLastLr(), lrs(opt));
  }
});

test("ChainedScheduler.step() compounds StepLR and MultiplicativeLR, and holds a SequentialLR (24 steps)", () => {
  const opt = sgd();
  const step = new StepLR(opt, 4, { gamma: 0.5 });
  const mult = new MultiplicativeLR(opt, () => 0.98);
  const scheduler = new ChainedScheduler([step, mult], { optimizer: opt });
  for (let e = 1; e <= 24; e++) {
    scheduler.step();
    assertClose(lrs(opt), BASE.map((b) => b * 0.5 ** Math.floor(e / 4) * 0.98 ** e), {
      ...CLOSE,
      message: `epoch ${e}`,
    });
  }
  const o2 = sgd();
  const seq = new SequentialLR(o2, [
    new ConstantLR(o2, { factor: 0.5, totalIters: 3 }),
    new ExponentialLR(o2, 0.8),
  ], [3]);
  const chain = new ChainedScheduler([seq]);
  for (let e = 1; e <= 6; e++) chain.step();
  assertClose(lrs(o2), BASE.map((b) => b * 0.8 ** 3), CLOSE);
});

test("LambdaLR and MultiplicativeLR state dicts save null for plain functions and the fields of objects (PyTorch's rule)", () => {
  class Warmup {
    steps = 4;
    calls = 0;
    factor(epoch: number): number {
      this.calls += 1;
      return Math.min(1, (epoch + 1) / this.steps);
    }
  }
  const opt = sgd();
  const scheduler = new LambdaLR(opt, [new Warmup(), (e) => 0.9 ** e]);
  scheduler.step();
  const state = JSON.parse(JSON.stringify(scheduler.stateDict()));
  assert.deepEqual(state.lr_lambdas, [{ steps: 4, calls: 2 }, null]);
  assert.equal(state.last_epoch, 1);
  const mult = new MultiplicativeLR(sgd(), (e) => 1 / (e + 1));
  assert.deepEqual(mult.stateDict().lr_lambdas, [null, null]);
});

test("CyclicLR state dict saves _scale_fn_custom: null for a mode or a plain function, the fields of a scale object", () => {
  assert.equal(new CyclicLR(sgd(), 0.1, 1, { stepSizeUp: 2 }).stateDict()._scale_fn_custom, null);
  assert.equal(
    new CyclicLR(sgd(), 0.1, 1, { scaleFn: () => 1 }).stateDict()._scale_fn_custom,
    null,
  );
  const scale = {
    decay: 0.5,
    scale(x: number) {
      return this.decay ** (x - 1);
    },
  };
  assert.deepEqual(new CyclicLR(sgd(), 0.1, 1, { scaleFn: scale }).stateDict()._scale_fn_custom, {
    decay: 0.5,
  });
});
