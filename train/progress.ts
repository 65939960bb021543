/**
 * Progress display: an in-place bar per epoch on a terminal, one line per epoch
 * otherwise, one JSON object per line with `--json`, nothing but errors with `--quiet`.
 */

import { checkArgumentCount, checkOptions, describeValue } from "../tensor/options.ts";

/** How progress is shown. */
export type ProgressMode = "tty" | "lines" | "json" | "quiet";
const MODES: readonly string[] = ["tty", "lines", "json", "quiet"];

/** What the loop reports at the end of an epoch. Test values are `null` without a test set. */
export interface EpochSummary {
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
  /** Learning rate of param group 0 during the epoch's last step. */
  lr: number;
  /** Wall-clock seconds of the epoch (training + evaluation). */
  seconds: number;
  /** Training samples per second. */
  samplesPerSecond: number;
}

/** Options of `Progress`. */
export interface ProgressOptions {
  /** Clock in milliseconds. @default performance.now */
  now?: () => number;
  /** Minimum milliseconds between two redraws of the bar. @default 100 */
  redrawMs?: number;
  /** Characters of the bar. @default 24 */
  barWidth?: number;
}

/**
 * Prints training progress through `write` (which receives complete text, newlines included).
 * Only `tty` mode uses control characters (`\r` and erase-line).
 */
export class Progress {
  readonly mode: ProgressMode;
  #write: (text: string) => void;
  #now: () => number;
  #redrawMs: number;
  #barWidth: number;
  #epoch = 0;
  #epochs = 0;
  #total = 0;
  #started = 0;
  #lastDraw = -Infinity;
  /** A bar or download line is on screen without a newline (TTY). */
  #transient = false;

  constructor(mode: ProgressMode, write: (text: string) => void, options: ProgressOptions = {}) {
    checkArgumentCount("Cannot create Progress", arguments.length, 3);
    checkOptions("Cannot create Progress", options, ["now", "redrawMs", "barWidth"]);
    if (!MODES.includes(mode)) {
      throw new TypeError(
        `Cannot create Progress: mode must be one of ${MODES.join(", ")}, got ${
          describeValue(mode)
        }`,
      );
    }
    this.mode = mode;
    this.#write = write;
    this.#now = options.now ?? (() => performance.now());
    this.#redrawMs = options.redrawMs ?? 100;
    this.#barWidth = options.barWidth ?? 24;
  }

  /** A human-readable line (not shown with --json or --quiet). */
  info(text: string): void {
    if (this.mode === "tty" || this.mode === "lines") this.#write(`${this.#clear()}${text}\n`);
  }

  /** A machine-readable record: one JSON line with --json, nothing otherwise. */
  event(type: string, fields: Record<string, unknown>): void {
    if (this.mode === "json") this.#write(`${JSON.stringify({ event: type, ...fields })}\n`);
  }

  /** Shows a download in place (TTY only, throttled): `fetching mnist 4.2 / 9.9 MB`. */
  transfer(label: string, bytes: number, total: number | undefined): void {
    if (this.mode !== "tty") return;
    const now = this.#now();
    if (now - this.#lastDraw < this.#redrawMs && bytes !== total) return;
    this.#lastDraw = now;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    this.#transient = true;
    this.#write(
      `\r\x1b[2Kfetching ${label} ${mb(bytes)}${total !== undefined ? ` / ${mb(total)}` : ""} MB`,
    );
  }

  /** Starts the bar of epoch `epoch` (1-based) of `epochs`, over `total` training samples. */
  startEpoch(epoch: number, epochs: number, total: number): void {
    this.#epoch = epoch;
    this.#epochs = epochs;
    this.#total = total;
    this.#started = this.#now();
    this.#lastDraw = -Infinity;
  }

  /** Redraws the bar (TTY only, throttled) after `done` samples with running mean loss `loss`. */
  update(done: number, loss: number): void {
    if (this.mode !== "tty") return;
    const now = this.#now();
    if (now - this.#lastDraw < this.#redrawMs && done < this.#total) return;
    this.#lastDraw = now;
    const seconds = (now - this.#started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (this.#total - done) / rate : NaN;
    const fraction = this.#total > 0 ? Math.min(1, done / this.#total) : 1;
    const filled = Math.round(fraction * this.#barWidth);
    const bar = "█".repeat(filled) + "░".repeat(this.#barWidth - filled);
    this.#transient = true;
    this.#write(
      `\r\x1b[2K${this.#label()} ${bar} ${(100 * fraction).toFixed(0).padStart(3)}% ` +
        `loss ${loss.toFixed(4)} ${Math.round(rate)} samples/s ETA ${formatDuration(eta)}`,
    );
  }

  /** Ends the epoch: replaces the bar (TTY), prints one line, or one JSON object. */
  endEpoch(summary: EpochSummary): void {
    if (this.mode === "json") this.event("epoch", { ...summary });
    else if (this.mode === "tty") {
      this.#transient = false;
      this.#write(`\r\x1b[2K${formatEpoch(summary)}\n`);
    } else if (this.mode === "lines") this.#write(`${formatEpoch(summary)}\n`);
  }

  /** Erases a transient line (TTY) before text that stays. */
  #clear(): string {
    if (!this.#transient) return "";
    this.#transient = false;
    return "\r\x1b[2K";
  }

  #label(): string {
    const width = String(this.#epochs).length;
    return `epoch ${String(this.#epoch).padStart(width)}/${this.#epochs}`;
  }
}

/** `epoch 3/10  train loss 0.1234 acc 96.12%  test loss 0.0567 acc 98.21%  lr 0.01  12.3s  4870 samples/s` */
export function formatEpoch(s: EpochSummary): string {
  const width = String(s.epochs).length;
  const test = s.testLoss === null || s.testAccuracy === null
    ? ""
    : `  test loss ${s.testLoss.toFixed(4)} acc ${(100 * s.testAccuracy).toFixed(2)}%`;
  return `epoch ${String(s.epoch).padStart(width)}/${s.epochs}  train loss ${
    s.trainLoss.toFixed(4)
  } ` +
    `acc ${(100 * s.trainAccuracy).toFixed(2)}%${test}  lr ${formatLr(s.lr)}  ${
      s.seconds.toFixed(1)
    }s  ` +
    `${Math.round(s.samplesPerSecond)} samples/s`;
}

/** `1:05`, `1:02:03`, `?` for unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

function formatLr(lr: number): string {
  return lr === 0
    ? "0"
    : Math.abs(lr) >= 1e-3
    ? String(Number(lr.toPrecision(4)))
    : lr.toExponential(2);
}
