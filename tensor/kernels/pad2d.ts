/** Zero padding of image planes and its backward (a crop), for convolutions with asymmetric padding. */

/**
 * Copies each h×w plane of x into a zero hOut×wOut plane of y at row `top`, column `left`
 * (so the plane is padded by `top` rows above, `hOut − h − top` below, and likewise for columns).
 *
 * @param x input [planes, h, w]
 * @param y output [planes, hOut, wOut], overwritten
 */
export function pad2dForward(
  x: Float32Array,
  planes: number,
  h: number,
  w: number,
  top: number,
  left: number,
  y: Float32Array,
  hOut: number,
  wOut: number,
): void {
  y.fill(0, 0, planes * hOut * wOut);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < h; i++) {
      const src = (p * h + i) * w;
      y.set(x.subarray(src, src + w), (p * hOut + i + top) * wOut + left);
    }
  }
}

/**
 * Backward of `pad2dForward`: gx is the h×w window of each plane of gy at (`top`, `left`).
 *
 * @param gy dL/dy [planes, hOut, wOut]
 * @param gx dL/dx [planes, h, w], OVERWRITTEN
 */
export function pad2dBackward(
  gy: Float32Array,
  planes: number,
  hOut: number,
  wOut: number,
  top: number,
  left: number,
  gx: Float32Array,
  h: number,
  w: number,
): void {
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < h; i++) {
      const src = (p * hOut + i + top) * wOut + left;
      gx.set(gy.subarray(src, src + w), (p * h + i) * w);
    }
  }
}
