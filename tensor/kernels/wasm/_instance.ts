/**
 * The compiled kernels.wat module and its memory, shared by gemm_wasm.ts, conv2d_wasm.ts and
 * pool2d_wasm.ts.
 */

import { KERNELS_RELAXED_SIMD_WASM, KERNELS_SIMD_WASM } from "./_kernels_wasm_bytes.ts";

/**
 * Which build of kernels.wat runs: `"relaxed-simd"` (f32x4.relaxed_madd, fused on CPUs with FMA)
 * or `"simd"` (plain 128-bit SIMD, separate multiply and add).
 */
export type WasmGemmFlavor = "relaxed-simd" | "simd";

/** The exports of kernels.wat; every pointer is a byte address in `memory` (see kernels.wat). */
export interface WasmKernelExports {
  memory: WebAssembly.Memory;
  /** C = alpha·op(A)·op(B) + beta·C on operands already in memory (beta ignored if overwrite). */
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    alpha: number,
    beta: number,
    overwrite: number,
    work: number,
  ): void;
  /** im2col of one sample's [c, h, w] image at x into cols, or col2im (cols added onto x) if add. */
  im2col(
    x: number,
    c: number,
    h: number,
    w: number,
    kh: number,
    kw: number,
    strideH: number,
    strideW: number,
    padH: number,
    padW: number,
    dilationH: number,
    dilationW: number,
    hOut: number,
    wOut: number,
    cols: number,
    add: number,
  ): void;
  /** Copies [planes, rows, cols] floats from src to dst with the given row and plane strides (floats). */
  copyRows(
    src: number,
    dst: number,
    planes: number,
    rows: number,
    cols: number,
    srcRow: number,
    srcPlane: number,
    dstRow: number,
    dstPlane: number,
  ): void;
  /**
   * y[s, o, i·outW + j] = bias[o] + Σ_r w[o, r]·x[s, off_r + i·ldx + j]: stride-1 convolution as
   * shifted taps.
   */
  convTaps(
    x: number,
    xStride: number,
    samples: number,
    offs: number,
    rows: number,
    w: number,
    m: number,
    y: number,
    ldy: number,
    yStride: number,
    outRows: number,
    outW: number,
    ldx: number,
  ): void;
  /**
   * gw[o·ldw + r] += Σ_{s, i, j} gy[s, o, i·outW + j]·x[s, off_r + i·ldx + j]: the weight gradient
   * of convTaps.
   */
  convTapsWeight(
    gy: number,
    gyStride: number,
    ldg: number,
    m: number,
    x: number,
    xStride: number,
    samples: number,
    offs: number,
    rows: number,
    outRows: number,
    outW: number,
    ldx: number,
    gw: number,
    ldw: number,
  ): void;
  /** dst[o] += Σ_s Σ_{f < n} src[s·ss + o·ld + f] for o < planes (the bias gradient). */
  planeSums(
    src: number,
    sampleStride: number,
    samples: number,
    planes: number,
    ld: number,
    n: number,
    dst: number,
  ): void;
  /**
   * Winograd F(2×2, 3×3) input transform: V[ξ, c, tile] = (Bᵀ d B)[ξ] of the 4×4 input d of each
   * 2×2 output tile of `samples` × `channels` zero-padded planes, 4 tiles per f32x4 (tilesW a
   * multiple of 4); V[ξ] is [channels, ldv].
   */
  winogradInput(
    x: number,
    samples: number,
    channels: number,
    plane: number,
    row: number,
    tilesH: number,
    tilesW: number,
    v: number,
    ldv: number,
    vStride: number,
  ): void;
  /**
   * Winograd F(2×2, 3×3) output transform: the 2×2 tile bias[k] + Aᵀ m A of M[ξ, k, tile]
   * (M[ξ] [channels, ldm]) into `samples` × `channels` planes of `plane` floats, rows `row` apart.
   */
  winogradOutput(
    m: number,
    samples: number,
    channels: number,
    tilesH: number,
    tilesW: number,
    ldm: number,
    mStride: number,
    bias: number,
    y: number,
    plane: number,
    row: number,
  ): void;
  /**
   * Winograd F(2×2, 3×3) output-gradient transform, the adjoint of winogradOutput: dM[ξ, k, tile]
   * = (A dY Aᵀ)[ξ] of each 2×2 tile dY of `samples` × `channels` planes of `plane` floats (rows
   * `row` apart, zero past the output edge), 4 tiles per f32x4; dM[ξ] is [channels, ldm].
   */
  winogradOutputGrad(
    gy: number,
    samples: number,
    channels: number,
    plane: number,
    row: number,
    tilesH: number,
    tilesW: number,
    dm: number,
    ldm: number,
    mStride: number,
  ): void;
  /** maxPool2dForward over `planes` [h, w] planes at x into y (f32) and arg (i32). */
  /**
   * y = [g·] [x·] P(x) on `pairs` pairs of floats with P the eighths polynomial at `table`
   * (gelu_wasm.ts); returns the count of inputs outside the table's range (outputs to redo).
   */
  eighths(x: number, g: number, y: number, pairs: number, table: number, mulX: number): number;
  /** The index of the first non-finite of `n` floats at `x`, or -1 (finite_wasm.ts). */
  firstNonFinite(x: number, n: number): number;
  /** max(x, 0) in place on n floats at x (NaN kept, -Infinity to 0). */
  reluInPlace(x: number, n: number): void;
  /**
   * y = x·P(x) (float32) and d = Q(x) (float64) on `pairs` pairs, P and Q the eighths polynomials
   * at `table` and `table2` (gelu_wasm.ts); returns the count of inputs outside their range.
   */
  eighthsBoth(
    x: number,
    y: number,
    d: number,
    pairs: number,
    table: number,
    table2: number,
  ): number;
  maxPool(
    x: number,
    planes: number,
    h: number,
    w: number,
    kh: number,
    kw: number,
    strideH: number,
    strideW: number,
    padH: number,
    padW: number,
    dilationH: number,
    dilationW: number,
    hOut: number,
    wOut: number,
    y: number,
    arg: number,
  ): void;
  /**
   * sgdKernel of optimizer.ts on `quads` groups of four floats at p, g and b in float32 (b unused
   * for mode 0: no momentum; mode 1: first step; mode 2: later steps), updating p and b in
   * place; `step` is −lr, `keep` 1 − dampening (every scalar rounds to float32 on the way in);
   * `fused` 1 only where {@linkcode fusedMadd} says relaxed_madd rounds once.
   */
  sgd(
    p: number,
    g: number,
    b: number,
    quads: number,
    step: number,
    momentum: number,
    keep: number,
    weightDecay: number,
    sign: number,
    mode: number,
    nesterov: number,
    fused: number,
  ): void;
  /** 1 where f32x4.relaxed_madd rounds once (a fused multiply-add), 0 where it rounds twice. */
  fusedMadd(): number;
  /**
   * adamKernel of optimizer.ts on `pairs` pairs of floats at p, g, m, v and vMax (0: no amsgrad),
   * updating p, m, v and vMax in place.
   */
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    vMax: number,
    pairs: number,
    beta1: number,
    beta2: number,
    stepSize: number,
    bc2Sqrt: number,
    eps: number,
    sign: number,
    l2: number,
    decay: number,
  ): void;
  /**
   * rmspropKernel of optimizer.ts on `pairs` pairs of floats at p, g, sq, gAvg (0: not centered)
   * and buf (0: no momentum), updating all but g in place.
   */
  rmsprop(
    p: number,
    g: number,
    sq: number,
    gAvg: number,
    buf: number,
    pairs: number,
    lr: number,
    alpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
    sign: number,
  ): void;
  /** adagradKernel of optimizer.ts on `pairs` pairs of floats at p, g and sum, updating p and sum. */
  adagrad(
    p: number,
    g: number,
    sum: number,
    pairs: number,
    clr: number,
    eps: number,
    weightDecay: number,
    sign: number,
  ): void;
  /** lionKernel of optimizer.ts on `pairs` pairs of floats at p, g and m, updating p and m. */
  lion(
    p: number,
    g: number,
    m: number,
    pairs: number,
    lr: number,
    beta1: number,
    beta2: number,
    decay: number,
  ): void;
}

/** Bytes [0, WORK) are kernels.wat's edge-tile scratch; its packing buffers start at WORK. */
export const WORK = 256;
/** Rows of op(A), depth and columns of op(B) per block: kernels.wat's MC, KC, NC. */
export const MC = 128, KC = 256, NC = 1024;
/** First byte after the largest packing buffers kernels.wat can use (n ≥ NC). */
export const WORK_END = WORK + (MC * KC + KC * NC) * 4;

const PAGE = 65536;

const BYTES: Record<WasmGemmFlavor, string> = {
  "relaxed-simd": KERNELS_RELAXED_SIMD_WASM,
  "simd": KERNELS_SIMD_WASM,
};

/** The bytes of a base64 text (a module of _kernels_wasm_bytes.ts). */
export function decode(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** One instance of kernels.wat: its exports plus a Float32Array view that follows memory growth. */
export class WasmInstance {
  readonly flavor: WasmGemmFlavor;
  readonly exports: WasmKernelExports;
  #heap: Float32Array;

  constructor(flavor: WasmGemmFlavor, exports: WasmKernelExports) {
    this.flavor = flavor;
    this.exports = exports;
    this.#heap = new Float32Array(exports.memory.buffer);
  }

  /** Grows the memory to at least `bytes` and returns the (possibly new) float view of all of it. */
  reserve(bytes: number): Float32Array {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.#heap.buffer !== memory.buffer) this.#heap = new Float32Array(memory.buffer);
    return this.#heap;
  }
}

/**
 * Compiles one flavor synchronously, or returns null where this runtime lacks its features.
 * WebAssembly.validate of the real module is the feature test: it fails exactly when an
 * instruction the module uses (SIMD, relaxed SIMD) is unknown to the engine.
 */
export function loadWasmInstance(flavor: WasmGemmFlavor): WasmInstance | null {
  if (typeof WebAssembly !== "object") return null;
  const bytes = decode(BYTES[flavor]);
  if (!WebAssembly.validate(bytes)) return null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return new WasmInstance(flavor, instance.exports as unknown as WasmKernelExports);
  } catch {
    return null; // e.g. a host that forbids compiling code at run time
  }
}

/** The best flavor this runtime validates, compiled once per thread (each Worker has its own). */
export const bestInstance: WasmInstance | null = loadWasmInstance("relaxed-simd") ??
  loadWasmInstance("simd");

/**
 * {@linkcode bestInstance}, or a TypeError saying that `fn` cannot run without WebAssembly SIMD and
 * naming the plain-TypeScript `fallback` to use instead.
 */
export function requireInstance(fn: string, fallback: string): WasmInstance {
  if (bestInstance === null) {
    throw new TypeError(
      `Cannot run ${fn}: this runtime has no WebAssembly SIMD (wasmSimdSupported() is false); use ${fallback}`,
    );
  }
  return bestInstance;
}

type WindowField =
  | "kh"
  | "kw"
  | "strideH"
  | "strideW"
  | "padH"
  | "padW"
  | "dilationH"
  | "dilationW";

/**
 * The sliding window of a conv or pool geometry (both name its fields alike), as the eight
 * arguments kernels.wat's im2col and maxPool take in this order.
 */
export function windowArgs(g: Readonly<Record<WindowField, number>>) {
  return [g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW] as const;
}
