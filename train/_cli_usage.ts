/** The `--help` text of train.ts (train/cli.ts re-exports `usage`). */

import { PRESET_NAMES } from "./presets.ts";
import { TEXT_PRESET_NAMES } from "./text_presets.ts";
import { DATASETS, OPTIMIZERS, SCHEDULERS } from "./_cli_settings.ts";

/** The `--help` text. */
export function usage(): string {
  return `Usage: deno run -A train.ts [flags]     (or: bun train.ts [flags])

Trains a model and writes a checkpoint, metrics and curves to --out.
With no flags: the mnist-cnn preset on MNIST, all cores, reaching ≥ 99% test accuracy.

Data and model
  --dataset NAME        ${DATASETS.join(" | ")}  (default: mnist)
  --model PRESET|FILE   ${PRESET_NAMES.join(" | ")}, or a JSON model spec file
                        (default: mnist-cnn for MNIST/Fashion-MNIST, cifar-cnn for CIFAR-10/SVHN, mlp otherwise)
  --svhn-extra          with --dataset svhn: train on train + extra (604,388 images; same as --dataset svhn-extra)
  --mirror URL|DIR      where to fetch MNIST/Fashion-MNIST/CIFAR-10/SVHN files from
                        (default: $SHARDGRAD_DATA_MIRROR, else the public mirrors)
  --allow-unverified-data
                        accept CIFAR-10/SVHN files that are not the published ones (custom or
                        cut-down sets in the same layout), checked by structure only

Training (defaults come from the preset; see train/presets.ts)
  --epochs N            number of epochs (with --resume: the total to reach; a new total
                        re-lays the step/cosine/onecycle schedule over it)
  --batch-size N        samples per optimizer step
  --lr X                learning rate (OneCycle: the peak)
  --optimizer NAME      ${OPTIMIZERS.join(" | ")}
  --momentum X          SGD/RMSprop momentum, in [0, 1)
  --weight-decay X      L2 penalty (decoupled for adamw)
  --scheduler NAME      ${SCHEDULERS.join(" | ")}
                        options after a colon: cosine-restarts:t0=N,tMult=N,etaMin=X
                        cyclic:baseLr=X,maxLr=X,stepSizeUp=N,stepSizeDown=N,mode=triangular|
                        triangular2|exp_range,gamma=X  polynomial:totalIters=N,power=X
                        constant:factor=X,totalIters=N
  --augment, --no-augment
                        random crop (padding 4 for 32×32 images, 2 otherwise) + horizontal flip (CIFAR only)
  --workers N           worker threads (default: all cores; 1 trains in the main thread;
                        more than the cores warns, more than 4× the cores or 256 is refused)
  --seed N              seeds initialization, shuffling, dropout and augmentation (default: 0)

Output
  --out DIR             output folder (default: runs/<dataset>-<model>; with --resume: the checkpoint's folder)
  --resume DIR          continue the run saved in DIR (its settings; --epochs sets the total)
  --eval DIR            print the test metrics of the checkpoint in DIR (its dataset unless
                        --dataset is given), then exit
  --json                one JSON object per line instead of the progress display
  --quiet               print nothing but the final test accuracy (errors still go to stderr)

Text (character-level language models: --dataset text; counted in iterations, as nanoGPT)
  --file PATH           the corpus, a UTF-8 text file (default: ../shared/data/tinyshakespeare/input.txt
                        next to the repository, when present); first 90% train, last 10% val
  --model PRESET|FILE   ${TEXT_PRESET_NAMES.join(" | ")} (default: char-lstm), or a JSON spec file
  --iters N             optimizer steps (with --resume: the total to reach)
  --eval-interval N     evaluate train and val loss every N iterations (and at the first and last)
  --eval-iters N        batches per split in each evaluation
  --block-size N        characters of context per window
  --n-layer N, --n-head N, --n-embd N, --hidden-size N
                        model sizes (LSTM layers or transformer blocks, attention heads,
                        embedding width, LSTM hidden size)
  --warmup-iters N      linear warmup steps; then cosine decay of --lr to --min-lr X
  --lr-decay-iters N    where the cosine decay ends (default: --iters)
  --generate N          print N characters sampled from the text checkpoint in --out
                        (default runs/text-<model>), with --temperature X, --seed N, --prompt TEXT
                        (default: a newline)
  --eval DIR            with a text checkpoint: the loss on every window of its corpus's val split
                        (--file evaluates on another corpus with the same characters)

Quick runs and tests
  --limit-train N       use only the first N training samples
  --limit-test N        use only the first N test samples

  -h, --help            this text

Exit codes: 0 success, 1 failure (bad data, non-finite loss or parameters, bad checkpoint),
2 bad command line (or one that does not fit: --out not writable, too many --workers,
a --dataset the model does not fit).
`;
}
