/**
 * Batches per second of the MNIST DataLoader (batch 64, shuffled), without and with
 * augmentation, printed as a markdown table with the runtime's name.
 *
 *   deno run -A bench/data_bench.ts [--batches 400]
 *   bun bench/data_bench.ts [--batches 400]
 *
 * MNIST comes from ../shared/data/mnist (beside the repo) when present, else from
 * $SHARDGRAD_DATA_MIRROR / the cache / the public mirrors.
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { parseArgs } from "node:util";
import { mnist } from "../data/mnist.ts";
import { DataLoader } from "../data/data_loader.ts";
import {
  compose,
  MNIST_MEAN,
  MNIST_STD,
  normalize,
  randomCrop,
  randomHorizontalFlip,
  toFloat,
  type Transform,
} from "../data/transforms.ts";
import { Rng } from "../tensor/rng.ts";

const { values } = parseArgs({ options: { batches: { type: "string", default: "400" } } });
const batches = Number(values.batches);

const shared = fileURLToPath(new URL("../../shared/data/mnist/", import.meta.url));
const train = await mnist({ train: true, mirrors: existsSync(shared) ? [shared] : undefined });

const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
const runtime = g.Deno
  ? `Deno ${g.Deno.version.deno}`
  : g.Bun
  ? `Bun ${g.Bun.version}`
  : `Node ${process.version}`;

const pipelines: [string, Transform | undefined][] = [
  ["raw (uint8 → float32 only)", undefined],
  ["toFloat + normalize", compose([toFloat(), normalize(MNIST_MEAN, MNIST_STD)])],
  [
    "randomCrop(28, padding 2) + hflip + toFloat + normalize",
    compose([
      randomCrop(28, { padding: 2 }),
      randomHorizontalFlip(),
      toFloat(),
      normalize(MNIST_MEAN, MNIST_STD),
    ]),
  ],
];

function measure(transform: Transform | undefined): number {
  const loader = new DataLoader(train, {
    batchSize: 64,
    shuffle: true,
    rng: new Rng(0),
    transform,
  });
  let done = 0;
  let sink = 0;
  const start = performance.now();
  while (done < batches) {
    for (const { x } of loader) {
      sink += x.data[0];
      if (++done >= batches) break;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  if (Number.isNaN(sink)) console.log("unexpected NaN");
  return done / seconds;
}

measure(pipelines[1][1]); // warm-up: JIT and page faults
console.log(`MNIST DataLoader, batch 64, shuffle, ${batches} batches per row, ${runtime}\n`);
console.log("| runtime | pipeline | batches/s | samples/s |");
console.log("| --- | --- | ---: | ---: |");
for (const [name, transform] of pipelines) {
  const rate = measure(transform);
  console.log(`| ${runtime} | ${name} | ${rate.toFixed(0)} | ${(rate * 64).toFixed(0)} |`);
}
