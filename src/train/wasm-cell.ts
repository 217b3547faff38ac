/**
 * The LSTM cell's elementwise step in WebAssembly SIMD, 4 units at a time. In plain TS this step
 * (3 sigmoids + 2 tanh per unit via Math.exp/Math.tanh) cost more than all the GEMMs together.
 *
 * cell(B, H, g, cPrev, c, tc, h), byte addresses, H % 4 = 0:
 *   g (B, 4H) pre-activations in order i, o, f, c → overwritten with the activated gates
 *   c = f·cPrev + i·ĉ → c (B, H);  tanh(c) → tc (B, H);  o·tanh(c) → h (B, H)
 *
 * exp uses the Cephes expf scheme: n = round(x·log2 e), r = x − n·ln 2 (in two parts), a degree-5
 * polynomial for e^r, and 2^n built in the exponent bits; relative error ~1e-7 on the clamped
 * range [−87, 88]. sigmoid(x) = 1/(1+e^−x); tanh(x) = 2·sigmoid(2x) − 1.
 */
import {
  ADD,
  BLOCK,
  END,
  GE_U,
  LOOP,
  MUL,
  br,
  brIf,
  f32c,
  f32x4add,
  f32x4div,
  f32x4max,
  f32x4min,
  f32x4mul,
  f32x4nearest,
  f32x4neg,
  f32x4splat,
  f32x4sub,
  functionBody,
  get,
  i32c,
  i32x4add,
  i32x4shl,
  i32x4splat,
  i32x4truncSatF32x4S,
  set,
  v128load,
  v128store,
} from './wasm-asm.js';
import type { WasmFunction } from './wasm-asm.js';

const EXP_P = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

export function cellFunction(): WasmFunction {
  const [B, H, g, cPrev, c, tc, h] = [0, 1, 2, 3, 4, 5, 6];
  const [b, j, hb, gRow, row, ga] = [7, 8, 9, 10, 11, 12];
  const V = 13;
  const LO = V;
  const HI = V + 1;
  const LOG2E = V + 2;
  const C1 = V + 3;
  const C2 = V + 4;
  const P = (k: number): number => V + 5 + k; // 6 coefficients
  const ONE = V + 11;
  const I127 = V + 12;
  const TWO = V + 13;
  const X = V + 14;
  const N = V + 15;
  const R = V + 16;
  const GI = V + 17;
  const GO = V + 18;
  const GF = V + 19;
  const GC = V + 20;
  const CC = V + 21;
  const TCV = V + 22;
  const nV = 23;

  const code: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const p of parts) code.push(...p);
  };
  const exp = (): number[] => [
    ...get(HI),
    ...f32x4min,
    ...get(LO),
    ...f32x4max,
    ...set(X),
    ...get(X),
    ...get(LOG2E),
    ...f32x4mul,
    ...f32x4nearest,
    ...set(N),
    ...get(X),
    ...get(N),
    ...get(C1),
    ...f32x4mul,
    ...f32x4sub,
    ...get(N),
    ...get(C2),
    ...f32x4mul,
    ...f32x4sub,
    ...set(R),
    ...get(P(0)),
    ...[1, 2, 3, 4, 5].flatMap((k) => [...get(R), ...f32x4mul, ...get(P(k)), ...f32x4add]),
    ...get(R),
    ...f32x4mul,
    ...get(R),
    ...f32x4mul,
    ...get(R),
    ...f32x4add,
    ...get(ONE),
    ...f32x4add,
    ...get(N),
    ...i32x4truncSatF32x4S,
    ...get(I127),
    ...i32x4add,
    ...i32c(23),
    ...i32x4shl,
    ...f32x4mul,
  ];
  const sigmoid = (x: number[]): number[] => [...get(ONE), ...x, ...f32x4neg, ...exp(), ...get(ONE), ...f32x4add, ...f32x4div];
  const tanh = (x: number[]): number[] => [...get(TWO), ...sigmoid([...x, ...get(TWO), ...f32x4mul]), ...f32x4mul, ...get(ONE), ...f32x4sub];
  const gateAddr = (k: number): number[] => (k === 0 ? get(ga) : [...get(ga), ...get(hb), ...i32c(k), MUL, ADD]);
  const rowAddr = (base: number): number[] => [...get(base), ...get(row), ADD, ...get(j), ADD];

  const consts: Array<[number, number]> = [
    [LO, -87],
    [HI, 88],
    [LOG2E, Math.LOG2E],
    [C1, 0.693359375],
    [C2, -2.1219444e-4],
    ...EXP_P.map((v, k): [number, number] => [P(k), v]),
    [ONE, 1],
    [TWO, 2],
  ];
  for (const [local, v] of consts) emit(f32c(v), f32x4splat, set(local));
  emit(i32c(127), i32x4splat, set(I127));
  emit(get(H), i32c(4), [MUL], set(hb));
  emit(i32c(0), set(b));
  emit(BLOCK, LOOP, get(b), get(B), [GE_U], brIf(1));
  emit(get(g), get(b), get(hb), [MUL], i32c(4), [MUL], [ADD], set(gRow));
  emit(get(b), get(hb), [MUL], set(row));
  emit(i32c(0), set(j));
  emit(BLOCK, LOOP, get(j), get(hb), [GE_U], brIf(1));
  emit(get(gRow), get(j), [ADD], set(ga));
  emit(sigmoid([...gateAddr(0), ...v128load]), set(GI));
  emit(sigmoid([...gateAddr(1), ...v128load]), set(GO));
  emit(sigmoid([...gateAddr(2), ...v128load]), set(GF));
  emit(tanh([...gateAddr(3), ...v128load]), set(GC));
  emit(get(GF), rowAddr(cPrev), v128load, f32x4mul, get(GI), get(GC), f32x4mul, f32x4add, set(CC));
  emit(tanh(get(CC)), set(TCV));
  emit(gateAddr(0), get(GI), v128store);
  emit(gateAddr(1), get(GO), v128store);
  emit(gateAddr(2), get(GF), v128store);
  emit(gateAddr(3), get(GC), v128store);
  emit(rowAddr(c), get(CC), v128store);
  emit(rowAddr(tc), get(TCV), v128store);
  emit(rowAddr(h), get(GO), get(TCV), f32x4mul, v128store);
  emit(get(j), i32c(16), [ADD], set(j), br(0), END, END);
  emit(get(b), i32c(1), [ADD], set(b), br(0), END, END);
  return { name: 'cell', params: 7, body: functionBody(6, nV, code) };
}

/**
 * Backward of the cell step, 4 units at a time (H % 4 = 0), one time step t:
 * cellBack(B, H, g, tc, cPrev, dHt, dh, dc, dG), byte addresses:
 *   g (B, 4H) activated gates i, o, f, c;  tc, cPrev (B, H);  dHt (B, H) gradient from above;
 *   dh, dc (B, H) carries from step t+1 (dc updated in place to dc·f for step t−1);
 *   dG (B, 4H) ← pre-activation gate gradients.
 */
export function cellBackwardFunction(): WasmFunction {
  const [B, H, g, tc, cPrev, dHt, dh, dc, dG] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [b, j, hb, gOff, row] = [9, 10, 11, 12, 13];
  const V = 14;
  const [ONE, GI, GO, GF, GC, TC, DHT, DCT] = [V, V + 1, V + 2, V + 3, V + 4, V + 5, V + 6, V + 7];
  const code: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const p of parts) code.push(...p);
  };
  // Byte address of gate block k of unit group j in row b of a (B, 4H) buffer at `base`.
  const gateAddr = (base: number, k: number): number[] => [...get(base), ...get(gOff), ADD, ...get(hb), ...i32c(k), MUL, ADD];
  const rowAddr = (base: number): number[] => [...get(base), ...get(row), ADD];
  // x·(1 − x) for a local x.
  const dsig = (x: number): number[] => [...get(x), ...get(ONE), ...get(x), ...f32x4sub, ...f32x4mul];
  // 1 − x² for a local x.
  const dtanh = (x: number): number[] => [...get(ONE), ...get(x), ...get(x), ...f32x4mul, ...f32x4sub];

  emit(f32c(1), f32x4splat, set(ONE));
  emit(get(H), i32c(4), [MUL], set(hb));
  emit(i32c(0), set(b));
  emit(BLOCK, LOOP, get(b), get(B), [GE_U], brIf(1));
  emit(i32c(0), set(j));
  emit(BLOCK, LOOP, get(j), get(hb), [GE_U], brIf(1));
  // gOff = (b·4H)·4 + j bytes; row = (b·H)·4 + j bytes.
  emit(get(b), get(hb), [MUL], i32c(4), [MUL], get(j), [ADD], set(gOff));
  emit(get(b), get(hb), [MUL], get(j), [ADD], set(row));
  emit(gateAddr(g, 0), v128load, set(GI));
  emit(gateAddr(g, 1), v128load, set(GO));
  emit(gateAddr(g, 2), v128load, set(GF));
  emit(gateAddr(g, 3), v128load, set(GC));
  emit(rowAddr(tc), v128load, set(TC));
  emit(rowAddr(dHt), v128load, rowAddr(dh), v128load, f32x4add, set(DHT));
  // dct = dc + dht·o·(1 − tc²)
  emit(rowAddr(dc), v128load, get(DHT), get(GO), f32x4mul, dtanh(TC), f32x4mul, f32x4add, set(DCT));
  emit(gateAddr(dG, 0), get(DCT), get(GC), f32x4mul, dsig(GI), f32x4mul, v128store);
  emit(gateAddr(dG, 1), get(DHT), get(TC), f32x4mul, dsig(GO), f32x4mul, v128store);
  emit(gateAddr(dG, 2), get(DCT), rowAddr(cPrev), v128load, f32x4mul, dsig(GF), f32x4mul, v128store);
  emit(gateAddr(dG, 3), get(DCT), get(GI), f32x4mul, dtanh(GC), f32x4mul, v128store);
  emit(rowAddr(dc), get(DCT), get(GF), f32x4mul, v128store);
  emit(get(j), i32c(16), [ADD], set(j), br(0), END, END);
  emit(get(b), i32c(1), [ADD], set(b), br(0), END, END);
  return { name: 'cellBack', params: 9, body: functionBody(5, 8, code) };
}
