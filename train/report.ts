/** The end-of-run report: test accuracy, macro precision/recall/F1, per-class table and confusion matrix. */

import {
  classificationReport,
  confusionMatrix,
  formatConfusionMatrix,
  formatReport,
} from "./metrics.ts";
import type { EvalResult, ImageData, VectorData } from "./trainer.ts";
import type { Progress } from "./progress.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

/** Options of `printResult`. */
export interface ResultContext {
  /** Wall-clock seconds of the run. */
  seconds: number;
  /** Output folder, mentioned when given. */
  out?: string;
}

/**
 * Prints an evaluation through `progress`: a table report (tty/lines), one
 * `{"event":"result", ...}` JSON line (json), or only the accuracy line (quiet, via `stdout`).
 */
export function printResult(
  result: EvalResult,
  data: { test: ImageData | VectorData; numClasses: number; classNames: readonly string[] },
  progress: Progress,
  io: { stdout: (text: string) => void },
  context: ResultContext,
): void {
  checkArgumentCount("Cannot run printResult", arguments.length, 5);
  checkOptions("Cannot run printResult: context", context, ["seconds", "out"]);
  const cm = confusionMatrix(result.predictions, data.test.labels, data.numClasses);
  const report = classificationReport(cm);
  const accuracyLine = `test accuracy ${
    (100 * report.accuracy).toFixed(2)
  }% (${result.correct}/${result.count})`;
  if (progress.mode === "quiet") {
    io.stdout(`${accuracyLine}\n`);
    return;
  }
  progress.event("result", {
    testAccuracy: report.accuracy,
    testLoss: result.loss,
    correct: result.correct,
    count: result.count,
    macro: report.macro,
    perClass: {
      precision: report.precision,
      recall: report.recall,
      f1: report.f1,
      support: report.support,
    },
    confusion: Array.from(
      { length: cm.numClasses },
      (_, t) => Array.from(cm.counts.subarray(t * cm.numClasses, (t + 1) * cm.numClasses)),
    ),
    seconds: context.seconds,
    out: context.out ?? null,
  });
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  progress.info(
    [
      "",
      `${accuracyLine}, loss ${result.loss.toFixed(4)}, ${context.seconds.toFixed(1)}s`,
      `macro precision ${pct(report.macro.precision)}  recall ${pct(report.macro.recall)}  F1 ${
        pct(report.macro.f1)
      }`,
      "",
      formatReport(report, data.classNames),
      "",
      "confusion matrix (rows: true class, columns: predicted class)",
      formatConfusionMatrix(cm, data.classNames),
      ...(context.out !== undefined
        ? [
          "",
          `wrote model.safetensors, model.json, optimizer.safetensors, state.json, metrics.json, curves.svg to ${context.out}`,
        ]
        : []),
    ].join("\n"),
  );
}
