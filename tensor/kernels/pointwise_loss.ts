/**
 * Pointwise loss kernels (MSE, binary cross-entropy on logits) on flat typed arrays.
 *
 * Forward kernels return Σ_k ℓ_k over lo ≤ k < hi in float64 and, when `losses` is not
 * null, store each ℓ_k there. Backward kernels OVERWRITE `gx[k]` with `g_k · dℓ_k/dx_k`,
 * where `g_k = scale · gradOut[k]` (or `scale` when `gradOut` is null): pass `scale = 1 / N`
 * for a mean, 1 for a sum. No kernel checks its inputs: the loss classes in `losses/` do.
 * Class-index losses (cross-entropy, NLL) live in `loss.ts`.
 */

/**
 * Squared error: ℓ_k = (x_k − y_k)². Returns Σ_k ℓ_k over lo ≤ k < hi.
 *
 * @param pred x [size]
 * @param target y [size]
 * @param losses ℓ [size] or null
 */
export function mseForward(
  pred: Float32Array,
  target: Float32Array,
  losses: Float32Array | null,
  lo: number,
  hi: number,
): number {
  let total = 0;
  for (let k = lo; k < hi; k++) {
    const d = pred[k] - target[k];
    const l = d * d;
    if (losses !== null) losses[k] = l;
    total += l;
  }
  return total;
}

/**
 * Gradient of the squared error: gx_k = g_k · 2(x_k − y_k).
 *
 * @param gradOut upstream gradient per element [size] or null (all ones)
 * @param gx dL/dx [size], OVERWRITTEN
 */
export function mseBackward(
  pred: Float32Array,
  target: Float32Array,
  gradOut: Float32Array | null,
  scale: number,
  gx: Float32Array,
  lo: number,
  hi: number,
): void {
  for (let k = lo; k < hi; k++) {
    const g = gradOut === null ? scale : scale * gradOut[k];
    gx[k] = g * 2 * (pred[k] - target[k]);
  }
}

/**
 * Binary cross-entropy on logits x with targets y, PyTorch's stable form:
 * ℓ_k = w_k · ((1 − y_k)·x_k + (1 + (pw_k − 1)·y_k) · softplus(−x_k)),
 * softplus(−x) = max(−x, 0) + log1p(exp(−|x|)) = −log σ(x). Returns Σ_k ℓ_k over [lo, hi).
 *
 * @param pred logits x [size]
 * @param target y [size] (probabilities, usually 0 or 1)
 * @param weight w [size] (already broadcast, see `broadcastInto`) or null (ones)
 * @param posWeight pw [size] (already broadcast) or null (ones)
 * @param losses ℓ [size] or null
 */
export function bceWithLogitsForward(
  pred: Float32Array,
  target: Float32Array,
  weight: Float32Array | null,
  posWeight: Float32Array | null,
  losses: Float32Array | null,
  lo: number,
  hi: number,
): number {
  let total = 0;
  for (let k = lo; k < hi; k++) {
    const x = pred[k];
    const y = target[k];
    const softplusNeg = Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    const logWeight = posWeight === null ? 1 : 1 + (posWeight[k] - 1) * y;
    let l = (1 - y) * x + logWeight * softplusNeg;
    if (weight !== null) l *= weight[k];
    if (losses !== null) losses[k] = l;
    total += l;
  }
  return total;
}

/**
 * Gradient of `bceWithLogitsForward`:
 * gx_k = g_k · w_k · ((1 − y_k) − (1 + (pw_k − 1)·y_k) · σ(−x_k)); with pw = 1 this is w·(σ(x) − y).
 *
 * @param gradOut upstream gradient per element [size] or null (all ones)
 * @param gx dL/dx [size], OVERWRITTEN
 */
export function bceWithLogitsBackward(
  pred: Float32Array,
  target: Float32Array,
  weight: Float32Array | null,
  posWeight: Float32Array | null,
  gradOut: Float32Array | null,
  scale: number,
  gx: Float32Array,
  lo: number,
  hi: number,
): void {
  for (let k = lo; k < hi; k++) {
    const x = pred[k];
    const y = target[k];
    // σ(−x) without overflow for large |x|.
    const e = Math.exp(-Math.abs(x));
    const sigmoidNeg = x >= 0 ? e / (1 + e) : 1 / (1 + e);
    const logWeight = posWeight === null ? 1 : 1 + (posWeight[k] - 1) * y;
    let g = gradOut === null ? scale : scale * gradOut[k];
    if (weight !== null) g *= weight[k];
    gx[k] = g * ((1 - y) - logWeight * sigmoidNeg);
  }
}

/**
 * Writes `src` (shape `srcShape`) broadcast to `dstShape` into `dst`, NumPy/PyTorch rules:
 * shapes align on the right and every source dimension is 1 or equal to the destination's.
 * The caller checks the shapes (see `losses/bce_with_logits.ts`).
 *
 * @param src [...srcShape]
 * @param dst [...dstShape], overwritten
 */
export function broadcastInto(
  src: Float32Array,
  srcShape: readonly number[],
  dst: Float32Array,
  dstShape: readonly number[],
): void {
  const rank = dstShape.length;
  const offset = rank - srcShape.length;
  // Source stride of each destination dimension (0 where the source is broadcast).
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let d = rank - 1; d >= offset; d--) {
    const size = srcShape[d - offset];
    strides[d] = size === 1 ? 0 : stride;
    stride *= size;
  }
  const index = new Array<number>(rank).fill(0);
  let srcPos = 0;
  for (let k = 0; k < dst.length; k++) {
    dst[k] = src[srcPos];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      srcPos += strides[d];
      if (index[d] < dstShape[d]) break;
      srcPos -= strides[d] * index[d];
      index[d] = 0;
    }
  }
}
