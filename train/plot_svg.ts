/** plot_svg: loss and accuracy curves per epoch (train vs test) as a standalone SVG document. */

/** One epoch of history, as written to metrics.json. Missing test values are `null`. */
export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
}

/** A named series of (x, y) points drawn as one `<polyline>`. */
export interface Curve {
  label: string;
  color: string;
  points: [number, number][];
}

const WIDTH = 960;
const HEIGHT = 400;
const PANEL = { width: 380, height: 280, top: 64, left: [75, 555] };
const COLORS = { train: "#1f77b4", test: "#d62728" };

/**
 * Renders two panels, "Loss" and "Accuracy (%)", each with a train and a test curve
 * (one `<polyline>` per curve, a dot per epoch), axes with ticks, axis labels and a
 * legend. Curves with no finite points are left out. The result is well-formed XML.
 *
 * @example
 * ```ts
 * import { plotCurves } from "./plot_svg.ts";
 * const svg = plotCurves([{ epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, testLoss: 0.4, testAccuracy: 0.85 }]);
 * console.log(svg.startsWith("<?xml")); // true
 * ```
 */
export function plotCurves(history: readonly EpochPoint[], title = "Training curves"): string {
  const series = (pick: (e: EpochPoint) => number | null, scale = 1): [number, number][] =>
    history.flatMap((e) => {
      const y = pick(e);
      return y !== null && Number.isFinite(y) ? [[e.epoch, y * scale] as [number, number]] : [];
    });
  const loss: Curve[] = [
    { label: "train", color: COLORS.train, points: series((e) => e.trainLoss) },
    { label: "test", color: COLORS.test, points: series((e) => e.testLoss) },
  ];
  const acc: Curve[] = [
    { label: "train", color: COLORS.train, points: series((e) => e.trainAccuracy, 100) },
    { label: "test", color: COLORS.test, points: series((e) => e.testAccuracy, 100) },
  ];
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    panel("Loss", "loss", loss.filter((c) => c.points.length > 0), PANEL.left[0]),
    panel("Accuracy", "accuracy (%)", acc.filter((c) => c.points.length > 0), PANEL.left[1]),
    `</svg>`,
    "",
  ].join("\n");
}

function panel(title: string, yLabel: string, curves: Curve[], left: number): string {
  const { width, height, top } = PANEL;
  const all = curves.flatMap((c) => c.points);
  const xTicks = niceTicks(
    Math.min(1, ...all.map((p) => p[0])),
    Math.max(1, ...all.map((p) => p[0])),
    6,
    true,
  );
  const ys = all.map((p) => p[1]);
  const yTicks = niceTicks(
    ys.length > 0 ? Math.min(...ys) : 0,
    ys.length > 0 ? Math.max(...ys) : 1,
    6,
    false,
  );
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const sx = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * width;
  const sy = (y: number) => top + height - ((y - y0) / (y1 - y0 || 1)) * height;
  const out: string[] = [`<g class="panel">`];
  out.push(
    `<text x="${left + width / 2}" y="${
      top - 36
    }" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  );
  for (const t of yTicks) {
    const y = fmt(sy(t));
    out.push(`<line x1="${left}" y1="${y}" x2="${left + width}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="black"/>`);
    out.push(
      `<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${
        tickLabel(t)
      }</text>`,
    );
  }
  for (const t of xTicks) {
    const x = fmt(sx(t));
    out.push(
      `<line x1="${x}" y1="${top + height}" x2="${x}" y2="${top + height + 5}" stroke="black"/>`,
    );
    out.push(`<text x="${x}" y="${top + height + 18}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  out.push(
    `<line x1="${left}" y1="${top + height}" x2="${left + width}" y2="${
      top + height
    }" stroke="black"/>`,
  );
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + height}" stroke="black"/>`);
  out.push(
    `<text x="${left + width / 2}" y="${top + height + 38}" text-anchor="middle">epoch</text>`,
  );
  out.push(
    `<text x="${left - 50}" y="${top + height / 2}" text-anchor="middle" transform="rotate(-90 ${
      left - 50
    } ${top + height / 2})">${escapeXml(yLabel)}</text>`,
  );
  for (const curve of curves) {
    const pts = curve.points.map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`).join(" ");
    out.push(
      `<polyline class="curve" data-label="${
        escapeXml(curve.label)
      }" fill="none" stroke="${curve.color}" stroke-width="2" points="${pts}"/>`,
    );
    for (const [x, y] of curve.points) {
      out.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="2.5" fill="${curve.color}"/>`);
    }
  }
  // The legend sits above the plot area, right-aligned, so it never hides a curve.
  curves.forEach((curve, i) => {
    const y = top - 12;
    const x = left + width - 70 * (curves.length - i);
    out.push(
      `<line x1="${x}" y1="${y}" x2="${
        x + 22
      }" y2="${y}" stroke="${curve.color}" stroke-width="2"/>`,
    );
    out.push(
      `<text x="${x + 28}" y="${y}" dominant-baseline="middle">${escapeXml(curve.label)}</text>`,
    );
  });
  out.push(`</g>`);
  return out.join("\n");
}

/** About `count` round tick values (1, 2, 5 × 10^k steps) covering [min, max]; integers only when `integer`. */
export function niceTicks(min: number, max: number, count: number, integer: boolean): number[] {
  if (!(max > min)) {
    const pad = integer ? 1 : Math.abs(min) * 0.1 || 1;
    [min, max] = [min - (integer ? 0 : pad), max + pad];
  }
  const raw = (max - min) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  if (integer) step = Math.max(1, Math.round(step));
  const start = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let t = start; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) {
    ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  }
  return ticks;
}

function tickLabel(t: number): string {
  return Number.isInteger(t) ? String(t) : String(Number(t.toPrecision(4)));
}

function fmt(v: number): string {
  return v.toFixed(1);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}
