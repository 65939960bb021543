/** `--scheduler NAME[:key=value,...]`: parsing, errors (flag and state.json), and the schedules built from it. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCli, parseTrainState, UsageError } from "../../train/cli.ts";
import { createScheduler, type RunConfig } from "../../train/loop.ts";
import type { Trainer } from "../../train/trainer.ts";
import { parseSchedulerSpec } from "../../train/scheduler_spec.ts";

function config(scheduler: RunConfig["scheduler"], overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    dataset: "moons",
    model: "mlp",
    epochs: 6,
    batchSize: 16,
    optimizer: "sgd",
    lr: 0.2,
    momentum: 0.9,
    weightDecay: 0,
    scheduler,
    augment: false,
    seed: 1,
    limitTrain: null,
    limitTest: null,
    ...overrides,
  };
}

/** Just the param group a schedule writes (createScheduler reads nothing else of a trainer). */
const trainer = () =>
  ({ paramGroups: [{ lr: 0.2, momentum: 0.9, dampening: 0 }] }) as unknown as Trainer;

test("parseCli() accepts the new schedules, bare and with options", () => {
  for (
    const value of [
      "cosine-restarts",
      "cosine-restarts:t0=4,tMult=2,etaMin=0.001",
      "cyclic",
      "cyclic:mode=exp_range,gamma=0.99,stepSizeUp=10,stepSizeDown=30,baseLr=0.01,maxLr=0.3",
      "polynomial:power=2",
      "constant:factor=0.5,totalIters=2",
    ]
  ) {
    assert.equal(parseCli(["--scheduler", value]).scheduler, value);
  }
});

const cliErrors: [string, RegExp][] = [
  [
    "warmup",
    /^--scheduler: expected one of none, step, cosine, onecycle, plateau, cosine-restarts, cyclic, polynomial, constant \(options after a colon\), got "warmup"$/,
  ],
  [
    "cyclic:step_size_up=4",
    /^--scheduler: cyclic has no option "step_size_up" \(did you mean "stepSizeUp"\? options: baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma\)/,
  ],
  [
    "cosine-restarts:t0=0",
    /^--scheduler: cosine-restarts: t0 must be an integer ≥ 1, got "cosine-restarts:t0=0"$/,
  ],
  [
    "cyclic:mode=triangle",
    /^--scheduler: cyclic: mode must be one of triangular, triangular2, exp_range, got "cyclic:mode=triangle"$/,
  ],
  [
    "polynomial:power=x",
    /^--scheduler: polynomial: power must be a number, got "polynomial:power=x"$/,
  ],
  ["polynomial:power", /expected key=value options after "polynomial:", got "power"/],
  ["polynomial:power=1,power=2", /polynomial: option "power" given twice/],
  ["step:gamma=0.5", /^--scheduler: step takes no options/],
  [
    "cyclic:gamma=0.9",
    /^--scheduler: Cannot create CyclicLR: gamma applies to mode "exp_range" only/,
  ],
  [
    "constant:factor=2",
    /^--scheduler: Cannot create ConstantLR: factor must be in \(0, 1\], got 2/,
  ],
];
for (const [value, message] of cliErrors) {
  test(`parseCli() rejects --scheduler ${value}`, () => {
    assert.throws(() => parseCli(["--scheduler", value]), (error: unknown) => {
      assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
      assert.match(error.message, message);
      return true;
    });
  });
}

test("parseTrainState() checks state.json's scheduler with the flag's rule", () => {
  const state = {
    format: "shardgrad-train-state",
    version: 1,
    epoch: 0,
    step: 0,
    rng: [1, 2, 3, 4],
    scheduler: null,
    config: config("cyclic:stepsize=3" as never),
    history: [],
  };
  assert.throws(
    () => parseTrainState(state, "runs/x/state.json"),
    /^TypeError: Cannot resume from runs\/x\/state.json: config.scheduler: cyclic has no option "stepsize" \(did you mean "stepSizeUp"\?/,
  );
  assert.equal(
    parseTrainState({ ...state, config: config("polynomial:power=2") }, "f").config.scheduler,
    "polynomial:power=2",
  );
});

test("createScheduler() builds cosine-restarts per epoch with t0 ⌈epochs/3⌉ unless given (horizon only then)", () => {
  const t = trainer();
  const s = createScheduler(t, config("cosine-restarts"), 5);
  assert.deepEqual([s.timing, s.horizon], ["epoch", true]);
  const lrs = [t.paramGroups[0].lr];
  for (let e = 1; e <= 6; e++) {
    s.step();
    lrs.push(t.paramGroups[0].lr);
  }
  // t0 = 2: 0.2, 0.1, restart 0.2, 0.1, ...
  const expected = [0.2, 0.1, 0.2, 0.1, 0.2, 0.1, 0.2];
  lrs.forEach((lr, e) => assert.ok(Math.abs(lr - expected[e]) < 1e-15, `epoch ${e}: ${lr}`));
  assert.equal(createScheduler(trainer(), config("cosine-restarts:t0=3"), 5).horizon, false);
});

test("createScheduler() builds cyclic per batch from lr/4 to lr over two epochs of batches, cycling SGD momentum", () => {
  const t = trainer();
  const s = createScheduler(t, config("cyclic"), 5);
  assert.deepEqual([s.timing, s.horizon], ["batch", false]);
  const group = t.paramGroups[0] as { lr: number; momentum: number };
  assert.deepEqual([group.lr, group.momentum], [0.05, 0.9]);
  for (let i = 1; i <= 10; i++) s.step();
  assert.ok(
    Math.abs(group.lr - 0.2) < 1e-15 && Math.abs(group.momentum - 0.8) < 1e-15,
    `peak ${group.lr}`,
  );
  const adam = trainer();
  createScheduler(adam, config("cyclic", { optimizer: "adam" }), 5);
  assert.equal(
    (adam.paramGroups[0] as unknown as { momentum: number }).momentum,
    0.9,
    "momentum left alone",
  );
});

test("createScheduler() builds polynomial over the run's epochs and constant with PyTorch's defaults", () => {
  const t = trainer();
  const p = createScheduler(t, config("polynomial:power=2"), 5);
  assert.deepEqual([p.timing, p.horizon], ["epoch", true]);
  for (let e = 1; e <= 3; e++) p.step();
  assert.ok(Math.abs(t.paramGroups[0].lr - 0.2 * 0.25) < 1e-15, `${t.paramGroups[0].lr}`);
  const u = trainer();
  const c = createScheduler(u, config("constant"), 5);
  assert.deepEqual([c.timing, c.horizon], ["epoch", false]);
  assert.ok(Math.abs(u.paramGroups[0].lr - 0.2 / 3) < 1e-15);
});

test("parseSchedulerSpec() returns the name and typed options", () => {
  assert.deepEqual(parseSchedulerSpec("cyclic:mode=triangular2,stepSizeUp=8"), {
    name: "cyclic",
    options: { mode: "triangular2", stepSizeUp: 8 },
  });
  assert.deepEqual(parseSchedulerSpec("onecycle"), { name: "onecycle", options: {} });
});
