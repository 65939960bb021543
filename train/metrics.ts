/** Classification metrics: accuracy, confusion matrix, per-class and macro precision/recall/F1, printed as tables. */

/** Per-class and averaged scores of a classifier, as scikit-learn's `classification_report`. */
export interface ClassificationReport {
  /** Correct predictions / samples. */
  accuracy: number;
  /** Per class k: TP / (TP + FP), 0 when nothing was predicted as k (scikit-learn's `zero_division=0`). */
  precision: number[];
  /** Per class k: TP / (TP + FN), 0 when k has no samples. */
  recall: number[];
  /** Per class k: 2·P·R / (P + R), 0 when P + R = 0. */
  f1: number[];
  /** Samples whose true class is k. */
  support: number[];
  /** Unweighted means over classes of precision, recall and F1. */
  macro: { precision: number; recall: number; f1: number };
  /** The confusion matrix it was computed from. */
  confusion: ConfusionMatrix;
}

/** `counts[t * numClasses + p]` = samples of true class t predicted as p (rows: truth, columns: prediction). */
export interface ConfusionMatrix {
  numClasses: number;
  counts: Int32Array;
}

/** Fraction of `predictions[i] === labels[i]`; 0 for no samples. */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(predictions, labels, "accuracy");
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === labels[i]) correct++;
  return predictions.length === 0 ? 0 : correct / predictions.length;
}

/**
 * Counts (truth, prediction) pairs into a `[K, K]` matrix, rows = true class.
 *
 * @example
 * ```ts
 * import { confusionMatrix } from "./metrics.ts";
 * const cm = confusionMatrix([0, 1, 1], [0, 1, 0], 2);
 * console.log(Array.from(cm.counts)); // [1, 1, 0, 1]
 * ```
 */
export function confusionMatrix(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): ConfusionMatrix {
  checkLengths(predictions, labels, "confusionMatrix");
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(
      `Cannot compute confusionMatrix: expected numClasses ≥ 1, got ${numClasses}`,
    );
  }
  const counts = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (
      !(t >= 0 && t < numClasses && p >= 0 && p < numClasses && Number.isInteger(t) &&
        Number.isInteger(p))
    ) {
      throw new RangeError(
        `Cannot compute confusionMatrix: sample ${i} has label ${t} and prediction ${p}, expected integers in [0, ${numClasses})`,
      );
    }
    counts[t * numClasses + p]++;
  }
  return { numClasses, counts };
}

/** Precision, recall, F1 and support per class, their macro averages and the accuracy of a confusion matrix. */
export function classificationReport(confusion: ConfusionMatrix): ClassificationReport {
  const { numClasses: k, counts } = confusion;
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  let correct = 0;
  let total = 0;
  for (let c = 0; c < k; c++) {
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += counts[j * k + c];
      actual += counts[c * k + j];
    }
    const tp = counts[c * k + c];
    const p = predicted === 0 ? 0 : tp / predicted;
    const r = actual === 0 ? 0 : tp / actual;
    precision.push(p);
    recall.push(r);
    f1.push(p + r === 0 ? 0 : (2 * p * r) / (p + r));
    support.push(actual);
    correct += tp;
    total += actual;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    accuracy: total === 0 ? 0 : correct / total,
    precision,
    recall,
    f1,
    support,
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    confusion,
  };
}

/** A fixed-width table: one row per class with precision, recall, F1 and support, then the macro average. */
export function formatReport(report: ClassificationReport, classNames?: readonly string[]): string {
  const names = labelsFor(report.support.length, classNames);
  const width = Math.max(9, ...names.map((n) => n.length));
  const pct = (x: number) => (100 * x).toFixed(2).padStart(9);
  const lines = [
    `${"class".padEnd(width)} ${"precision".padStart(9)} ${"recall".padStart(9)} ${
      "f1".padStart(9)
    } ${"support".padStart(8)}`,
  ];
  for (let c = 0; c < names.length; c++) {
    lines.push(
      `${names[c].padEnd(width)} ${pct(report.precision[c])} ${pct(report.recall[c])} ${
        pct(report.f1[c])
      } ${String(report.support[c]).padStart(8)}`,
    );
  }
  const total = report.support.reduce((a, b) => a + b, 0);
  const { macro } = report;
  lines.push(
    `${"macro avg".padEnd(width)} ${pct(macro.precision)} ${pct(macro.recall)} ${pct(macro.f1)} ${
      String(total).padStart(8)
    }`,
  );
  return lines.join("\n");
}

/** The confusion matrix as a table: rows are true classes, columns predicted classes. */
export function formatConfusionMatrix(
  confusion: ConfusionMatrix,
  classNames?: readonly string[],
): string {
  const { numClasses: k, counts } = confusion;
  const names = labelsFor(k, classNames);
  const rowWidth = Math.max(10, ...names.map((n) => n.length));
  const cell = Math.max(5, String(Math.max(0, ...counts)).length + 1);
  const header = `${"true\\pred".padEnd(rowWidth)}${
    names.map((_, j) => String(j).padStart(cell)).join("")
  }`;
  const rows = names.map((name, t) =>
    `${name.padEnd(rowWidth)}${
      Array.from(counts.subarray(t * k, t * k + k), (v) => String(v).padStart(cell)).join("")
    }`
  );
  return [header, ...rows].join("\n");
}

function labelsFor(k: number, classNames?: readonly string[]): string[] {
  return Array.from({ length: k }, (_, c) => {
    const name = classNames?.[c];
    if (name === undefined || name === "") return String(c);
    return name.startsWith(String(c)) ? name : `${c} ${name}`;
  });
}

function checkLengths(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  where: string,
): void {
  if (predictions.length !== labels.length) {
    throw new TypeError(
      `Cannot compute ${where}: ${predictions.length} predictions but ${labels.length} labels`,
    );
  }
}
