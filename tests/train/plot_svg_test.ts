import { test } from "node:test";
import assert from "node:assert/strict";
import { type EpochPoint, niceTicks, plotCurves } from "../../train/plot_svg.ts";
import { findAll, parseXml } from "./_xml.ts";

const history: EpochPoint[] = [
  { epoch: 1, trainLoss: 0.9, trainAccuracy: 0.7, testLoss: 0.6, testAccuracy: 0.8 },
  { epoch: 2, trainLoss: 0.4, trainAccuracy: 0.88, testLoss: 0.35, testAccuracy: 0.9 },
  { epoch: 3, trainLoss: 0.2, trainAccuracy: 0.95, testLoss: 0.25, testAccuracy: 0.93 },
];

test("plotCurves() is well-formed XML with one polyline per curve (train/test × loss/accuracy)", () => {
  const root = parseXml(plotCurves(history, "a <title> & more"));
  assert.equal(root.name, "svg");
  const lines = findAll(root, "polyline");
  assert.equal(lines.length, 4);
  assert.deepEqual(lines.map((l) => l.attributes["data-label"]), [
    "train",
    "test",
    "train",
    "test",
  ]);
  for (const line of lines) assert.equal(line.attributes.points.split(" ").length, 3);
});

test("plotCurves() labels both axes, titles both panels and draws a legend", () => {
  const svg = plotCurves(history);
  assert.ok(findAll(parseXml(svg), "text").length > 10, "tick labels are <text> elements");
  for (
    const label of [
      ">Loss<",
      ">Accuracy<",
      ">epoch<",
      ">loss<",
      ">accuracy (%)<",
      ">train<",
      ">test<",
    ]
  ) {
    assert.ok(svg.includes(label), `missing ${label}`);
  }
});

test("plotCurves() leaves out a curve with no finite points (no test set)", () => {
  const noTest = history.map((e) => ({ ...e, testLoss: null, testAccuracy: null }));
  assert.equal(findAll(parseXml(plotCurves(noTest)), "polyline").length, 2);
});

test("plotCurves() draws a single epoch without NaN coordinates", () => {
  const svg = plotCurves(history.slice(0, 1));
  assert.ok(!svg.includes("NaN"));
  assert.equal(findAll(parseXml(svg), "polyline").length, 4);
});

test("niceTicks() covers the range with round steps", () => {
  assert.deepEqual(niceTicks(0.13, 0.92, 6, false), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(1, 10, 6, true), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(1, 1, 6, true), [1, 2]);
});

test("parseXml() (the test's checker) rejects mismatched tags, raw ampersands and unquoted attributes", () => {
  assert.throws(() => parseXml("<svg><g></svg>"), /expected <\/g>/);
  assert.throws(() => parseXml("<svg><text>a & b</text></svg>"), /raw "&"/);
  assert.throws(() => parseXml("<svg width=3/>"), /bad tag/);
});
