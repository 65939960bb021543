/**
 * Internal: the layout of a run folder — `latest`, the `checkpoint-NNNNNN` generations and
 * the links at its top — and the clean-up of what interrupted saves leave in it.
 */

import { lstat, mkdir, readdir, readlink, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isNotFound, replaceSymlink, syncDir, TEMP_NAME, tempName } from "./_checkpoint_fs.ts";

/** The pointer a run folder's loaders follow. */
export const LATEST_LINK = "latest";

/** A generation folder's name; the number counts saves into the run folder. */
export const GENERATION = /^checkpoint-(\d{6,})$/;

/**
 * Checks, before any training, that checkpoints can be saved in `path`: it is not a file,
 * not under a file, not a generation of another run, its `latest` (if any) is a link to a
 * generation, and a file can be created in it (a probe, removed at once; folders created
 * for the probe are removed again). Throws one Error naming the path and the problem.
 */
export async function checkOutputFolder(path: string): Promise<void> {
  const where = `Cannot write checkpoints to ${path}`;
  for (let at = path;; at = dirname(at)) {
    const info = await stat(at).catch((error) => {
      const code = (error as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    });
    if (info !== null && !info.isDirectory()) {
      throw new Error(
        `${where}: ${at === path ? "it" : at} is a file, not a folder; choose another --out`,
      );
    }
    if (info !== null || dirname(at) === at) break;
  }
  if (await isGeneration(path)) {
    throw new Error(
      `${where}: it is one generation of the run folder ${dirname(path)}; save to ${dirname(path)}`,
    );
  }
  try {
    const created = await mkdir(path, { recursive: true });
    const probe = join(path, tempName("write-probe"));
    await writeFile(probe, "");
    await rm(probe, { force: true });
    if (created !== undefined) await rm(created, { recursive: true, force: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new Error(`${where}: ${code ? `${code}, ` : ""}${(error as Error).message}`, {
      cause: error,
    });
  }
  await readLatest(path, where);
}

/** The folder `path` names: itself, or the folder of a file in it. */
export async function folderOf(path: string): Promise<string> {
  const info = await stat(path).catch((error) => {
    throw new Error(`Cannot open checkpoint ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  });
  return info.isDirectory() ? path : dirname(path);
}

/** The generation `dir/latest` names, or null when there is no such link; errors start with `where`. */
export async function readLatest(
  dir: string,
  where: string,
): Promise<{ name: string; number: number } | null> {
  const link = join(dir, LATEST_LINK);
  let name: string;
  try {
    name = await readlink(link);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw new Error(`${where}: ${link} is not a symlink to a generation`, { cause: error });
  }
  const match = GENERATION.exec(name);
  if (match === null) {
    throw new Error(
      `${where}: ${link} points to "${name}", not to a checkpoint-NNNNNN folder beside it`,
    );
  }
  return { name, number: Number(match[1]) };
}

/** Whether `folder` is `latest` or a checkpoint-NNNNNN inside a run folder (one with a `latest` link). */
export async function isGeneration(folder: string): Promise<boolean> {
  const name = basename(folder);
  if (name !== LATEST_LINK && !GENERATION.test(name)) return false;
  return await lstat(join(dirname(folder), LATEST_LINK)).then(
    (i) => i.isSymbolicLink(),
    () => false,
  );
}

/** Saving into a generation would nest runs inside runs: refused, naming the run folder. */
export async function refuseGeneration(dir: string, where: string): Promise<void> {
  if (await isGeneration(dir)) {
    throw new Error(
      `${where}: it is a generation of the run folder ${dirname(dir)}; save to that folder`,
    );
  }
}

/** Removes what interrupted saves left: temp names, and generations other than `keep`. */
export async function removeStale(dir: string, keep: string | null): Promise<void> {
  for (const name of await readdir(dir)) {
    if (TEMP_NAME.test(name) || (GENERATION.test(name) && name !== keep)) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}

/** Makes each top-level file name a link through `latest` (replacing an old layout's files). */
export async function linkFiles(dir: string, names: readonly string[]): Promise<void> {
  let changed = false;
  for (const name of names) {
    const target = `${LATEST_LINK}/${name}`;
    const path = join(dir, name);
    const present = await readlink(path).catch(() => null);
    if (present !== target) {
      await replaceSymlink(path, target);
      changed = true;
    }
  }
  if (changed) await syncDir(dir);
}

/** Whether `path` exists (following links). */
export async function exists(path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false);
}
