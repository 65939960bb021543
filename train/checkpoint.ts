/**
 * Checkpoints: a folder with `model.safetensors` (PyTorch state-dict keys), `model.json`
 * (the model spec), `optimizer.safetensors` and `state.json` (epoch, RNG, scheduler,
 * config, history), each file written atomically.
 */

import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Tensor } from "../tensor/tensor.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { decodeSafetensors, encodeSafetensorsChunks, type WritableDtype } from "./safetensors.ts";

/** File names inside a checkpoint folder. */
export const CHECKPOINT_FILES = {
  model: "model.safetensors",
  spec: "model.json",
  optimizer: "optimizer.safetensors",
  state: "state.json",
} as const;

/** Everything a checkpoint holds. `state` must be JSON-serializable. */
export interface Checkpoint {
  /** Weights and buffers by PyTorch key. */
  model: Record<string, Tensor>;
  /** The model spec (layers/spec.ts JSON) or `{ moduleUrl }`. */
  spec: unknown;
  /** `Optimizer.stateDict()`: any nesting of plain values and Tensors. */
  optimizer: unknown;
  /** Loop state: epoch, RNG and scheduler state, config, history. */
  state: Record<string, unknown>;
}

/**
 * Writes `data` to `path` atomically: into a temp file beside it, flushed to disk, then
 * renamed over `path`. If anything fails (or the process dies) before the rename, the
 * previous file is untouched; a failed write removes its temp file.
 * `data` may be bytes, a string (UTF-8) or chunks, so large files need no single buffer.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const handle = await open(temp, "w");
  try {
    const chunks = typeof data === "string"
      ? [new TextEncoder().encode(data)]
      : data instanceof Uint8Array
      ? [data]
      : data;
    for await (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}

/** Keys written as I64 so PyTorch's `load_state_dict(strict=True)` accepts them (BatchNorm's counter). */
function integerKeys(state: Record<string, Tensor>): Record<string, WritableDtype> {
  const dtypes: Record<string, WritableDtype> = {};
  for (const key of Object.keys(state)) {
    if (key === "num_batches_tracked" || key.endsWith(".num_batches_tracked")) dtypes[key] = "I64";
  }
  return dtypes;
}

/**
 * Saves a state dict as safetensors (atomically): float32 tensors as F32,
 * `*.num_batches_tracked` as I64, metadata `{ format: "pt", ...metadata }` as PyTorch writes.
 */
export async function saveStateDict(
  path: string,
  state: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(
    path,
    encodeSafetensorsChunks(state, {
      dtypes: integerKeys(state),
      metadata: { format: "pt", ...metadata },
    }),
  );
}

/**
 * Loads a safetensors state dict. With `expected` (e.g. the model's own `stateDict()`),
 * missing keys, unexpected keys and shape mismatches are reported together in one
 * TypeError naming the file, the keys and both shapes.
 */
export async function loadStateDict(
  path: string,
  expected?: Record<string, Tensor>,
): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const { tensors, metadata } = decodeSafetensors(await readBytes(path), path);
  if (expected !== undefined) checkStateDict(tensors, expected, path);
  return { tensors, metadata };
}

/** Throws one TypeError listing every missing/unexpected key and shape mismatch of `loaded` against `expected`. */
export function checkStateDict(
  loaded: Record<string, Tensor>,
  expected: Record<string, Tensor>,
  source: string,
): void {
  const problems: string[] = [];
  const missing = Object.keys(expected).filter((k) => !(k in loaded));
  const unexpected = Object.keys(loaded).filter((k) => !(k in expected));
  if (missing.length > 0) {
    problems.push(`missing key(s) ${missing.map((k) => `"${k}"`).join(", ")}`);
  }
  if (unexpected.length > 0) {
    problems.push(`unexpected key(s) ${unexpected.map((k) => `"${k}"`).join(", ")}`);
  }
  for (const [key, tensor] of Object.entries(expected)) {
    const other = loaded[key];
    if (other !== undefined && !sameShape(other.shape, tensor.shape)) {
      problems.push(
        `"${key}" has shape ${formatShape(other.shape)} in the file but ${
          formatShape(tensor.shape)
        } in the model`,
      );
    }
  }
  if (problems.length > 0) {
    throw new TypeError(
      `Cannot load checkpoint ${source}: it does not match the model: ${problems.join("; ")}`,
    );
  }
}

/**
 * Writes a checkpoint folder. Each file is atomic; `state.json` goes last and carries an
 * id that the two safetensors files repeat in their metadata, so `loadCheckpoint`
 * detects a folder whose save was interrupted between files.
 */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  const id = crypto.randomUUID();
  const { tensors, skeleton } = flattenTensors(checkpoint.optimizer);
  const optimizerChunks = encodeSafetensorsChunks(tensors, {
    metadata: { "shardgrad.checkpoint": id, "shardgrad.optimizer": JSON.stringify(skeleton) },
  });
  const stateJson = JSON.stringify({ ...checkpoint.state, checkpointId: id }, null, 2) + "\n";
  await saveStateDict(join(dir, CHECKPOINT_FILES.model), checkpoint.model, {
    "shardgrad.checkpoint": id,
  });
  await writeFileAtomic(
    join(dir, CHECKPOINT_FILES.spec),
    JSON.stringify(checkpoint.spec, null, 2) + "\n",
  );
  await writeFileAtomic(join(dir, CHECKPOINT_FILES.optimizer), optimizerChunks);
  await writeFileAtomic(join(dir, CHECKPOINT_FILES.state), stateJson);
}

/**
 * Reads a checkpoint folder (or any file inside one). `expectedModel` checks keys and
 * shapes (see `checkStateDict`). Every problem is one error naming the file.
 */
export async function loadCheckpoint(
  path: string,
  expectedModel?: Record<string, Tensor>,
): Promise<Checkpoint> {
  const dir = await checkpointDir(path);
  const statePath = join(dir, CHECKPOINT_FILES.state);
  const state = await readJson(statePath) as Record<string, unknown>;
  const spec = await readJson(join(dir, CHECKPOINT_FILES.spec));
  const modelPath = join(dir, CHECKPOINT_FILES.model);
  const model = await loadStateDict(modelPath, expectedModel);
  const optimizerPath = join(dir, CHECKPOINT_FILES.optimizer);
  const optimizer = decodeSafetensors(await readBytes(optimizerPath), optimizerPath);
  const id = state.checkpointId;
  for (
    const [file, metadata] of [[modelPath, model.metadata], [
      optimizerPath,
      optimizer.metadata,
    ]] as const
  ) {
    if (metadata["shardgrad.checkpoint"] !== id) {
      throw new TypeError(
        `Cannot load checkpoint ${dir}: ${file} and ${statePath} come from different saves (an interrupted save?); ` +
          `use a complete checkpoint folder`,
      );
    }
  }
  let skeleton: unknown;
  try {
    skeleton = JSON.parse(optimizer.metadata["shardgrad.optimizer"] ?? "");
  } catch (error) {
    throw new SyntaxError(
      `Cannot load checkpoint ${optimizerPath}: metadata "shardgrad.optimizer" is not JSON`,
      { cause: error },
    );
  }
  return {
    model: model.tensors,
    spec,
    optimizer: unflattenTensors(skeleton, optimizer.tensors, optimizerPath),
    state,
  };
}

/** The folder of a checkpoint given the folder itself or a file in it. */
export async function checkpointDir(path: string): Promise<string> {
  const info = await stat(path).catch((error) => {
    throw new Error(`Cannot open checkpoint ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  });
  return info.isDirectory() ? path : dirname(path);
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new Error(`Cannot read checkpoint file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBytes(path));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `Cannot read checkpoint file ${path}: not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** Replaces every Tensor leaf by `{ $tensor: "path.to.leaf" }` and collects the tensors under those keys. */
function flattenTensors(value: unknown): { tensors: Record<string, Tensor>; skeleton: unknown } {
  const tensors: Record<string, Tensor> = {};
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof Tensor) {
      tensors[path] = v;
      return { $tensor: path };
    }
    if (v instanceof Float32Array) {
      tensors[path] = new Tensor(v, [v.length]);
      return { $float32: path };
    }
    if (Array.isArray(v)) {
      return v.map((item, i) => walk(item, path === "" ? `${i}` : `${path}.${i}`));
    }
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map(([k, item]) => [k, walk(item, path === "" ? k : `${path}.${k}`)]),
      );
    }
    if (typeof v === "number" && !Number.isFinite(v)) return { $number: String(v) };
    return v;
  };
  return { skeleton: walk(value, ""), tensors };
}

function unflattenTensors(
  skeleton: unknown,
  tensors: Record<string, Tensor>,
  source: string,
): unknown {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const record = v as Record<string, unknown>;
      const key = record.$tensor ?? record.$float32;
      if (typeof key === "string") {
        const tensor = tensors[key];
        if (tensor === undefined) {
          throw new TypeError(`Cannot load checkpoint ${source}: missing tensor "${key}"`);
        }
        return record.$tensor !== undefined ? tensor : tensor.data;
      }
      if (typeof record.$number === "string") return Number(record.$number);
      return Object.fromEntries(Object.entries(record).map(([k, item]) => [k, walk(item)]));
    }
    return v;
  };
  return walk(skeleton);
}
