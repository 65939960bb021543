/**
 * Run-time call checks of every public class of layers/ and losses/: scripts run by
 * `deno run` or `bun` are not type-checked, so an extra positional argument, an unknown
 * option key or an option of the wrong kind must throw one line naming the class, the
 * key and the nearest valid name (issue 11 item 3). The table is checked against the
 * barrels' exports, so a class added later without a row (and without checks) fails here.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as layers from "../../layers/mod.ts";
import * as losses from "../../losses/mod.ts";
import { buildModel, parseModelSpec } from "../../layers/spec.ts";
import { Rng } from "../../tensor/rng.ts";

/** How to call one class: valid positional arguments and every option name (null: none). */
interface Row {
  args: () => unknown[];
  options: string[] | null;
}

const ROWS: Record<string, Row> = {
  Linear: { args: () => [4, 2], options: ["bias", "rng"] },
  Conv2d: {
    args: () => [1, 4, 3],
    options: ["stride", "padding", "dilation", "groups", "bias", "rng"],
  },
  MaxPool2d: { args: () => [2], options: ["stride", "padding", "dilation", "ceilMode"] },
  AvgPool2d: {
    args: () => [2],
    options: ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"],
  },
  AdaptiveAvgPool2d: { args: () => [1], options: null },
  ReLU: { args: () => [], options: null },
  LeakyReLU: { args: () => [], options: ["negativeSlope"] },
  ELU: { args: () => [], options: ["alpha"] },
  GELU: { args: () => [], options: ["approximate"] },
  Sigmoid: { args: () => [], options: null },
  Tanh: { args: () => [], options: null },
  Softplus: { args: () => [], options: ["beta", "threshold"] },
  Softmax: { args: () => [], options: ["dim"] },
  LogSoftmax: { args: () => [], options: ["dim"] },
  BatchNorm1d: { args: () => [3], options: ["eps", "momentum", "affine", "trackRunningStats"] },
  BatchNorm2d: { args: () => [3], options: ["eps", "momentum", "affine", "trackRunningStats"] },
  LayerNorm: { args: () => [[3, 4]], options: ["eps", "elementwiseAffine", "bias"] },
  Dropout: { args: () => [], options: ["p", "rng"] },
  Flatten: { args: () => [], options: ["startDim", "endDim"] },
  Identity: { args: () => [], options: null },
  Sequential: { args: () => [new layers.ReLU()], options: null },
  Residual: { args: () => [new layers.ReLU()], options: null },
  Embedding: {
    args: () => [10, 3],
    options: ["paddingIdx", "maxNorm", "normType", "scaleGradByFreq", "rng"],
  },
  RNN: {
    args: () => [3, 4],
    options: ["numLayers", "bias", "batchFirst", "dropout", "bidirectional", "rng", "nonlinearity"],
  },
  LSTM: {
    args: () => [3, 4],
    options: ["numLayers", "bias", "batchFirst", "dropout", "bidirectional", "rng"],
  },
  GRU: {
    args: () => [3, 4],
    options: ["numLayers", "bias", "batchFirst", "dropout", "bidirectional", "rng"],
  },
  MultiheadAttention: {
    args: () => [8, 2],
    options: ["dropout", "bias", "batchFirst", "kdim", "vdim", "isCausal", "rng"],
  },
  TransformerEncoderLayer: {
    args: () => [8, 2],
    options: [
      "dimFeedforward",
      "dropout",
      "activation",
      "layerNormEps",
      "batchFirst",
      "normFirst",
      "bias",
      "isCausal",
      "rng",
    ],
  },
  PositionalEmbedding: { args: () => [10, 4, 6], options: ["batchFirst", "rng"] },
  MSELoss: { args: () => [], options: ["reduction"] },
  CrossEntropyLoss: {
    args: () => [],
    options: ["weight", "ignoreIndex", "reduction", "labelSmoothing"],
  },
  NLLLoss: { args: () => [], options: ["weight", "ignoreIndex", "reduction"] },
  BCEWithLogitsLoss: { args: () => [], options: ["weight", "reduction", "posWeight"] },
};

/** Options for which null is a documented value (PyTorch's None); for every other one it is an error. */
const NULLABLE = new Set([
  "MaxPool2d.stride",
  "AvgPool2d.stride",
  "AvgPool2d.divisorOverride",
  "BatchNorm1d.momentum",
  "BatchNorm2d.momentum",
  "Embedding.paddingIdx",
  "Embedding.maxNorm",
  "CrossEntropyLoss.weight",
  "NLLLoss.weight",
  "BCEWithLogitsLoss.weight",
  "BCEWithLogitsLoss.posWeight",
]);

/** Exported classes with no row, and why. */
const NOT_CONSTRUCTED: Record<string, string> = {
  Module: "the abstract base: custom layers subclass it and pass their own arguments to super()",
};

type Constructor = new (...args: unknown[]) => unknown;

function exportedClasses(barrel: Record<string, unknown>): [string, Constructor][] {
  return Object.entries(barrel).filter(([, v]) =>
    typeof v === "function" && /^class\b/.test(Function.prototype.toString.call(v))
  ) as [string, Constructor][];
}

const CLASSES = new Map([...exportedClasses(layers), ...exportedClasses(losses)]);

test("every class exported by layers/mod.ts and losses/mod.ts has a row in this table", () => {
  const exported = [...CLASSES.keys()].sort();
  const covered = [...Object.keys(ROWS), ...Object.keys(NOT_CONSTRUCTED)].sort();
  assert.deepEqual(exported, covered);
  assert.ok(exported.length >= 26, `only ${exported.length} classes found: ${exported}`);
});

/** A near miss of an option name: `ceilMode` → `ceil_mode`, `bias` → `Bias`. */
function nearMiss(name: string): string {
  const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return snake !== name ? snake : name[0].toUpperCase() + name.slice(1);
}

function throwsWith(
  make: () => unknown,
  kinds: (typeof TypeError | typeof RangeError)[],
  check: (message: string) => void,
): void {
  assert.throws(make, (error: unknown) => {
    assert.ok(
      kinds.some((Kind) => error instanceof Kind),
      `expected ${kinds.map((k) => k.name).join(" or ")}, got ${String(error)}`,
    );
    check((error as Error).message);
    return true;
  });
}

for (const [name, row] of Object.entries(ROWS)) {
  const C = () => {
    const Class = CLASSES.get(name);
    assert.ok(Class !== undefined, `${name} is not exported`);
    return Class;
  };
  const where = `Cannot create ${name}`;

  test(`${name}: the documented call succeeds (with and without an empty options object)`, () => {
    const Class = C();
    assert.ok(new Class(...row.args()) instanceof Class);
    if (row.options !== null) assert.ok(new Class(...row.args(), {}) instanceof Class);
  });

  if (row.options === null) {
    test(`${name}: an extra argument (an options object it does not take) is a TypeError`, () => {
      const Class = C();
      for (const extra of [{ bogus: 1 }, 7]) {
        throwsWith(() => new Class(...row.args(), extra), [TypeError], (message) => {
          assert.ok(message.startsWith(`${where}: `), message);
        });
      }
    });
    continue;
  }
  const options = row.options;

  test(`${name}: an unknown option key is a TypeError naming the class, the key and every option`, () => {
    const Class = C();
    throwsWith(() => new Class(...row.args(), { bogusKey: 1 }), [TypeError], (message) => {
      assert.ok(message.startsWith(`${where}: unknown option "bogusKey" (`), message);
      const listed = message.match(/known options: (.*)\)$/)?.[1].split(", ");
      assert.deepEqual(listed?.sort(), [...options].sort(), message);
    });
  });

  test(`${name}: an extra positional argument after the options is a TypeError`, () => {
    const Class = C();
    const count = row.args().length + 2;
    throwsWith(() => new Class(...row.args(), {}, 7), [TypeError], (message) => {
      const max = `${count - 1} argument${count - 1 === 1 ? "" : "s"}`;
      assert.equal(message, `${where}: expected at most ${max}, got ${count}`);
    });
  });

  test(`${name}: a bare value where the options object belongs is a TypeError listing the options`, () => {
    const Class = C();
    for (const value of [2, false, "x", null]) {
      throwsWith(() => new Class(...row.args(), value), [TypeError], (message) => {
        assert.ok(message.startsWith(`${where}: expected an options object ({ `), message);
        for (const option of options) assert.ok(message.includes(option), message);
      });
    }
  });

  for (const option of options) {
    const typo = nearMiss(option);
    test(`${name}: option "${typo}" is rejected with "did you mean ${option}"`, () => {
      const Class = C();
      throwsWith(() => new Class(...row.args(), { [typo]: 1 }), [TypeError], (message) => {
        assert.ok(message.startsWith(`${where}: unknown option "${typo}"`), message);
        assert.ok(message.includes(`did you mean "${option}"?`), message);
      });
    });

    test(`${name}: option ${option} of the wrong kind is an error naming it`, () => {
      const Class = C();
      const wrong = NULLABLE.has(`${name}.${option}`) ? ["x", {}] : ["x", {}, null];
      for (const value of wrong) {
        throwsWith(
          () => new Class(...row.args(), { [option]: value }),
          [TypeError, RangeError],
          (message) => {
            assert.ok(message.startsWith(where), message);
            assert.ok(message.includes(option), message);
          },
        );
      }
    });
  }
}

// The examples of issue 11: each ran silently with a default before.
const EXAMPLES: { call: string; make: () => unknown; includes: string[] }[] = [
  {
    call: "new Conv2d(1, 4, 3, 2)",
    make: () => new (layers.Conv2d as unknown as Constructor)(1, 4, 3, 2),
    includes: ["Cannot create Conv2d", "stride", "got 2"],
  },
  {
    call: "new MaxPool2d(3, 1)",
    make: () => new (layers.MaxPool2d as unknown as Constructor)(3, 1),
    includes: ["Cannot create MaxPool2d", "stride", "got 1"],
  },
  {
    call: "new LeakyReLU(0.2)",
    make: () => new (layers.LeakyReLU as unknown as Constructor)(0.2),
    includes: ["Cannot create LeakyReLU", "negativeSlope", "got 0.2"],
  },
  {
    call: "new Linear(4, 2, false)",
    make: () => new (layers.Linear as unknown as Constructor)(4, 2, false),
    includes: ["Cannot create Linear", "bias", "got false"],
  },
  {
    call: "new CrossEntropyLoss({ label_smoothing: 0.1 })",
    make: () => new (losses.CrossEntropyLoss as unknown as Constructor)({ label_smoothing: 0.1 }),
    includes: ['unknown option "label_smoothing"', 'did you mean "labelSmoothing"?'],
  },
  {
    call: "new Conv2d(1, 4, 3, { paddding: 1 })",
    make: () => new (layers.Conv2d as unknown as Constructor)(1, 4, 3, { paddding: 1 }),
    includes: ['Cannot create Conv2d: unknown option "paddding"', 'did you mean "padding"?'],
  },
  {
    call: "new MaxPool2d(2, { paddding: 1 })",
    make: () => new (layers.MaxPool2d as unknown as Constructor)(2, { paddding: 1 }),
    includes: ['Cannot create MaxPool2d: unknown option "paddding"', 'did you mean "padding"?'],
  },
  {
    call: 'new Linear(4, 2, { bias: "no" })',
    make: () => new (layers.Linear as unknown as Constructor)(4, 2, { bias: "no" }),
    includes: ['Cannot create Linear: expected bias to be true or false, got "no"'],
  },
  {
    call: "new Dropout({ p: 0.2, rng: 7 })",
    make: () => new (layers.Dropout as unknown as Constructor)({ p: 0.2, rng: 7 }),
    includes: ["Cannot create Dropout: expected rng to be an Rng", "got 7"],
  },
  {
    call: 'new BatchNorm1d(4, { momentum: "0.5" })',
    make: () => new (layers.BatchNorm1d as unknown as Constructor)(4, { momentum: "0.5" }),
    includes: ['Cannot create BatchNorm1d: expected momentum to be in [0, 1] or null, got "0.5"'],
  },
  {
    call: "new Sequential([new ReLU()])",
    make: () => new (layers.Sequential as unknown as Constructor)([new layers.ReLU()]),
    includes: ["Cannot create Sequential: module 0 is not a Module, got [ReLU]", "...modules"],
  },
  {
    call: "new CrossEntropyLoss({ weight: [1, NaN] })",
    make: () => new (losses.CrossEntropyLoss as unknown as Constructor)({ weight: [1, NaN] }),
    includes: ["Cannot create CrossEntropyLoss: expected finite weight values, got NaN at index 1"],
  },
];

for (const { call, make, includes } of EXAMPLES) {
  test(`${call} throws one line naming the class and the valid name`, () => {
    throwsWith(make, [TypeError, RangeError], (message) => {
      assert.ok(!message.includes("\n"), message);
      for (const part of includes) assert.ok(message.includes(part), `${part} not in: ${message}`);
    });
  });
}

test("the options that stay valid are still accepted: null where documented, an Rng", () => {
  const Class = (name: string) => CLASSES.get(name)!;
  for (const key of NULLABLE) {
    const [name, option] = key.split(".");
    assert.ok(new (Class(name))(...ROWS[name].args(), { [option]: null }), key);
  }
  assert.deepEqual(new layers.MaxPool2d(3, { stride: null }).stride, [3, 3]);
  assert.equal(new layers.BatchNorm2d(2, { momentum: null }).momentum, null);
  assert.equal(new layers.AvgPool2d(2, { divisorOverride: null }).divisorOverride, null);
  assert.equal(new layers.Linear(2, 2, { bias: false, rng: new Rng(1) }).bias, null);
  assert.equal(new layers.Conv2d(1, 1, 3, { padding: "same" }).padding[0], 1);
});

test("Module.loadStateDict() rejects an unknown option, an extra argument and a non-boolean strict", () => {
  const model = new layers.Linear(2, 2);
  const state = model.stateDict();
  const load = model.loadStateDict.bind(model) as (...args: unknown[]) => void;
  assert.throws(() => load(state, { strcit: false }), {
    name: "TypeError",
    message:
      'Cannot load state dict into Linear: unknown option "strcit" (did you mean "strict"? known options: strict)',
  });
  assert.throws(() => load(state, {}, 1), {
    name: "TypeError",
    message: "Cannot load state dict into Linear: expected at most 2 arguments, got 3",
  });
  assert.throws(() => load(state, { strict: "no" }), {
    name: "TypeError",
    message: 'Cannot load state dict into Linear: expected strict to be true or false, got "no"',
  });
  assert.throws(() => load(null), {
    name: "TypeError",
    message: /Cannot load state dict into Linear: expected a state dict .*got null/,
  });
  load(state, { strict: true });
});

test("Module.train() and Sequential.append() reject arguments of the wrong kind or number", () => {
  const model = new layers.Sequential(new layers.ReLU());
  assert.throws(() => (model.train as (m: unknown) => unknown)("eval"), {
    name: "TypeError",
    message: 'Cannot set Sequential.train(mode): expected mode to be true or false, got "eval"',
  });
  assert.equal(model.training, true);
  const append = model.append.bind(model) as (...args: unknown[]) => unknown;
  assert.throws(() => append(new layers.ReLU(), new layers.Tanh()), {
    name: "TypeError",
    message: "Cannot append to Sequential: expected at most 1 argument, got 2",
  });
  assert.equal(model.length, 1);
});

test("buildModel() and parseModelSpec() take one argument: buildModel(spec, { rng }) is an error", () => {
  const spec = { layers: [{ type: "relu" }] };
  const build = buildModel as (...args: unknown[]) => unknown;
  const parse = parseModelSpec as (...args: unknown[]) => unknown;
  assert.throws(() => build(spec, { rng: new Rng(0) }), {
    name: "TypeError",
    message: "Cannot build model: expected at most 1 argument, got 2",
  });
  assert.throws(() => parse(spec, {}), {
    name: "TypeError",
    message: "Cannot parse model spec: expected at most 1 argument, got 2",
  });
});
