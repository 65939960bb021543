import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type EpochSummary,
  formatDuration,
  formatEpoch,
  Progress,
  type ProgressMode,
} from "../../train/progress.ts";

const summary: EpochSummary = {
  epoch: 3,
  epochs: 10,
  trainLoss: 0.12345,
  trainAccuracy: 0.9612,
  testLoss: 0.0567,
  testAccuracy: 0.9821,
  lr: 0.01,
  seconds: 12.34,
  samplesPerSecond: 4870.4,
};

function run(mode: ProgressMode): string {
  let out = "";
  let clock = 0;
  const p = new Progress(mode, (s) => (out += s), { now: () => clock });
  p.info("hello");
  p.startEpoch(3, 10, 1000);
  for (let done = 100; done <= 1000; done += 100) {
    clock += 150;
    p.update(done, 0.5);
  }
  p.endEpoch(summary);
  p.event("done", { testAccuracy: 0.98 });
  return out;
}

test("Progress (tty) redraws one bar in place with loss, samples/s and ETA, then ends the line", () => {
  const out = run("tty");
  assert.ok(out.startsWith("hello\n"));
  const frames = out.slice(6).split("\r\x1b[2K").filter((s) => s !== "");
  assert.equal(frames.length, 11, "10 bar frames + the final line");
  assert.match(frames[0], /^epoch {2}3\/10 █+░+ {2}10% loss 0\.5000 667 samples\/s ETA 0:01$/);
  assert.match(frames[9], /100% .* ETA 0:00$/);
  assert.equal(frames[10], formatEpoch(summary) + "\n");
  assert.equal(
    out.split("\n").length,
    3,
    "only the info line and the epoch line end with a newline",
  );
});

test("Progress (lines) prints one plain line per epoch and no control characters", () => {
  assert.equal(run("lines"), `hello\n${formatEpoch(summary)}\n`);
});

test("Progress (json) prints one JSON object per line and nothing else", () => {
  const lines = run("json").trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, [{ event: "epoch", ...summary }, { event: "done", testAccuracy: 0.98 }]);
});

test("Progress (quiet) prints nothing", () => {
  assert.equal(run("quiet"), "");
});

test("formatEpoch() shows train and test loss/accuracy, lr, time and throughput", () => {
  assert.equal(
    formatEpoch(summary),
    "epoch  3/10  train loss 0.1235 acc 96.12%  test loss 0.0567 acc 98.21%  lr 0.01  12.3s  4870 samples/s",
  );
  assert.equal(
    formatEpoch({ ...summary, testLoss: null, testAccuracy: null }).includes("test"),
    false,
  );
});

test("formatDuration() writes m:ss and h:mm:ss", () => {
  assert.equal(formatDuration(65), "1:05");
  assert.equal(formatDuration(3723), "1:02:03");
  assert.equal(formatDuration(NaN), "?");
});

test("Progress (tty) erases a download line before the next message", () => {
  let out = "";
  const p = new Progress("tty", (s) => (out += s), { now: () => 0 });
  p.transfer("mnist", 4_200_000, 9_900_000);
  p.info("ready");
  assert.equal(out, "\r\x1b[2Kfetching mnist 4.2 / 9.9 MB\r\x1b[2Kready\n");
  assert.equal(run("lines").includes("fetching"), false);
});
