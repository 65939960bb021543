/**
 * The playground's 28×28 drawing pad: a 280×280 canvas drawn on with mouse or touch
 * (pointer events), downsampled as MNIST's digits were made: the ink's bounding box scaled
 * to fit 20×20 (aspect kept, grayscale by area averaging), then placed in 28×28 so that its
 * center of mass is at the center.
 */

/// <reference lib="dom" />

/** Pad side in CSS pixels; the brush is sized to look like MNIST's pen at 28×28. */
export const PAD_SIZE = 280;
const BRUSH = 22;

/** Wires drawing onto `canvas`; `onChange` runs (at most once a frame) while and after one draws. */
export function setupPad(canvas: HTMLCanvasElement, onChange: () => void): { clear(): void } {
  canvas.width = PAD_SIZE;
  canvas.height = PAD_SIZE;
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, PAD_SIZE, PAD_SIZE);
  };
  clear();
  let last: { x: number; y: number } | null = null;
  let scheduled = false;
  const changed = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      onChange();
    });
  };
  const at = (event: PointerEvent) => {
    const box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * PAD_SIZE / box.width,
      y: (event.clientY - box.top) * PAD_SIZE / box.height,
    };
  };
  const stroke = (to: { x: number; y: number }) => {
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineWidth = BRUSH;
    ctx.lineCap = "round";
    ctx.beginPath();
    const from = last ?? to;
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    last = to;
    changed();
  };
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture?.(event.pointerId);
    last = null;
    stroke(at(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (last !== null) stroke(at(event));
  });
  const end = () => {
    last = null;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.style.touchAction = "none";
  return { clear };
}

/** The pad's ink as MNIST would have it: 28×28 bytes 0..255, or null when nothing is drawn. */
export function padToMnist(canvas: HTMLCanvasElement): Uint8Array | null {
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const size = canvas.width;
  const ink = new Float32Array(size * size);
  let top = size, bottom = -1, left = size, right = -1;
  for (let i = 0; i < size * size; i++) {
    const v = data[i * 4] / 255;
    ink[i] = v;
    if (v > 0.05) {
      const y = Math.floor(i / size), x = i % size;
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
      left = Math.min(left, x);
      right = Math.max(right, x);
    }
  }
  if (bottom < 0) return null;
  // Scale the bounding box to fit 20×20, keeping the aspect ratio (area averaging).
  const bw = right - left + 1, bh = bottom - top + 1;
  const scale = 20 / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale)), h = Math.max(1, Math.round(bh * scale));
  const small = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const y0 = top + y / scale, y1 = top + (y + 1) / scale;
      const x0 = left + x / scale, x1 = left + (x + 1) / scale;
      let sum = 0, area = 0;
      for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          const inside = sy <= bottom && sx <= right;
          sum += (inside ? ink[sy * size + sx] : 0) * wx * wy;
          area += wx * wy;
        }
      }
      small[y * w + x] = sum / area;
    }
  }
  // Center of mass of the 20×20 ink goes to (14, 14), as MNIST's preprocessing did.
  let mass = 0, cy = 0, cx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      mass += small[y * w + x];
      cy += y * small[y * w + x];
      cx += x * small[y * w + x];
    }
  }
  const dy = Math.round(14 - (cy / mass + 0.5)), dx = Math.round(14 - (cx / mass + 0.5));
  const out = new Uint8Array(28 * 28);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const ty = y + dy, tx = x + dx;
      if (ty >= 0 && ty < 28 && tx >= 0 && tx < 28) {
        out[ty * 28 + tx] = Math.round(Math.min(1, small[y * w + x]) * 255);
      }
    }
  }
  return out;
}
