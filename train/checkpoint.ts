/**
 * Checkpoints: `model.safetensors` (PyTorch state-dict keys), `model.json` (the model
 * spec), `optimizer.safetensors` and `state.json` (epoch, RNG, scheduler, config,
 * history), saved as one unit. A run folder holds one complete generation and a pointer:
 *
 * ```
 * runs/x/latest -> checkpoint-000012         the pointer: the one thing a save switches
 * runs/x/checkpoint-000012/model.safetensors, model.json, optimizer.safetensors, state.json
 * runs/x/model.safetensors -> latest/model.safetensors   (and the other three: links, so
 *                                            paths into the folder keep working)
 * ```
 *
 * Guarantee: however a save ends (an error, `kill -9`, a power cut on a filesystem that
 * honors fsync), the run folder loads as the previous checkpoint or the new one, complete
 * and consistent. A save writes the four files into a temp folder, fsyncs each file and the
 * folder, renames it to the next `checkpoint-NNNNNN`, then renames a new `latest` symlink
 * over the old one (fsyncing the run folder after each rename); only then is the previous
 * generation removed. Temp names (`.*.xxxxxxxx.tmp`) and generations that `latest` does not
 * name — what a killed save leaves — are removed by the next save. Loading reads `latest`
 * once and every file from the generation it names. A generation folder loads directly; a
 * folder with the four files at its top (saved before generations, or from PyTorch) loads as
 * before and becomes a run folder at its next save. One process saves to a folder at a time.
 */

import { lstat, mkdir, readlink, rename, rm } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import type { Tensor } from "../tensor/tensor.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { firstNonFinite } from "../tensor/kernels/mod.ts";
import { encodeSafetensorsChunks, type WritableDtype } from "./safetensors.ts";
import {
  readJsonFile,
  readSafetensorsFile,
  replaceSymlink,
  saveHooks,
  syncDir,
  tempName,
  writeFileAtomic,
  writeFileDurable,
} from "./_checkpoint_fs.ts";
import {
  checkOutputFolder,
  exists,
  folderOf,
  isGeneration,
  LATEST_LINK,
  linkFiles,
  readLatest,
  refuseGeneration,
  removeStale,
} from "./_checkpoint_layout.ts";
import { flattenTensors, unflattenTensors } from "./_checkpoint_tree.ts";

export { checkOutputFolder, LATEST_LINK, writeFileAtomic };

/** File names inside a checkpoint generation (and of the links at the top of a run folder). */
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

/** Where one checkpoint's files are: `dir` is the generation (or old-layout folder) that holds them. */
export interface CheckpointFiles {
  dir: string;
  model: string;
  spec: string;
  optimizer: string;
  state: string;
}

/**
 * Saves a state dict as safetensors (atomically): float32 tensors as F32,
 * `*.num_batches_tracked` as I64, metadata `{ format: "pt", ...metadata }` as PyTorch writes.
 * A tensor holding NaN or ±Infinity is refused (RangeError naming its key); nothing is written.
 */
export async function saveStateDict(
  path: string,
  state: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  checkFinite(state, `Cannot save ${path}`, "tensor");
  await writeFileAtomic(path, encodeStateDict(state, metadata));
}

/**
 * Loads a safetensors state dict, reading the header first (bounded) and the data only if
 * the header fits the file. With `expected` (e.g. the model's own `stateDict()`), missing
 * keys, unexpected keys and shape mismatches are reported together in one TypeError naming
 * the file, the keys and both shapes.
 */
export async function loadStateDict(
  path: string,
  expected?: Record<string, Tensor>,
): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const { tensors, metadata } = await readSafetensorsFile(path);
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
 * Saves a checkpoint into the run folder `dir` (created if needed) as its next generation
 * and points `latest` at it (see the module doc for the guarantee). Tensors holding NaN or
 * ±Infinity are refused before anything is written (RangeError naming the key), as is a
 * `dir` that is itself a generation. The three files carry one save id, which
 * `loadCheckpoint` compares.
 */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  const where = `Cannot save checkpoint to ${dir}`;
  const id = crypto.randomUUID();
  checkFinite(checkpoint.model, where, "model tensor");
  const { tensors, skeleton } = flattenTensors(checkpoint.optimizer);
  checkFinite(tensors, where, "optimizer tensor");
  const files: [keyof typeof CHECKPOINT_FILES, Uint8Array[] | string][] = [
    ["model", encodeStateDict(checkpoint.model, { "shardgrad.checkpoint": id })],
    ["spec", JSON.stringify(checkpoint.spec, null, 2) + "\n"],
    [
      "optimizer",
      encodeSafetensorsChunks(tensors, {
        metadata: { "shardgrad.checkpoint": id, "shardgrad.optimizer": JSON.stringify(skeleton) },
      }),
    ],
    ["state", JSON.stringify({ ...checkpoint.state, checkpointId: id }, null, 2) + "\n"],
  ];
  await mkdir(dir, { recursive: true });
  await refuseGeneration(dir, where);
  const current = await readLatest(dir, where);
  await removeStale(dir, current?.name ?? null);
  await saveHooks.afterStep?.("cleaned");
  const next = `checkpoint-${String((current?.number ?? 0) + 1).padStart(6, "0")}`;
  const temp = join(dir, tempName(next));
  try {
    await mkdir(temp);
    for (const [key, data] of files) {
      await writeFileDurable(join(temp, CHECKPOINT_FILES[key]), data);
      await saveHooks.afterStep?.(CHECKPOINT_FILES[key]);
    }
    await syncDir(temp);
    await rename(temp, join(dir, next));
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  await syncDir(dir);
  await saveHooks.afterStep?.("generation");
  await replaceSymlink(join(dir, LATEST_LINK), next);
  await syncDir(dir);
  await saveHooks.afterStep?.("latest");
  await linkFiles(dir, Object.values(CHECKPOINT_FILES));
  await saveHooks.afterStep?.("links");
  if (current !== null) await rm(join(dir, current.name), { recursive: true, force: true });
  await saveHooks.afterStep?.("pruned");
}

/**
 * Reads a checkpoint: a run folder (through `latest`), a generation folder, an old-layout
 * folder, or any file inside one. `expectedModel` checks keys and shapes (see
 * `checkStateDict`). Every problem is one error naming the file.
 */
export async function loadCheckpoint(
  path: string,
  expectedModel?: Record<string, Tensor>,
): Promise<Checkpoint> {
  const files = await checkpointFiles(path);
  const state = await readJsonFile(files.state) as Record<string, unknown>;
  if (state === null || typeof state !== "object" || Array.isArray(state)) {
    throw new TypeError(`Cannot load checkpoint ${files.state}: expected a JSON object`);
  }
  const spec = await readJsonFile(files.spec);
  const model = await loadStateDict(files.model, expectedModel);
  const optimizer = await readSafetensorsFile(files.optimizer);
  for (const [file, decoded] of [[files.model, model], [files.optimizer, optimizer]] as const) {
    if (decoded.metadata["shardgrad.checkpoint"] !== state.checkpointId) {
      throw new TypeError(
        `Cannot load checkpoint ${files.dir}: ${file} and ${files.state} come from different saves (files copied together by hand?); ` +
          `use a complete checkpoint folder`,
      );
    }
  }
  let skeleton: unknown;
  try {
    skeleton = JSON.parse(optimizer.metadata["shardgrad.optimizer"] ?? "");
  } catch (error) {
    throw new SyntaxError(
      `Cannot load checkpoint ${files.optimizer}: metadata "shardgrad.optimizer" is not JSON`,
      { cause: error },
    );
  }
  return {
    model: model.tensors,
    spec,
    optimizer: unflattenTensors(skeleton, optimizer.tensors, files.optimizer),
    state,
  };
}

/**
 * The paths of the four files of the checkpoint `path` names (a run folder, a generation,
 * an old-layout folder or a file in one), with `latest` read once: reading them cannot mix
 * two saves. A folder with no `latest` and no model.safetensors is an error naming it.
 */
export async function checkpointFiles(path: string): Promise<CheckpointFiles> {
  let folder = await folderOf(path);
  const info = await lstat(folder);
  if (info.isSymbolicLink()) {
    const target = await readlink(folder);
    folder = isAbsolute(target) ? target : join(dirname(folder), target);
  }
  const latest = await readLatest(folder, `Cannot open checkpoint ${path}`);
  const dir = latest === null ? folder : join(folder, latest.name);
  const files = { dir } as CheckpointFiles;
  for (const [key, name] of Object.entries(CHECKPOINT_FILES)) {
    files[key as keyof typeof CHECKPOINT_FILES] = join(dir, name);
  }
  if (latest === null && !(await exists(files.model))) {
    throw new Error(
      `Cannot open checkpoint ${path}: ${folder} has neither a "${LATEST_LINK}" link nor a ${CHECKPOINT_FILES.model} (not a checkpoint folder)`,
    );
  }
  return files;
}

/**
 * The run folder of a checkpoint path: the folder itself, the folder of a file in it, or
 * for a generation folder (or `latest`) the run folder around it — where a resumed run
 * saves its next generations.
 */
export async function checkpointDir(path: string): Promise<string> {
  const folder = await folderOf(path);
  return await isGeneration(folder) ? dirname(folder) : folder;
}

/** Reads a JSON file of a checkpoint (model.json, state.json); errors name the file. */
export async function readCheckpointJson(path: string): Promise<unknown> {
  return await readJsonFile(path);
}

function encodeStateDict(
  state: Record<string, Tensor>,
  metadata: Record<string, string>,
): Uint8Array[] {
  const dtypes: Record<string, WritableDtype> = {};
  // I64, so PyTorch's `load_state_dict(strict=True)` accepts BatchNorm's counter.
  for (const key of Object.keys(state)) {
    if (key === "num_batches_tracked" || key.endsWith(".num_batches_tracked")) dtypes[key] = "I64";
  }
  return encodeSafetensorsChunks(state, { dtypes, metadata: { format: "pt", ...metadata } });
}

/** A diverged state is never saved: the last good checkpoint must stay the last one. */
function checkFinite(tensors: Record<string, Tensor>, where: string, what: string): void {
  for (const [key, tensor] of Object.entries(tensors)) {
    const at = firstNonFinite(tensor.data, 0, tensor.data.length);
    if (at >= 0) {
      throw new RangeError(
        `${where}: ${what} "${key}" holds ${
          tensor.data[at]
        } at element ${at} (a diverged state); nothing was written`,
      );
    }
  }
}
