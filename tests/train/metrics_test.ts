import { test } from "node:test";
import assert from "node:assert/strict";
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  formatConfusionMatrix,
  formatReport,
} from "../../train/metrics.ts";
import { assertClose } from "../_helpers/assert_close.ts";

// truth:      0 0 0 1 1 2 2 2 2
// prediction: 0 0 1 1 2 2 2 2 0
const labels = new Int32Array([0, 0, 0, 1, 1, 2, 2, 2, 2]);
const predictions = new Int32Array([0, 0, 1, 1, 2, 2, 2, 2, 0]);

test("accuracy() counts exact matches", () => {
  assert.equal(accuracy(predictions, labels), 6 / 9);
  assert.equal(accuracy([], []), 0);
});

test("confusionMatrix() puts true classes in rows and predictions in columns", () => {
  assert.deepEqual(Array.from(confusionMatrix(predictions, labels, 3).counts), [
    2,
    1,
    0,
    0,
    1,
    1,
    1,
    0,
    3,
  ]);
});

test("confusionMatrix() rejects a label outside [0, K)", () => {
  assert.throws(
    () => confusionMatrix([0], [3], 3),
    /sample 0 has label 3 and prediction 0, expected integers in \[0, 3\)/,
  );
});

test("classificationReport() matches scikit-learn's precision/recall/F1 and macro averages", () => {
  const r = classificationReport(confusionMatrix(predictions, labels, 3));
  // sklearn.metrics.classification_report(labels, predictions): precision 2/3, 1/2, 3/4; recall 2/3, 1/2, 3/4.
  assertClose(r.precision, [2 / 3, 1 / 2, 3 / 4], { rtol: 1e-12 });
  assertClose(r.recall, [2 / 3, 1 / 2, 3 / 4], { rtol: 1e-12 });
  assertClose(r.f1, [2 / 3, 1 / 2, 3 / 4], { rtol: 1e-12 });
  assert.deepEqual(r.support, [3, 2, 4]);
  assertClose(r.macro.f1, (2 / 3 + 1 / 2 + 3 / 4) / 3, { rtol: 1e-12 });
  assert.equal(r.accuracy, 6 / 9);
});

test("classificationReport() scores a never-predicted class 0 (zero_division=0)", () => {
  const r = classificationReport(confusionMatrix([0, 0], [0, 1], 2));
  assert.deepEqual(r.precision, [0.5, 0]);
  assert.deepEqual(r.recall, [1, 0]);
  assert.deepEqual(r.f1, [2 / 3, 0]);
});

test("formatReport() and formatConfusionMatrix() print one row per class with names", () => {
  const cm = confusionMatrix(predictions, labels, 3);
  const report = formatReport(classificationReport(cm), ["cat", "dog", "bird"]).split("\n");
  assert.equal(report.length, 5);
  assert.match(report[1], /^0 cat\s+66\.67\s+66\.67\s+66\.67\s+3$/);
  assert.match(report[4], /^macro avg\s+63\.89\s+63\.89\s+63\.89\s+9$/);
  const table = formatConfusionMatrix(cm, ["cat", "dog", "bird"]).split("\n");
  assert.equal(table.length, 4);
  assert.match(table[3], /^2 bird\s+1\s+0\s+3$/);
});
