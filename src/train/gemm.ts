/**
 * Dense matrix products over flat row-major slabs: the hot loops of LSTM training.
 *
 * All three kernels ACCUMULATE into C (C += ...); callers zero or bias-fill C first. Offsets and
 * leading dimensions let a kernel work on a sub-matrix of a bigger slab (one time step of a
 * (T, B, 4H) buffer) without copying.
 *
 * Two paths. When A, B and C are Float32 slabs of one F32Arena and N % 4 = 0, the product runs in
 * the WebAssembly SIMD kernels (wasm-gemm.ts: register-tiled, ~25 GFLOP/s CPU time here). Otherwise
 * (float64 gradient checks, odd widths) it runs in plain TS: i-k-j with k unrolled by 4, so the
 * innermost loop walks a row of B and a row of C contiguously and each C element is loaded/stored
 * once per 4 multiply-adds; k is blocked so the B panel (KC rows) stays in cache (~1 GFLOP/s).
 */
import { simdKernelsFor } from './f32-arena.js';
import type { GemmKernel, SimdKernels } from './f32-arena.js';
import { NN_TILE, TN_TILE } from './wasm-gemm.js';

export type Slab = Float32Array | Float64Array;
export type SlabConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Rows of B per k-block: 64 rows × 256 floats = 64 KiB, sized for L2 at hidden 64. */
const KC = 64;

/** C (M×N) += A (M×K) · B (K×N). SIMD when all three slabs live in one F32Arena and N % 4 = 0. */
export function gemmNN(
  M: number,
  N: number,
  K: number,
  A: Slab,
  aOff: number,
  lda: number,
  B: Slab,
  bOff: number,
  ldb: number,
  C: Slab,
  cOff: number,
  ldc: number,
): void {
  const simd = simdFor(A, B, C, N);
  if (simd !== undefined) {
    runTiled(simd.nnTile, NN_TILE, simd.nn2x4, simd.nn1x4, simd.nn1x1, false, M, N, K, addr(A, aOff), lda, addr(B, bOff), ldb, addr(C, cOff), ldc);
    return;
  }
  jsGemmNN(M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
}

function jsGemmNN(
  M: number,
  N: number,
  K: number,
  A: Slab,
  aOff: number,
  lda: number,
  B: Slab,
  bOff: number,
  ldb: number,
  C: Slab,
  cOff: number,
  ldc: number,
): void {
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = Math.min(K, k0 + KC);
    const k4 = k0 + ((k1 - k0) & ~3);
    for (let i = 0; i < M; i++) {
      const ai = aOff + i * lda;
      const ci = cOff + i * ldc;
      let k = k0;
      for (; k < k4; k += 4) {
        const a0 = A[ai + k]!;
        const a1 = A[ai + k + 1]!;
        const a2 = A[ai + k + 2]!;
        const a3 = A[ai + k + 3]!;
        const b0 = bOff + k * ldb;
        const b1 = b0 + ldb;
        const b2 = b1 + ldb;
        const b3 = b2 + ldb;
        for (let j = 0; j < N; j++) {
          C[ci + j] = C[ci + j]! + a0 * B[b0 + j]! + a1 * B[b1 + j]! + a2 * B[b2 + j]! + a3 * B[b3 + j]!;
        }
      }
      for (; k < k1; k++) {
        const a0 = A[ai + k]!;
        const b0 = bOff + k * ldb;
        for (let j = 0; j < N; j++) C[ci + j] = C[ci + j]! + a0 * B[b0 + j]!;
      }
    }
  }
}

/** C (M×N) += Aᵀ · B where A is stored (K×M) and B is (K×N): parameter gradients Σ_rows Xᵀ·dG. */
export function gemmTN(
  M: number,
  N: number,
  K: number,
  A: Slab,
  aOff: number,
  lda: number,
  B: Slab,
  bOff: number,
  ldb: number,
  C: Slab,
  cOff: number,
  ldc: number,
): void {
  const simd = simdFor(A, B, C, N);
  if (simd !== undefined) {
    runTiled(simd.tnTile, TN_TILE, simd.tn2x4, simd.tn1x4, simd.tn1x1, true, M, N, K, addr(A, aOff), lda, addr(B, bOff), ldb, addr(C, cOff), ldc);
    return;
  }
  jsGemmTN(M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
}

function jsGemmTN(
  M: number,
  N: number,
  K: number,
  A: Slab,
  aOff: number,
  lda: number,
  B: Slab,
  bOff: number,
  ldb: number,
  C: Slab,
  cOff: number,
  ldc: number,
): void {
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = Math.min(K, k0 + KC);
    const k4 = k0 + ((k1 - k0) & ~3);
    for (let i = 0; i < M; i++) {
      const ci = cOff + i * ldc;
      let k = k0;
      for (; k < k4; k += 4) {
        const ak = aOff + k * lda + i;
        const a0 = A[ak]!;
        const a1 = A[ak + lda]!;
        const a2 = A[ak + 2 * lda]!;
        const a3 = A[ak + 3 * lda]!;
        const b0 = bOff + k * ldb;
        const b1 = b0 + ldb;
        const b2 = b1 + ldb;
        const b3 = b2 + ldb;
        for (let j = 0; j < N; j++) {
          C[ci + j] = C[ci + j]! + a0 * B[b0 + j]! + a1 * B[b1 + j]! + a2 * B[b2 + j]! + a3 * B[b3 + j]!;
        }
      }
      for (; k < k1; k++) {
        const a0 = A[aOff + k * lda + i]!;
        const b0 = bOff + k * ldb;
        for (let j = 0; j < N; j++) C[ci + j] = C[ci + j]! + a0 * B[b0 + j]!;
      }
    }
  }
}

/** C (M×N) += A (M×K) · Bᵀ where B is stored (N×K): dot products, used where N is tiny (the head). */
export function gemmNT(
  M: number,
  N: number,
  K: number,
  A: Slab,
  aOff: number,
  lda: number,
  B: Slab,
  bOff: number,
  ldb: number,
  C: Slab,
  cOff: number,
  ldc: number,
): void {
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * lda;
    for (let j = 0; j < N; j++) {
      const bj = bOff + j * ldb;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[ai + k]! * B[bj + k]!;
      C[cOff + i * ldc + j] = C[cOff + i * ldc + j]! + s;
    }
  }
}

/** dst (cols×rows) = src (rows×cols)ᵀ. */
export function transposeInto(rows: number, cols: number, src: Slab, srcOff: number, dst: Slab, dstOff: number): void {
  for (let r = 0; r < rows; r++) {
    const s = srcOff + r * cols;
    for (let c = 0; c < cols; c++) dst[dstOff + c * rows + r] = src[s + c]!;
  }
}

function simdFor(A: Slab, B: Slab, C: Slab, N: number): SimdKernels | undefined {
  if ((N & 3) !== 0 || !(A instanceof Float32Array) || B.buffer !== A.buffer || C.buffer !== A.buffer) return undefined;
  return simdKernelsFor(A.buffer);
}

function addr(s: Slab, off: number): number {
  return s.byteOffset + off * 4;
}

/**
 * Splits a product for the SIMD kernels: k in blocks of KC (so the B panel stays in cache while
 * all rows pass over it), rows in pairs with the odd row by the 1×4 kernel, the k % 4 remainder
 * by the 1×1 kernel. Addresses in bytes.
 */
function runSimd(
  main: GemmKernel,
  oneRow: GemmKernel,
  rest: GemmKernel,
  transA: boolean,
  M: number,
  N: number,
  K: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  c: number,
  ldc: number,
): void {
  const M2 = M - (M & 1);
  // Byte strides of A along its row (i) and column (k) index.
  const aRow = transA ? 4 : lda * 4;
  const aCol = transA ? lda * 4 : 4;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    const k4 = kc - (kc & 3);
    const aK = a + k0 * aCol;
    const bK = b + k0 * ldb * 4;
    if (k4 > 0) {
      if (M2 > 0) main(M2, N, k4, aK, lda, bK, ldb, c, ldc);
      if (M2 < M) oneRow(1, N, k4, aK + M2 * aRow, lda, bK, ldb, c + M2 * ldc * 4, ldc);
    }
    if (k4 < kc) rest(M, N, kc - k4, aK + k4 * aCol, lda, bK + k4 * ldb * 4, ldb, c, ldc);
  }
}

/** k block of the tiled kernels: keeps the B column strip (KT × tile columns) in L2. */
const KT = 512;

/**
 * The register-tiled kernel on the largest (rows × cols)-divisible block of C; the leftover
 * columns and rows go through runSimd's classic kernels. Addresses in bytes.
 */
function runTiled(
  tile: GemmKernel,
  shape: { readonly rows: number; readonly cols: number },
  main: GemmKernel,
  oneRow: GemmKernel,
  rest: GemmKernel,
  transA: boolean,
  M: number,
  N: number,
  K: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  c: number,
  ldc: number,
): void {
  const Mt = M - (M % shape.rows);
  const Nt = N - (N % shape.cols);
  const aRow = transA ? 4 : lda * 4;
  const aCol = transA ? lda * 4 : 4;
  if (Mt > 0 && Nt > 0) {
    for (let k0 = 0; k0 < K; k0 += KT) tile(Mt, Nt, Math.min(KT, K - k0), a + k0 * aCol, lda, b + k0 * ldb * 4, ldb, c, ldc);
  }
  if (Nt < N) runSimd(main, oneRow, rest, transA, M, N - Nt, K, a, lda, b + Nt * 4, ldb, c + Nt * 4, ldc);
  if (Mt < M && Nt > 0) runSimd(main, oneRow, rest, transA, M - Mt, Nt, K, a + Mt * aRow, lda, b, ldb, c + Mt * ldc * 4, ldc);
}
