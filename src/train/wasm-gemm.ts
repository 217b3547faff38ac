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
 */

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Opcodes.
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const ADD = 0x6a;
const MUL = 0x6c;
const GE_U = 0x4f;
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const v128load = simd(0x00, 2, 0); // align 2^2, offset 0
const v128store = simd(0x0b, 2, 0);
const f32load = [0x2a, 2, 0];
const f32x4splat = simd(0x13);
const f32x4add = simd(0xe4);
const f32x4mul = simd(0xe6);

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
  emit([0x0b]); // end function
  const locals = vec([
    [...uleb(nI32), I32],
    [...uleb(nV), V128],
  ]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/**
 * The kernels the module exports. 2×4 blocking measured best on this machine (R=4 or U=8 spill
 * SIMD registers); 1×4 and 1×1 handle the odd row and the k remainder.
 */
export const KERNELS = [
  { name: 'nn2x4', R: 2, U: 4, transA: false },
  { name: 'nn1x4', R: 1, U: 4, transA: false },
  { name: 'nn1x1', R: 1, U: 1, transA: false },
  { name: 'tn2x4', R: 2, U: 4, transA: true },
  { name: 'tn1x4', R: 1, U: 4, transA: true },
  { name: 'tn1x1', R: 1, U: 1, transA: true },
] as const;

export interface KernelSpec {
  readonly name: string;
  readonly R: number;
  readonly U: number;
  readonly transA: boolean;
}

export function buildGemmModule(kernels: readonly KernelSpec[] = KERNELS): Uint8Array {
  const funcType = [0x60, ...vec(Array.from({ length: 9 }, () => [I32])), ...vec([])];
  const types = section(1, vec([funcType]));
  // Import env.mem: a memory with at least 1 page.
  const imports = section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(1)]]));
  const funcs = section(3, vec(kernels.map(() => [0])));
  const exports = section(
    7,
    vec(kernels.map((kr, idx) => [...str(kr.name), 0x00, ...uleb(idx)])),
  );
  const code = section(10, vec(kernels.map((kr) => kernelBody(kr.R, kr.U, kr.transA))));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}
