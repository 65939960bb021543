/**
 * Float64 reference optimizers for the trajectory tests, written independently of
 * optim/ from the published algorithms (PyTorch's documented pseudo-code for SGD,
 * Adam, AdamW, RMSprop and Adagrad; Algorithm 2 of the Lion paper). Whole-array,
 * one line per line of the algorithm; plain number arrays, no rounding to float32.
 */

/** Per-parameter reference state: step count and named float64 buffers. */
export interface RefState {
  t: number;
  [name: string]: number[] | number;
}

/** A reference update: returns θ_t from θ_{t−1}, the gradient and the mutable state. */
export type RefUpdate = (
  theta: number[],
  grad: number[],
  s: RefState,
  hp: Record<string, unknown>,
) => number[];

const zeros = (n: number) => new Array<number>(n).fill(0);
const buf = (s: RefState, name: string, n: number, init = 0): number[] => {
  if (!Array.isArray(s[name])) s[name] = new Array<number>(n).fill(init);
  return s[name] as number[];
};

/** torch.optim.SGD, documented algorithm. */
export const refSGD: RefUpdate = (theta, grad, s, hp) => {
  const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } =
    hp as Record<string, number & boolean>;
  s.t += 1;
  let g = grad.map((x) => (maximize ? -x : x));
  if (weightDecay !== 0) g = g.map((x, i) => x + weightDecay * theta[i]);
  if (momentum !== 0) {
    let b = buf(s, "b", g.length);
    b = s.t > 1 ? b.map((x, i) => momentum * x + (1 - dampening) * g[i]) : [...g];
    s.b = b;
    g = nesterov ? g.map((x, i) => x + momentum * b[i]) : [...b];
  }
  return theta.map((x, i) => x - lr * g[i]);
};

/** torch.optim.Adam (and AdamW with `decoupled`), documented algorithm. */
export const refAdam: RefUpdate = (theta, grad, s, hp) => {
  const { lr, betas, eps, weightDecay = 0, amsgrad = false, maximize = false, decoupled = false } =
    hp as {
      lr: number;
      betas: number[];
      eps: number;
      weightDecay: number;
      amsgrad: boolean;
      maximize: boolean;
      decoupled: boolean;
    };
  const [b1, b2] = betas;
  const n = theta.length;
  s.t += 1;
  const t = s.t;
  let g = grad.map((x) => (maximize ? -x : x));
  let th = [...theta];
  if (decoupled) th = th.map((x) => x - lr * weightDecay * x);
  else if (weightDecay !== 0) g = g.map((x, i) => x + weightDecay * th[i]);
  const m = buf(s, "m", n).map((x, i) => b1 * x + (1 - b1) * g[i]);
  const v = buf(s, "v", n).map((x, i) => b2 * x + (1 - b2) * g[i] * g[i]);
  s.m = m;
  s.v = v;
  const mHat = m.map((x) => x / (1 - b1 ** t));
  let vHat: number[];
  if (amsgrad) {
    const vMax = buf(s, "vMax", n).map((x, i) => Math.max(x, v[i]));
    s.vMax = vMax;
    vHat = vMax.map((x) => x / (1 - b2 ** t));
  } else {
    vHat = v.map((x) => x / (1 - b2 ** t));
  }
  return th.map((x, i) => x - (lr * mHat[i]) / (Math.sqrt(vHat[i]) + eps));
};

/** torch.optim.RMSprop, documented algorithm. */
export const refRMSprop: RefUpdate = (theta, grad, s, hp) => {
  const {
    lr,
    alpha = 0.99,
    eps = 1e-8,
    weightDecay = 0,
    momentum = 0,
    centered = false,
    maximize = false,
  } = hp as Record<string, number & boolean>;
  const n = theta.length;
  s.t += 1;
  let g = grad.map((x) => (maximize ? -x : x));
  if (weightDecay !== 0) g = g.map((x, i) => x + weightDecay * theta[i]);
  const v = buf(s, "v", n).map((x, i) => alpha * x + (1 - alpha) * g[i] * g[i]);
  s.v = v;
  let vTilde = [...v];
  if (centered) {
    const gAve = buf(s, "gAve", n).map((x, i) => x * alpha + (1 - alpha) * g[i]);
    s.gAve = gAve;
    vTilde = vTilde.map((x, i) => x - gAve[i] * gAve[i]);
  }
  if (momentum > 0) {
    const b = buf(s, "b", n).map((x, i) => momentum * x + g[i] / (Math.sqrt(vTilde[i]) + eps));
    s.b = b;
    return theta.map((x, i) => x - lr * b[i]);
  }
  return theta.map((x, i) => x - (lr * g[i]) / (Math.sqrt(vTilde[i]) + eps));
};

/** torch.optim.Adagrad, documented algorithm. */
export const refAdagrad: RefUpdate = (theta, grad, s, hp) => {
  const {
    lr,
    lrDecay = 0,
    weightDecay = 0,
    initialAccumulatorValue = 0,
    eps = 1e-10,
    maximize = false,
  } = hp as Record<string, number & boolean>;
  const n = theta.length;
  s.t += 1;
  let g = grad.map((x) => (maximize ? -x : x));
  const lrT = lr / (1 + (s.t - 1) * lrDecay);
  if (weightDecay !== 0) g = g.map((x, i) => x + weightDecay * theta[i]);
  const sum = buf(s, "sum", n, initialAccumulatorValue).map((x, i) => x + g[i] * g[i]);
  s.sum = sum;
  return theta.map((x, i) => x - (lrT * g[i]) / (Math.sqrt(sum[i]) + eps));
};

/** Lion, Algorithm 2 of Chen et al. 2023: θ ← θ − η·(sign(β1·m + (1 − β1)·g) + λθ); m ← β2·m + (1 − β2)·g. */
export const refLion: RefUpdate = (theta, grad, s, hp) => {
  const { lr, betas = [0.9, 0.99], weightDecay = 0 } = hp as {
    lr: number;
    betas: number[];
    weightDecay: number;
  };
  const [b1, b2] = betas;
  const n = theta.length;
  s.t += 1;
  const m = buf(s, "m", n);
  const c = m.map((x, i) => b1 * x + (1 - b1) * grad[i]);
  const next = theta.map((x, i) => x - lr * (Math.sign(c[i]) + weightDecay * x));
  s.m = m.map((x, i) => b2 * x + (1 - b2) * grad[i]);
  return next;
};

/** Fresh reference state. */
export function refState(): RefState {
  return { t: 0 };
}

export { zeros };
