import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { F32Arena, simdKernelsFor } from './f32-arena.js';
import { gemmNN, gemmNT, gemmTN } from './gemm.js';

/** Float64 reference: C += op(A)·B with op(A)(i,k) = transA ? A[k·lda+i] : A[i·lda+k]. */
function reference(
  transA: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  lda: number,
  B: Float32Array,
  ldb: number,
  C0: Float32Array,
  ldc: number,
): Float64Array {
  const C = Float64Array.from(C0);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? A[k * lda + i]! : A[i * lda + k]!) * B[k * ldb + j]!;
      C[i * ldc + j] = C[i * ldc + j]! + s;
    }
  }
  return C;
}

describe('GEMM kernels (SIMD in an arena, plain TS otherwise) against a float64 reference', () => {
  const rng = new Rng(9);
  const shapes: Array<[number, number, number]> = [
    [1, 4, 1],
    [3, 8, 5],
    [7, 12, 67],
    [64, 256, 64],
    [11, 256, 203],
    [5, 6, 9], // N % 4 ≠ 0: plain TS path even in an arena
  ];
  for (const transA of [false, true]) {
    for (const [M, N, K] of shapes) {
      it(`${transA ? 'TN' : 'NN'} ${M}×${N}×${K}`, () => {
        const arena = new F32Arena(2 * (M * K + K * N + M * N) + 64);
        const fill = (n: number): Float32Array => {
          const a = arena.alloc(n);
          for (let k = 0; k < n; k++) a[k] = rng.normal();
          return a;
        };
        // Offsets inside bigger slabs, as the LSTM uses them (one time step of a (T, B, ·) buffer).
        const A = fill(M * K + 3);
        const B = fill(K * N + 5);
        const C = fill(M * N + 2);
        const lda = transA ? M : K;
        const want = reference(transA, M, N, K, A.subarray(3), lda, B.subarray(5), N, C.subarray(2), N);
        const plainC = Float32Array.from(C);
        (transA ? gemmTN : gemmNN)(M, N, K, A, 3, lda, B, 5, N, C, 2, N);
        // Same product on plain (non-arena) arrays: the TS fallback.
        (transA ? gemmTN : gemmNN)(M, N, K, Float32Array.from(A), 3, lda, Float32Array.from(B), 5, N, plainC, 2, N);
        let errSimd = 0;
        let errPlain = 0;
        for (let k = 0; k < M * N; k++) {
          errSimd = Math.max(errSimd, Math.abs(C[2 + k]! - want[k]!));
          errPlain = Math.max(errPlain, Math.abs(plainC[2 + k]! - want[k]!));
        }
        expect(errSimd).toBeLessThan(1e-4 * Math.sqrt(K));
        expect(errPlain).toBeLessThan(1e-4 * Math.sqrt(K));
        expect(C[0]).toBe(plainC[0]);
        expect(C[1]).toBe(plainC[1]);
      });
    }
  }

  it('registers the SIMD kernels for arena memory only', () => {
    const arena = new F32Arena(16);
    expect(simdKernelsFor(arena.alloc(4).buffer)).toBeDefined();
    expect(simdKernelsFor(new Float32Array(4).buffer)).toBeUndefined();
  });

  it('refuses to allocate past the arena (the memory must never grow)', () => {
    const arena = new F32Arena(16_384);
    arena.alloc(16_000);
    expect(() => arena.alloc(1_000)).toThrow(RangeError);
  });

  it('NT (head) product', () => {
    const A = Float32Array.from([1, 2, 3, 4, 5, 6]); // (2, 3)
    const B = Float32Array.from([1, 0, 1, 0, 1, 0]); // (2, 3) → Bᵀ (3, 2)
    const C = new Float32Array(4);
    gemmNT(2, 2, 3, A, 0, 3, B, 0, 3, C, 0, 2);
    expect(Array.from(C)).toEqual([4, 2, 10, 5]);
  });
});
