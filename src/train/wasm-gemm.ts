/**
 * WebAssembly SIMD (f32x4) GEMM kernels, assembled here byte by byte (no compiler dependency),
 * for Float32 slabs that live in one WebAssembly.Memory (an F32Arena). Plain TS GEMM tops out near
 * 1–2 GFLOP/s on this machine; 128-bit SIMD with register blocking does several times that.
 *
 * Kernel kern_{R}x{U}{n|t}(M, N, K, a, lda, b, ldb, c, ldc): C (M×N) += op(A) · B with
 *   op(A) = A (M×K, row i at a + i·lda)         for 'n'
 *   op(A) = Aᵀ, A stored (K×M)                    for 't'
 * a, b, c are BYTE addresses; lda, ldb, ldc are in elements. Requires M % R = 0, K % U = 0,
 * N % 4 = 0: the caller (gemm.ts) splits a product into a blocked part and remainders.
 * R rows of C share each loaded B vector; U steps of k share each C load/store.
 *
 * The tiled kernels (tileBody) keep an R × 4V block of C in registers over a whole k block and are
 * the main path; gemm.ts sends only the leftover rows/columns to the classic kernels above.
 */
import {
  ADD,
  BLOCK,
  END,
  GE_U,
  LT_U,
  LOOP,
  MUL,
  br,
  brIf,
  buildModule,
  f32c,
  f32load,
  f32x4add,
  f32x4mul,
  f32x4splat,
  functionBody,
  get,
  i32c,
  set,
  simd,
  uleb,
  v128load,
  v128store,
} from './wasm-asm.js';
import type { WasmFunction } from './wasm-asm.js';

function kernelBody(R: number, U: number, transA: boolean): number[] {
  // Params 0..8: M N K a lda b ldb c ldc. i32 locals: i, k, j, nBytes, cRow[R], bRow[U].
  const [M, N, K, a, lda, b, ldb, c, ldc] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const i = 9;
  const k = 10;
  const j = 11;
  const nBytes = 12;
  const cRow = (r: number): number => 13 + r;
  const bRow = (u: number): number => 13 + R + u;
  const nI32 = 4 + R + U;
  // v128 locals: av[r][u], bv[u], acc.
  const v0 = 9 + nI32;
  const av = (r: number, u: number): number => v0 + r * U + u;
  const bv = (u: number): number => v0 + R * U + u;
  const nV = R * U + U;

  const code: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const p of parts) code.push(...p);
  };
  emit(get(N), i32c(4), [MUL], set(nBytes));
  emit(i32c(0), set(i));
  emit([0x02, 0x40], [0x03, 0x40]); // block, loop (rows)
  emit(get(i), get(M), [GE_U], [0x0d, 1]);
  for (let r = 0; r < R; r++) {
    // cRow_r = c + (i + r)·ldc·4
    emit(get(c), get(i), i32c(r), [ADD], get(ldc), [MUL], i32c(4), [MUL], [ADD], set(cRow(r)));
  }
  emit(i32c(0), set(k));
  emit([0x02, 0x40], [0x03, 0x40]); // block, loop (k)
  emit(get(k), get(K), [GE_U], [0x0d, 1]);
  for (let u = 0; u < U; u++) {
    emit(get(b), get(k), i32c(u), [ADD], get(ldb), [MUL], i32c(4), [MUL], [ADD], set(bRow(u)));
  }
  for (let r = 0; r < R; r++) {
    for (let u = 0; u < U; u++) {
      // NN: A[i+r, k+u] at a + ((i+r)·lda + k+u)·4;  TN: A[k+u, i+r] at a + ((k+u)·lda + i+r)·4.
      const row = transA ? [...get(k), ...i32c(u), ADD] : [...get(i), ...i32c(r), ADD];
      const col = transA ? [...get(i), ...i32c(r), ADD] : [...get(k), ...i32c(u), ADD];
      emit(get(a), row, get(lda), [MUL], col, [ADD], i32c(4), [MUL], [ADD]);
      emit(f32load, f32x4splat, set(av(r, u)));
    }
  }
  emit(i32c(0), set(j));
  emit([0x02, 0x40], [0x03, 0x40]); // block, loop (j)
  emit(get(j), get(nBytes), [GE_U], [0x0d, 1]);
  for (let u = 0; u < U; u++) emit(get(bRow(u)), get(j), [ADD], v128load, set(bv(u)));
  for (let r = 0; r < R; r++) {
    emit(get(cRow(r)), get(j), [ADD]); // store address, left on the stack
    emit(get(cRow(r)), get(j), [ADD], v128load);
    for (let u = 0; u < U; u++) emit(get(av(r, u)), get(bv(u)), f32x4mul, f32x4add);
    emit(v128store);
  }
  emit(get(j), i32c(16), [ADD], set(j), [0x0c, 0]);
  emit([0x0b, 0x0b]); // end loop, end block (j)
  emit(get(k), i32c(U), [ADD], set(k), [0x0c, 0]);
  emit([0x0b, 0x0b]); // k
  emit(get(i), i32c(R), [ADD], set(i), [0x0c, 0]);
  emit([0x0b, 0x0b]); // rows
  return functionBody(nI32, nV, code);
}

/**
 * Register-tiled kernel tile{R}x{V}{n|t}: a tile of R rows × 4V columns of C is accumulated in
 * SIMD registers over all of K (one C load/store per tile instead of one per 4 k), so per k it
 * costs V vector loads of B and R scalar loads of A for 8·R·V flops. Requires M % R = 0 and
 * N % (4V) = 0.
 */
function tileBody(R: number, V: number, transA: boolean): number[] {
  const [M, N, K, a, lda, b, ldb, c, ldc] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, j, k, nb, ldb4, lda4, pb] = [9, 10, 11, 12, 13, 14, 15];
  const pb2 = 16;
  const pa2 = 17;
  const pa = (r: number): number => 18 + r; // NN: one pointer per row; TN: pa(0) only
  const nI32 = 9 + R;
  const v0 = 9 + nI32;
  const acc = (r: number, v: number): number => v0 + r * V + v;
  const bv = (v: number): number => v0 + R * V + v;
  const zero = v0 + R * V + V;
  const aSlot = zero + 1;
  const nV = R * V + V + 2;
  const load = (off: number): number[] => simd(0x00, 2, ...uleb(off));
  const store = (off: number): number[] => simd(0x0b, 2, ...uleb(off));
  const f32loadAt = (off: number): number[] => [0x2a, 2, ...uleb(off)];

  const code: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const p of parts) code.push(...p);
  };
  emit(f32c(0), f32x4splat, set(zero));
  emit(get(N), i32c(4), [MUL], set(nb));
  emit(get(ldb), i32c(4), [MUL], set(ldb4));
  emit(get(lda), i32c(4), [MUL], set(lda4));
  emit(i32c(0), set(j));
  emit(BLOCK, LOOP, get(j), get(nb), [GE_U], brIf(1));
  emit(i32c(0), set(i));
  emit(BLOCK, LOOP, get(i), get(M), [GE_U], brIf(1));
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) emit(get(zero), set(acc(r, v)));
  emit(get(b), get(j), [ADD], set(pb));
  if (transA) emit(get(a), get(i), i32c(4), [MUL], [ADD], set(pa(0)));
  else for (let r = 0; r < R; r++) emit(get(a), get(i), i32c(r), [ADD], get(lda4), [MUL], [ADD], set(pa(r)));
  // One k step with B at local pbL and A at pa(r) + 4·sub (NN) or local paL + 4r (TN).
  const step = (pbL: number, sub: number, paL: number): void => {
    for (let v = 0; v < V; v++) emit(get(pbL), load(16 * v), set(bv(v)));
    for (let r = 0; r < R; r++) {
      // A(i+r, k): NN at pa(r); TN at paL + 4r (consecutive rows of C are consecutive in A).
      emit(transA ? [...get(paL), ...f32loadAt(4 * r)] : [...get(pa(r)), ...f32loadAt(4 * sub)], f32x4splat, set(aSlot));
      for (let v = 0; v < V; v++) emit(get(acc(r, v)), get(aSlot), get(bv(v)), f32x4mul, f32x4add, set(acc(r, v)));
    }
  };
  // k unrolled by 2 (halves the loop and pointer overhead), then one tail step if K is odd.
  emit(i32c(0), set(k));
  emit(BLOCK, LOOP, get(k), i32c(1), [ADD], get(K), [GE_U], brIf(1));
  emit(get(pb), get(ldb4), [ADD], set(pb2));
  if (transA) emit(get(pa(0)), get(lda4), [ADD], set(pa2));
  step(pb, 0, pa(0));
  step(pb2, 1, pa2);
  emit(get(pb2), get(ldb4), [ADD], set(pb));
  if (transA) emit(get(pa2), get(lda4), [ADD], set(pa(0)));
  else for (let r = 0; r < R; r++) emit(get(pa(r)), i32c(8), [ADD], set(pa(r)));
  emit(get(k), i32c(2), [ADD], set(k), br(0), END, END);
  emit(get(k), get(K), [LT_U], [0x04, 0x40]);
  step(pb, 0, pa(0));
  emit(END);
  for (let r = 0; r < R; r++) {
    // cr = c + (i + r)·ldc·4 + j, kept on the stack for each store.
    for (let v = 0; v < V; v++) {
      const cr = [...get(c), ...get(i), ...i32c(r), ADD, ...get(ldc), MUL, ...i32c(4), MUL, ADD, ...get(j), ADD];
      emit(cr, cr, load(16 * v), get(acc(r, v)), f32x4add, store(16 * v));
    }
  }
  emit(get(i), i32c(R), [ADD], set(i), br(0), END, END);
  emit(get(j), i32c(16 * V), [ADD], set(j), br(0), END, END);
  return functionBody(nI32, nV, code);
}

/**
 * The kernels the module exports. Measured (CPU-time GFLOP/s, this machine, LSTM shapes): tiled
 * NN 2×(4 vectors) ~25 vs ~15 for the best classic NN; tiled TN 2×(4 vectors) ~24 vs ~18 (k unrolled by 2 in both). Classic
 * 2×4 / 1×4 / 1×1 kernels handle the rows and columns a tile does not cover.
 */
export const KERNELS: readonly KernelSpec[] = [
  { name: 'nn2x4', R: 2, U: 4, transA: false },
  { name: 'nn1x4', R: 1, U: 4, transA: false },
  { name: 'nn1x1', R: 1, U: 1, transA: false },
  { name: 'tn2x4', R: 2, U: 4, transA: true },
  { name: 'tn1x4', R: 1, U: 4, transA: true },
  { name: 'tn1x1', R: 1, U: 1, transA: true },
  { name: 'nnTile', R: 2, U: 4, transA: false, tiled: true },
  { name: 'tnTile', R: 2, U: 4, transA: true, tiled: true },
];

/** Tile shapes of nnTile / tnTile (rows, columns), for the dispatcher. */
export const NN_TILE = { rows: 2, cols: 16 } as const;
export const TN_TILE = { rows: 2, cols: 16 } as const;

export interface KernelSpec {
  readonly name: string;
  readonly R: number;
  /** k unroll (classic kernels) or vectors per row of the tile (tiled kernels). */
  readonly U: number;
  readonly transA: boolean;
  readonly tiled?: boolean;
}

export function gemmFunctions(kernels: readonly KernelSpec[] = KERNELS): WasmFunction[] {
  return kernels.map((kr) => ({ name: kr.name, params: 9, body: kr.tiled === true ? tileBody(kr.R, kr.U, kr.transA) : kernelBody(kr.R, kr.U, kr.transA) }));
}

/** A module with only the GEMM kernels (benchmarks of kernel variants). */
export function buildGemmModule(kernels: readonly KernelSpec[] = KERNELS): Uint8Array {
  return buildModule(gemmFunctions(kernels));
}
