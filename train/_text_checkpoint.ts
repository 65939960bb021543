/**
 * Internal: text checkpoints for train/text_run.ts — state.json's schema (checked with the
 * file and field named), reading a checkpoint with its vocabulary, and the corpus a run
 * names, checked against the sha256 the run saved.
 */

import { z } from "zod";
import { buildModel } from "../layers/spec.ts";
import { CharVocabulary, TextDataset } from "../data/text.ts";
import { specFrom } from "./_cli_checks.ts";
import { checkpointFiles, loadCheckpoint, readCheckpointJson } from "./checkpoint.ts";
import { TEXT_STATE_FORMAT, type TextLoopState, type TextRunConfig } from "./text_loop.ts";

const posInt = z.number().int().min(1);
const TEXT_CONFIG_SCHEMA = z.strictObject({
  dataset: z.literal("text"),
  file: z.string().min(1),
  fileSha256: z.string().regex(/^[0-9a-f]{64}$/, { error: "expected a sha256 (64 hex digits)" }),
  model: z.string().min(1),
  iters: posInt,
  batchSize: posInt,
  blockSize: posInt,
  optimizer: z.enum(["adamw", "adam"]),
  lr: z.number().positive(),
  minLr: z.number().min(0),
  warmupIters: z.number().int().min(0),
  lrDecayIters: posInt,
  weightDecay: z.number().min(0),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]),
  evalInterval: posInt,
  evalIters: posInt,
  seed: z.number().int().min(0),
});
/** state.json of a text checkpoint (`TextLoopState`; saveCheckpoint adds checkpointId). */
const TEXT_STATE_SCHEMA = z.looseObject({
  format: z.literal(TEXT_STATE_FORMAT),
  version: z.literal(1, { error: "expected 1 (a newer shardgrad wrote it?)" }),
  iter: z.number().int().min(0),
  rng: z.array(z.number().int().min(0).max(0xffffffff)).length(4),
  vocabulary: z.string().min(1, { error: "expected the vocabulary's characters" }),
  config: TEXT_CONFIG_SCHEMA,
  history: z.array(z.looseObject({ iter: z.number().int().min(0) })),
});

/** Whether `path` is a checkpoint whose state.json is a text run's (false when it cannot be read: the caller's own path reports that). */
export async function isTextCheckpoint(path: string): Promise<boolean> {
  try {
    const state = await readCheckpointJson((await checkpointFiles(path)).state);
    return (state as { format?: unknown })?.format === TEXT_STATE_FORMAT;
  } catch {
    return false;
  }
}

/** A text checkpoint: its files checked (state.json by the schema, the vocabulary, the spec, the weights against the spec). */
export async function readTextCheckpoint(path: string, action: string) {
  const files = await checkpointFiles(path);
  const state = parseTextState(await readCheckpointJson(files.state), files.state, action);
  let vocabulary: CharVocabulary;
  try {
    vocabulary = new CharVocabulary(state.vocabulary);
  } catch (error) {
    throw new TypeError(
      `Cannot ${action} ${files.state}: vocabulary: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const spec = specFrom(await readCheckpointJson(files.spec), files.spec);
  const checkpoint = await loadCheckpoint(path, buildModel(spec).stateDict());
  return { dir: files.dir, files, state, vocabulary, spec, checkpoint };
}

/** Checks a text state.json; a problem is one TypeError naming the file, the field and the value. */
export function parseTextState(value: unknown, file: string, action: string): TextLoopState {
  const result = TEXT_STATE_SCHEMA.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    let found: unknown = value;
    for (const key of issue.path) found = (found as Record<PropertyKey, unknown>)?.[key];
    const field = issue.path.join(".") || "(the whole file)";
    throw new TypeError(
      `Cannot ${action} ${file}: ${field}: ${issue.message}, got ${
        found === undefined ? "nothing" : JSON.stringify(found)
      }`,
      {
        cause: result.error,
      },
    );
  }
  return result.data as unknown as TextLoopState;
}

/** The corpus of a run: `file` read with the checkpoint's vocabulary; with `saved`, its sha256 must be the saved run's. */
export async function corpus(
  file: string,
  blockSize: number,
  saved: TextRunConfig | null,
  vocabulary: CharVocabulary,
  action: string,
): Promise<TextDataset> {
  let data: TextDataset;
  try {
    data = await TextDataset.fromFile(file, { blockSize, vocabulary });
  } catch (error) {
    throw new Error(`Cannot ${action}: ${(error as Error).message}`, { cause: error });
  }
  if (saved !== null && (await sha256(data)) !== saved.fileSha256) {
    throw new Error(
      `Cannot ${action}: ${file} is not the corpus the run was trained on (its sha256 differs from state.json's fileSha256)`,
    );
  }
  return data;
}

/** sha256 (hex) of the corpus as UTF-8 bytes (the file's bytes: decoding keeps a BOM). */
export async function sha256(data: TextDataset): Promise<string> {
  const text = data.vocabulary.decode(data.train) + data.vocabulary.decode(data.val);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
