/**
 * The shardgrad command-line trainer. `deno run -A train.ts --help` lists the flags;
 * with none it trains the MNIST CNN preset on all cores and prints the test accuracy.
 */

import process from "node:process";
import { runCli } from "./train/run_cli.ts";

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
});
