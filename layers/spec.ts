/**
 * Model spec: a JSON description of a Sequential model, validated with zod.
 *
 * `{"layers":[{"type":"conv2d","inChannels":1,"outChannels":8,"kernelSize":5},{"type":"relu"}]}`
 * Each entry's `type` picks a row of one table (`BUILDERS`); the other fields are that
 * layer's constructor options with the same camelCase names. `residual` and `sequential`
 * nest a `layers` array. Unknown types and unknown options are errors, so a typo never
 * silently builds a different model.
 *
 * Sequence models fit the same chain: `embedding` reads a Tensor of integer-valued token ids
 * and `rnn`/`lstm`/`gru` output their whole output sequence (final states in `lastState`), so
 * `[{"type":"embedding",...},{"type":"lstm","batchFirst":true,...},{"type":"linear",...}]` is a
 * character-level model; a last `{"type":"flatten","startDim":0,"endDim":1}` turns its
 * [N, L, V] logits into the [N·L, V] rows a CrossEntropyLoss takes with N·L class targets.
 *
 * A GPT (nanoGPT's model) is the same chain: `positionalembedding` (token + learned position
 * rows, keys wte/wpe), `transformerencoderlayer`s with `normFirst`, `activation: "gelu"` and
 * `isCausal`, a final `layernorm`, a `linear` head and the flatten. Every sequence layer
 * defaults to PyTorch's `batchFirst: false`; give `batchFirst: true` to ALL of them for
 * [N, L] token windows (one left out would attend across the batch instead of the sequence).
 */

import { z } from "zod";
import type { Module } from "./module.ts";
import { Linear } from "./linear.ts";
import { Conv2d } from "./conv.ts";
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from "./pooling.ts";
import { Flatten } from "./flatten.ts";
import { BatchNorm1d, BatchNorm2d, LayerNorm } from "./normalization.ts";
import { Dropout } from "./dropout.ts";
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
} from "./activation.ts";
import { Identity } from "./identity.ts";
import { Residual } from "./residual.ts";
import { Sequential } from "./sequential.ts";
import { Embedding } from "./embedding.ts";
import { GRU, LSTM, RNN } from "./rnn.ts";
import { MultiheadAttention } from "./attention.ts";
import { TransformerEncoderLayer } from "./transformer.ts";
import { PositionalEmbedding } from "./positional_embedding.ts";
import { checkArgumentCount, nearestName } from "../tensor/options.ts";

// ---- field schemas, each with the message that ends up after the path -------------------

function message(expected: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined
      ? `required, ${expected}`
      : `${expected}, got ${JSON.stringify(issue.input)}`;
}
const posInt = z.number({ error: message("expected positive integer") })
  .int({ error: message("expected positive integer") })
  .positive({ error: message("expected positive integer") });
const nonNegInt = z.number({ error: message("expected non-negative integer") })
  .int({ error: message("expected non-negative integer") })
  .nonnegative({ error: message("expected non-negative integer") });
const int = z.number({ error: message("expected integer") }).int({
  error: message("expected integer"),
});
const posPair = z.union([posInt, z.tuple([posInt, posInt])], {
  error: message("expected positive integer or [h, w]"),
});
const nonNegPair = z.union([nonNegInt, z.tuple([nonNegInt, nonNegInt])], {
  error: message("expected non-negative integer or [h, w]"),
});
const bool = z.boolean({ error: message("expected boolean") });
const finite = z.number({ error: message("expected finite number") })
  .refine(Number.isFinite, { error: message("expected finite number") });
const nonNeg = finite.refine((v) => v >= 0, { error: message("expected number ≥ 0") });
const positive = finite.refine((v) => v > 0, { error: message("expected number > 0") });
const probability = finite.refine((v) => v >= 0 && v <= 1, {
  error: message("expected number in [0, 1]"),
});
const dropProbability = finite.refine((v) => v >= 0 && v < 1, {
  error: message("expected number in [0, 1)"),
});

/** Each layer type's option names, for the "did you mean" of an unknown key. */
const OPTION_NAMES = new Map<string, string[]>();

/** One layer entry: `{ type: <literal>, ...options }`, no other keys allowed. */
function layer<T extends string, S extends z.ZodRawShape>(type: T, options: S) {
  OPTION_NAMES.set(type, Object.keys(options));
  return z.strictObject({ type: z.literal(type), ...options });
}

// The recursion of residual and sequential goes through this one lazy array, so the
// entries below are built (and OPTION_NAMES filled) when the module loads.
const nestedLayers = z.array(z.lazy(() => LayerSpecSchema), {
  error: message("expected array of layers"),
});

const batchNormOptions = {
  numFeatures: posInt,
  eps: positive.optional(),
  momentum: probability.nullable().optional(),
  affine: bool.optional(),
  trackRunningStats: bool.optional(),
};
const poolOptions = {
  kernelSize: posPair,
  stride: posPair.optional(),
  padding: nonNegPair.optional(),
  ceilMode: bool.optional(),
};

const recurrentOptions = {
  inputSize: posInt,
  hiddenSize: posInt,
  numLayers: posInt.optional(),
  bias: bool.optional(),
  batchFirst: bool.optional(),
  dropout: dropProbability.optional(),
  bidirectional: bool.optional(),
};

/** The schema of one layer entry (recursive through `residual` and `sequential`). */
export const LayerSpecSchema: z.ZodType<LayerSpec> = z.discriminatedUnion("type", [
  layer("linear", { inFeatures: posInt, outFeatures: posInt, bias: bool.optional() }),
  layer("conv2d", {
    inChannels: posInt,
    outChannels: posInt,
    kernelSize: posPair,
    stride: posPair.optional(),
    padding: z.union([nonNegInt, z.tuple([nonNegInt, nonNegInt]), z.enum(["same", "valid"])], {
      error: message('expected non-negative integer, [h, w], "same" or "valid"'),
    }).optional(),
    dilation: posPair.optional(),
    groups: posInt.optional(),
    bias: bool.optional(),
  }),
  layer("maxpool2d", { ...poolOptions, dilation: posPair.optional() }),
  layer("avgpool2d", {
    ...poolOptions,
    countIncludePad: bool.optional(),
    divisorOverride: posInt.nullable().optional(),
  }),
  layer("adaptiveavgpool2d", { outputSize: posPair }),
  layer("flatten", { startDim: int.optional(), endDim: int.optional() }),
  layer("batchnorm1d", batchNormOptions),
  layer("batchnorm2d", batchNormOptions),
  layer("layernorm", {
    normalizedShape: z.union([posInt, z.array(posInt).min(1)], {
      error: message("expected positive integer or non-empty array of them"),
    }),
    eps: positive.optional(),
    elementwiseAffine: bool.optional(),
    bias: bool.optional(),
  }),
  layer("dropout", { p: dropProbability.optional() }),
  layer("relu", {}),
  layer("leakyrelu", { negativeSlope: finite.optional() }),
  layer("elu", { alpha: finite.optional() }),
  layer("gelu", {
    approximate: z.enum(["none", "tanh"], { error: message('expected "none" or "tanh"') })
      .optional(),
  }),
  layer("sigmoid", {}),
  layer("tanh", {}),
  layer("softplus", { beta: positive.optional(), threshold: nonNeg.optional() }),
  layer("softmax", { dim: int.optional() }),
  layer("logsoftmax", { dim: int.optional() }),
  layer("identity", {}),
  layer("embedding", {
    numEmbeddings: posInt,
    embeddingDim: posInt,
    paddingIdx: int.nullable().optional(),
    maxNorm: positive.nullable().optional(),
    normType: positive.optional(),
    scaleGradByFreq: bool.optional(),
  }),
  layer("rnn", {
    ...recurrentOptions,
    nonlinearity: z.enum(["tanh", "relu"], { error: message('expected "tanh" or "relu"') })
      .optional(),
  }),
  layer("lstm", recurrentOptions),
  layer("gru", recurrentOptions),
  layer("positionalembedding", {
    numEmbeddings: posInt,
    embeddingDim: posInt,
    maxLength: posInt,
    batchFirst: bool.optional(),
  }),
  layer("multiheadattention", {
    embedDim: posInt,
    numHeads: posInt,
    dropout: dropProbability.optional(),
    bias: bool.optional(),
    batchFirst: bool.optional(),
    kdim: posInt.optional(),
    vdim: posInt.optional(),
    isCausal: bool.optional(),
  }),
  layer("transformerencoderlayer", {
    dModel: posInt,
    nhead: posInt,
    dimFeedforward: posInt.optional(),
    dropout: dropProbability.optional(),
    activation: z.enum(["relu", "gelu"], { error: message('expected "relu" or "gelu"') })
      .optional(),
    layerNormEps: positive.optional(),
    batchFirst: bool.optional(),
    normFirst: bool.optional(),
    bias: bool.optional(),
    isCausal: bool.optional(),
  }),
  layer("residual", { layers: nestedLayers }),
  layer("sequential", { layers: nestedLayers }),
]) as unknown as z.ZodType<LayerSpec>;

/** The schema of a whole model spec: `{ layers: [...] }`. */
export const ModelSpecSchema = z.strictObject({
  layers: z.array(LayerSpecSchema, { error: message("expected array of layers") }),
});

/** One layer entry of a model spec: `type` plus that layer's constructor options (camelCase). */
export type LayerSpec = { type: LayerType; layers?: LayerSpec[] } & Record<string, unknown>;

/** A whole model spec: the layers of one Sequential, in order. */
export interface ModelSpec {
  layers: LayerSpec[];
}

// ---- the one table: type → builder ------------------------------------------------------

// deno-lint-ignore no-explicit-any
type Options = any;
/** Builds one layer from its options; `at` is its path (`layers[2]`), for nested layers' errors. */
type Builder = (o: Options, at: string) => Module;

const nested = (layers: LayerSpec[], at: string) =>
  layers.map((entry, i) => buildLayer(entry, `${at}[${i}]`));

/** How each `type` becomes a layer: positional arguments as PyTorch, the rest as the options object. */
const BUILDERS = {
  linear: ({ inFeatures, outFeatures, ...o }) => new Linear(inFeatures, outFeatures, o),
  conv2d: ({ inChannels, outChannels, kernelSize, ...o }) =>
    new Conv2d(inChannels, outChannels, kernelSize, o),
  maxpool2d: ({ kernelSize, ...o }) => new MaxPool2d(kernelSize, o),
  avgpool2d: ({ kernelSize, ...o }) => new AvgPool2d(kernelSize, o),
  adaptiveavgpool2d: ({ outputSize }) => new AdaptiveAvgPool2d(outputSize),
  flatten: (o) => new Flatten(o),
  batchnorm1d: ({ numFeatures, ...o }) => new BatchNorm1d(numFeatures, o),
  batchnorm2d: ({ numFeatures, ...o }) => new BatchNorm2d(numFeatures, o),
  layernorm: ({ normalizedShape, ...o }) => new LayerNorm(normalizedShape, o),
  dropout: (o) => new Dropout(o),
  relu: () => new ReLU(),
  leakyrelu: (o) => new LeakyReLU(o),
  elu: (o) => new ELU(o),
  gelu: (o) => new GELU(o),
  sigmoid: () => new Sigmoid(),
  tanh: () => new Tanh(),
  softplus: (o) => new Softplus(o),
  softmax: (o) => new Softmax(o),
  logsoftmax: (o) => new LogSoftmax(o),
  identity: () => new Identity(),
  embedding: ({ numEmbeddings, embeddingDim, ...o }) =>
    new Embedding(numEmbeddings, embeddingDim, o),
  rnn: ({ inputSize, hiddenSize, ...o }) => new RNN(inputSize, hiddenSize, o),
  lstm: ({ inputSize, hiddenSize, ...o }) => new LSTM(inputSize, hiddenSize, o),
  gru: ({ inputSize, hiddenSize, ...o }) => new GRU(inputSize, hiddenSize, o),
  positionalembedding: ({ numEmbeddings, embeddingDim, maxLength, ...o }) =>
    new PositionalEmbedding(numEmbeddings, embeddingDim, maxLength, o),
  multiheadattention: ({ embedDim, numHeads, ...o }) => new MultiheadAttention(embedDim, numHeads, o),
  transformerencoderlayer: ({ dModel, nhead, ...o }) => new TransformerEncoderLayer(dModel, nhead, o),
  residual: ({ layers }, at) => new Residual(new Sequential(...nested(layers, `${at}.layers`))),
  sequential: ({ layers }, at) => new Sequential(...nested(layers, `${at}.layers`)),
} satisfies Record<string, Builder>;

/** Every layer `type` a spec may use. */
export type LayerType = keyof typeof BUILDERS;

/** The layer types, in table order. */
export const LAYER_TYPES = Object.keys(BUILDERS) as LayerType[];

// ---- public API -------------------------------------------------------------------------

/**
 * Validates `json` (an object or a JSON string) as a model spec. On failure throws ONE
 * TypeError naming the path of the first problem:
 * `Invalid model spec: layers[3].kernelSize: expected positive integer, got 0`.
 */
export function parseModelSpec(json: unknown): ModelSpec {
  checkArgumentCount("Cannot parse model spec", arguments.length, 1);
  let input = json;
  if (typeof json === "string") {
    try {
      input = JSON.parse(json);
    } catch (cause) {
      throw new SyntaxError(`Invalid model spec: not valid JSON (${(cause as Error).message})`, {
        cause,
      });
    }
  }
  const result = ModelSpecSchema.safeParse(input);
  if (!result.success) {
    // An unknown key first: `kernel_size` explains the "kernelSize: required" that comes with it.
    const issues = [...result.error.issues].sort((a, b) =>
      Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys")
    );
    const extra = issues.length > 1
      ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})`
      : "";
    throw new TypeError(`Invalid model spec: ${formatIssue(issues[0], input)}${extra}`, {
      cause: result.error,
    });
  }
  const spec = result.data as ModelSpec;
  checkSequenceLayout(spec.layers, "layers");
  return spec;
}

/** The layer types that read or write sequences with a `batchFirst` layout. */
const SEQUENCE_TYPES = new Set<string>([
  "rnn",
  "lstm",
  "gru",
  "positionalembedding",
  "multiheadattention",
  "transformerencoderlayer",
]);

// Nothing in a spec transposes [N, L, ·] ↔ [L, N, ·], so sequence layers that disagree on
// batchFirst would silently mix up batch and time (attention across the batch): an error.
function checkSequenceLayout(layers: LayerSpec[], at: string): void {
  let first: { path: string; batchFirst: boolean; given: boolean } | null = null;
  const visit = (entries: LayerSpec[], path: string) => {
    entries.forEach((entry, i) => {
      const here = `${path}[${i}]`;
      if (entry.layers !== undefined) visit(entry.layers, `${here}.layers`);
      if (!SEQUENCE_TYPES.has(entry.type)) return;
      const batchFirst = entry.batchFirst === true;
      const given = "batchFirst" in entry;
      if (first === null) first = { path: here, batchFirst, given };
      else if (first.batchFirst !== batchFirst) {
        const say = (p: string, b: boolean, given: boolean) =>
          `${p}.batchFirst is ${b}${given ? "" : " (the default)"}`;
        throw new TypeError(
          `${PREFIX}${say(here, batchFirst, given)} but ${
            say(first.path, first.batchFirst, first.given)
          }: the sequence layers of one model must share one layout (nothing in a spec transposes between them)`,
        );
      }
    });
  };
  visit(layers, at);
}

/**
 * Builds the Sequential a spec describes (validating it first). Parameters are
 * initialized from the module-level generator: call `manualSeed(seed)` first for a
 * reproducible model.
 *
 * @example
 * ```ts
 * import { buildModel } from "./spec.ts";
 * const model = buildModel({ layers: [{ type: "linear", inFeatures: 4, outFeatures: 2 }, { type: "relu" }] });
 * console.log(model.parameters().length); // 2
 * ```
 */
export function buildModel(spec: ModelSpec | unknown): Sequential {
  // buildModel(spec, { rng }) would otherwise drop the rng silently: seed with manualSeed.
  checkArgumentCount("Cannot build model", arguments.length, 1);
  const { layers } = parseModelSpec(spec);
  return new Sequential(...nested(layers, "layers"));
}

/**
 * Builds one entry. What the schema cannot see (a `groups` that does not divide the
 * channels, pooling padding over half the kernel) the layer's constructor rejects: its
 * error is rethrown, same class, with the entry's path in front.
 */
function buildLayer(entry: LayerSpec, at: string): Module {
  const { type, ...options } = entry;
  try {
    return (BUILDERS[type] as Builder)(options, at);
  } catch (error) {
    if (!(error instanceof Error) || error.message.startsWith(PREFIX)) throw error;
    const Kind = error instanceof RangeError ? RangeError : TypeError;
    throw new Kind(`${PREFIX}${at}: ${error.message}`, { cause: error });
  }
}

const PREFIX = "Invalid model spec: ";

/** `layers[3].kernelSize` from `["layers", 3, "kernelSize"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const at = formatPath(issue.path);
  if (issue.code === "invalid_union" && "discriminator" in issue) {
    const got = valueAt(input, issue.path);
    const near = typeof got === "string" ? nearestName(got, LAYER_TYPES) : null;
    const what = got === undefined
      ? "missing layer type"
      : `unknown layer type ${JSON.stringify(got)}${
        near === null ? "" : ` (did you mean "${near}"?)`
      }`;
    return `${at}: ${what}; expected one of ${LAYER_TYPES.join(", ")}`;
  }
  if (issue.code === "unrecognized_keys") {
    const owner = valueAt(input, issue.path) as { type?: unknown } | undefined;
    const type = owner && typeof owner === "object" && "type" in owner ? owner.type : undefined;
    // The top level has only "layers"; an entry has its type's options (and "type").
    const known = issue.path.length === 0 ? ["layers"] : OPTION_NAMES.get(String(type)) ?? [];
    const key = issue.keys[0];
    const near = nearestName(key, issue.path.length === 0 ? known : ["type", ...known]);
    const hint = near === null ? "" : `did you mean "${near}"? `;
    const list = known.length === 0 ? "it takes none" : `known options: ${known.join(", ")}`;
    const owned = type === undefined ? "" : ` for ${JSON.stringify(type)}`;
    return `${formatPath([...issue.path, key])}: unknown option${owned} (${hint}${list})`;
  }
  return `${at}: ${issue.message}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
