/**
 * Spawns train.ts with the runtime that runs the test (Deno → `deno run -A train.ts`,
 * Bun → `bun train.ts`) and collects its exit code, stdout and stderr.
 */

import { execFile } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root (this file is tests/train/_run_cli.ts). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The real MNIST files next to the repository, used as a local mirror. */
export const MNIST_MIRROR = fileURLToPath(new URL("../../../shared/data/mnist/", import.meta.url));
/** True under Deno, false under Bun. */
export const IS_DENO = "Deno" in globalThis;

/** What a finished process left. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The runtime executable and the arguments that run `script` with it. */
export function runtimeCommand(script: string, args: readonly string[]): [string, string[]] {
  if (IS_DENO) {
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno;
    return [deno.execPath(), ["run", "-A", script, ...args]];
  }
  return [process.execPath, [script, ...args]];
}

/** Runs `train.ts args` from the repository root; never rejects on a non-zero exit. */
export function spawnCli(
  args: readonly string[],
  options: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const [command, argv] = runtimeCommand(`${ROOT}train.ts`, args);
  return runProcess(command, argv, {
    cwd: options.cwd ?? ROOT,
    timeoutMs: options.timeoutMs,
    env: options.env,
  });
}

/** Runs any command; resolves with its exit code and output. */
export function runProcess(
  command: string,
  args: readonly string[],
  { cwd, timeoutMs = 240_000, env = {} }: {
    cwd?: string;
    timeoutMs?: number;
    env?: Record<string, string>;
  } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: "1", ...env },
      },
      (error, stdout, stderr) => {
        if (error && typeof (error as { code?: unknown }).code !== "number") {
          reject(
            new Error(`${command} ${args.join(" ")} failed to run: ${error.message}\n${stderr}`),
          );
          return;
        }
        resolve({
          code: error ? (error as { code: number }).code : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}
