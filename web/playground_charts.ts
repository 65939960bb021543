/**
 * The playground's pictures: line charts (loss, accuracy) on a canvas, the per-class
 * precision/recall/F1 table and the confusion matrix as HTML tables, and the decision
 * boundary of a 2-D set (each class's region tinted by the model's probability, the test
 * points on top).
 */

/// <reference lib="dom" />

import type { ClassificationReport } from "../train/metrics.ts";

/** Class colors (also the series colors of the charts). */
export const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

/** One named series of (x, y) points. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** Draws `series` on `canvas` with axes scaled to the data; `yRange` fixes the y axis. */
export function drawChart(
  canvas: HTMLCanvasElement,
  title: string,
  series: Series[],
  yRange?: [number, number],
): void {
  const ctx = canvas.getContext("2d")!;
  const { width, height } = canvas;
  const pad = { left: 44, right: 8, top: 20, bottom: 22 };
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#222";
  ctx.font = "12px sans-serif";
  ctx.fillText(title, pad.left, 14);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return;
  const xMax = Math.max(...all.map((p) => p[0]), 1e-9);
  let [yMin, yMax] = yRange ??
    [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const sx = (x: number) => pad.left + x / xMax * (width - pad.left - pad.right);
  const sy = (y: number) =>
    height - pad.bottom - (y - yMin) / (yMax - yMin) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = "#999";
  ctx.beginPath();
  ctx.moveTo(pad.left, pad.top);
  ctx.lineTo(pad.left, height - pad.bottom);
  ctx.lineTo(width - pad.right, height - pad.bottom);
  ctx.stroke();
  ctx.fillStyle = "#555";
  ctx.fillText(yMax.toPrecision(3), 2, pad.top + 8);
  ctx.fillText(yMin.toPrecision(3), 2, height - pad.bottom);
  ctx.fillText(`epoch ${xMax.toFixed(2)}`, width - 80, height - 6);
  series.forEach((s, i) => {
    ctx.strokeStyle = COLORS[i % COLORS.length];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.points.forEach((
      [x, y],
      j,
    ) => (j === 0 ? ctx.moveTo(sx(x), sy(y)) : ctx.lineTo(sx(x), sy(y))));
    if (s.points.length === 1) ctx.arc(sx(s.points[0][0]), sy(s.points[0][1]), 2, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = COLORS[i % COLORS.length];
    ctx.fillText(s.name, pad.left + 10 + i * 90, pad.top + 12);
  });
}

/** Fills `table` with per-class precision, recall, F1 and support, then the macro averages. */
export function showReport(
  table: HTMLTableElement,
  report: ClassificationReport,
  names: string[],
): void {
  const f = (v: number) => v.toFixed(3);
  const rows = report.precision.map((p, k) =>
    `<tr><th>${escape(names[k] ?? String(k))}</th><td>${f(p)}</td><td>${f(report.recall[k])}</td>` +
    `<td>${f(report.f1[k])}</td><td>${report.support[k]}</td></tr>`
  );
  const m = report.macro;
  table.innerHTML =
    `<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>` +
    rows.join("") +
    `<tr class="total"><th>macro avg</th><td>${f(m.precision)}</td><td>${f(m.recall)}</td><td>${
      f(m.f1)
    }</td><td>${report.support.reduce((a, b) => a + b, 0)}</td></tr>`;
}

/** Fills `table` with the confusion matrix (rows: true class, columns: predicted), shaded by row share. */
export function showConfusion(
  table: HTMLTableElement,
  report: ClassificationReport,
  names: string[],
): void {
  const { numClasses: k, counts } = report.confusion;
  const head = `<tr><th>true \\ pred</th>${
    Array.from({ length: k }, (_, p) => `<th>${escape(short(names[p] ?? String(p)))}</th>`).join("")
  }</tr>`;
  const rows = Array.from({ length: k }, (_, t) => {
    const total = Math.max(1, report.support[t]);
    const cells = Array.from({ length: k }, (_, p) => {
      const c = counts[t * k + p];
      const share = c / total;
      const color = t === p
        ? `rgba(44,160,44,${share})`
        : `rgba(214,39,40,${Math.min(1, share * 5)})`;
      return `<td style="background:${color}">${c}</td>`;
    }).join("");
    return `<tr><th>${escape(short(names[t] ?? String(t)))}</th>${cells}</tr>`;
  });
  table.innerHTML = head + rows.join("");
}

/**
 * Paints the decision boundary of a 2-D classifier on `canvas`: `probabilities` maps grid
 * points to class probabilities; the test `points` (x, y, label) are drawn over it.
 */
export function drawBoundary(
  canvas: HTMLCanvasElement,
  probabilities: (xy: Float32Array, n: number) => Float32Array[],
  points: { x: Float32Array; labels: ArrayLike<number> },
): void {
  const ctx = canvas.getContext("2d")!;
  const { width, height } = canvas;
  const n = points.labels.length;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, points.x[2 * i]);
    x1 = Math.max(x1, points.x[2 * i]);
    y0 = Math.min(y0, points.x[2 * i + 1]);
    y1 = Math.max(y1, points.x[2 * i + 1]);
  }
  const mx = (x1 - x0) * 0.1, my = (y1 - y0) * 0.1;
  [x0, x1, y0, y1] = [x0 - mx, x1 + mx, y0 - my, y1 + my];
  const cells = 60, cw = width / cells, ch = height / cells;
  const grid = new Float32Array(cells * cells * 2);
  for (let r = 0; r < cells; r++) {
    for (let c = 0; c < cells; c++) {
      grid[(r * cells + c) * 2] = x0 + (c + 0.5) / cells * (x1 - x0);
      grid[(r * cells + c) * 2 + 1] = y1 - (r + 0.5) / cells * (y1 - y0);
    }
  }
  const probs = probabilities(grid, cells * cells);
  for (let i = 0; i < cells * cells; i++) {
    const p = probs[i];
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
    ctx.globalAlpha = 0.15 + 0.45 * p[best];
    ctx.fillStyle = COLORS[best % COLORS.length];
    ctx.clearRect((i % cells) * cw, Math.floor(i / cells) * ch, cw + 1, ch + 1);
    ctx.fillRect((i % cells) * cw, Math.floor(i / cells) * ch, cw + 1, ch + 1);
  }
  ctx.globalAlpha = 1;
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = COLORS[points.labels[i] % COLORS.length];
    ctx.strokeStyle = "#000";
    ctx.beginPath();
    ctx.arc(
      (points.x[2 * i] - x0) / (x1 - x0) * width,
      (y1 - points.x[2 * i + 1]) / (y1 - y0) * height,
      3,
      0,
      2 * Math.PI,
    );
    ctx.fill();
    ctx.stroke();
  }
}

function short(name: string): string {
  return name.length > 6 ? name.slice(0, 6) : name;
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
