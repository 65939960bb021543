/**
 * The playground's checkpoints and in-page inference: `model.safetensors` + `model.json`
 * encoded as train.ts writes them (F32, `*.num_batches_tracked` as I64, metadata
 * `{ format: "pt" }`; the spec as indented JSON), decoded and checked against the spec's
 * model when the user loads them, and a copy of the model for the drawing pad and the
 * decision boundary (forward only: a few samples, cheap next to training, which stays in
 * the workers).
 */

import { decodeSafetensors, encodeSafetensors, type WritableDtype } from "../train/safetensors.ts";
import { buildModel, type ModelSpec, parseModelSpec } from "../layers/spec.ts";
import type { Sequential } from "../layers/sequential.ts";
import { Tensor } from "../tensor/tensor.ts";

/** The two files of a checkpoint, as bytes. */
export type CheckpointFiles = {
  "model.safetensors": Uint8Array;
  "model.json": Uint8Array;
};

/** Encodes weights and spec as train.ts's checkpoint writes them. */
export function encodeCheckpoint(state: Record<string, Tensor>, spec: ModelSpec): CheckpointFiles {
  const dtypes: Record<string, WritableDtype> = {};
  for (const key of Object.keys(state)) {
    // I64, so PyTorch's load_state_dict(strict=True) accepts BatchNorm's counter.
    if (key === "num_batches_tracked" || key.endsWith(".num_batches_tracked")) dtypes[key] = "I64";
  }
  return {
    "model.safetensors": encodeSafetensors(state, { dtypes, metadata: { format: "pt" } }),
    "model.json": new TextEncoder().encode(JSON.stringify(spec, null, 2) + "\n"),
  };
}

/**
 * Decodes picked files into a spec and weights that fit it: the spec is parsed (layers/spec.ts
 * errors name the field), and missing, unexpected or mis-shaped keys are one error naming the file.
 */
export function decodeCheckpoint(
  safetensors: { name: string; bytes: Uint8Array },
  json: { name: string; text: string },
): { spec: ModelSpec; state: Record<string, Tensor> } {
  let raw: unknown;
  try {
    raw = JSON.parse(json.text);
  } catch (error) {
    throw new Error(`Cannot load ${json.name}: not JSON (${(error as Error).message})`);
  }
  const spec = parseModelSpec(raw);
  const { tensors } = decodeSafetensors(safetensors.bytes, safetensors.name);
  // loadStateDict is strict: it names missing/unexpected keys and shape mismatches.
  try {
    buildModel(spec).loadStateDict(tensors);
  } catch (error) {
    throw new Error(
      `Cannot load ${safetensors.name} into ${json.name}'s model: ${(error as Error).message}`,
    );
  }
  return { spec, state: tensors };
}

/** A forward-only copy of the trained model in the page. */
export class Predictor {
  readonly #model: Sequential;
  readonly #sampleShape: number[];

  constructor(spec: ModelSpec, state: Record<string, Tensor>, sampleShape: number[]) {
    this.#model = buildModel(spec);
    this.#model.loadStateDict(state);
    this.#model.eval();
    this.#sampleShape = sampleShape;
  }

  /** Softmax probabilities `[N][K]` for `n` samples of already-normalized features `x`. */
  probabilities(x: Float32Array, n: number): Float32Array[] {
    const logits = this.#model.forward(new Tensor(x, [n, ...this.#sampleShape]));
    const k = logits.shape[1];
    const out: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const row = logits.data.subarray(i * k, (i + 1) * k);
      const max = Math.max(...row);
      const e = row.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      out.push(e.map((v) => v / sum));
    }
    return out;
  }
}
