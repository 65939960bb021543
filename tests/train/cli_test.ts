import { test } from "node:test";
import assert from "node:assert/strict";
import { DATASETS, parseCli, usage, UsageError } from "../../train/cli.ts";

test("parseCli() with no flags gives the MNIST defaults", () => {
  const o = parseCli([]);
  assert.equal(o.dataset, "mnist");
  assert.equal(o.datasetGiven, false);
  assert.equal(o.seed, 0);
  assert.equal(o.model, undefined);
  assert.equal(o.workers, undefined);
  assert.equal(o.json, false);
});

test("parseCli() reads every flag of the issue", () => {
  const o = parseCli([
    "--dataset",
    "moons",
    "--model",
    "mlp",
    "--epochs",
    "3",
    "--batch-size",
    "32",
    "--lr",
    "0.01",
    "--optimizer",
    "adamw",
    "--momentum",
    "0.8",
    "--weight-decay",
    "1e-4",
    "--scheduler",
    "cosine",
    "--workers",
    "2",
    "--seed",
    "7",
    "--augment",
    "--mirror",
    "/data",
    "--out",
    "runs/x",
    "--json",
    "--limit-train",
    "100",
    "--limit-test",
    "50",
  ]);
  assert.deepEqual(
    [
      o.dataset,
      o.model,
      o.epochs,
      o.batchSize,
      o.lr,
      o.optimizer,
      o.momentum,
      o.weightDecay,
      o.scheduler,
    ],
    ["moons", "mlp", 3, 32, 0.01, "adamw", 0.8, 1e-4, "cosine"],
  );
  assert.deepEqual([
    o.workers,
    o.seed,
    o.augment,
    o.mirror,
    o.out,
    o.json,
    o.limitTrain,
    o.limitTest,
  ], [
    2,
    7,
    true,
    "/data",
    "runs/x",
    true,
    100,
    50,
  ]);
  assert.equal(parseCli(["--no-augment"]).augment, false);
  assert.equal(parseCli(["--epochs=4"]).epochs, 4);
});

/** Bad command lines and the one message each must give. */
const BAD: [string[], RegExp][] = [
  [["--epoch", "3"], /^unknown flag --epoch$/],
  [["--epochs", "0"], /^--epochs: expected a positive integer, got "0"$/],
  [["--epochs", "2.5"], /^--epochs: expected a positive integer, got "2.5"$/],
  [["--lr", "fast"], /^--lr: expected a number > 0, got "fast"$/],
  [["--lr=-1"], /^--lr: expected a number > 0, got "-1"$/],
  [["--lr", "-1"], /^--lr needs a value \(a value starting with "-" is written --lr=-…\)$/],
  [["--momentum", "1"], /^--momentum: expected a number in \[0, 1\), got "1"$/],
  [
    ["--dataset", "imagenet"],
    new RegExp(`^--dataset: expected one of ${DATASETS.join(", ")}, got "imagenet"$`),
  ],
  [
    ["--optimizer", "adadelta"],
    /^--optimizer: expected one of sgd, adam, adamw, rmsprop, adagrad, lion/,
  ],
  [
    ["--scheduler", "warmup"],
    /^--scheduler: expected one of none, step, cosine, onecycle, plateau/,
  ],
  [["--epochs"], /^--epochs needs a value/],
  [["--json=yes"], /^--json is a switch and takes no value$/],
  [["mnist"], /^unexpected argument mnist/],
  [["--resume", "a", "--eval", "b"], /--resume and --eval cannot be combined/],
  [["--json", "--quiet"], /--json and --quiet cannot be combined/],
  [["--resume", "runs/a", "--lr", "0.1"], /^--lr cannot be used with --resume/],
  [["--eval", "runs/a", "--epochs", "3"], /^--epochs cannot be used with --eval/],
];
for (const [args, message] of BAD) {
  test(`parseCli() rejects ${args.join(" ")} with one UsageError`, () => {
    assert.throws(() => parseCli(args), (error: Error) => {
      assert.ok(error instanceof UsageError, `${error}`);
      assert.match(error.message, message);
      return true;
    });
  });
}

test("parseCli() returns help for -h and --help even next to other flags", () => {
  assert.equal(parseCli(["-h"]).help, true);
  assert.equal(parseCli(["--epochs", "3", "--help"]).help, true);
});

test("usage() documents every flag", () => {
  const text = usage();
  for (
    const flag of [
      "--dataset",
      "--model",
      "--epochs",
      "--batch-size",
      "--lr",
      "--optimizer",
      "--momentum",
      "--weight-decay",
      "--scheduler",
      "--workers",
      "--seed",
      "--augment",
      "--mirror",
      "--out",
      "--resume",
      "--eval",
      "--json",
      "--quiet",
      "--limit-train",
      "--limit-test",
      "--help",
    ]
  ) assert.ok(text.includes(flag), `usage lacks ${flag}`);
});
