/**
 * A minimal WebAssembly binary assembler: LEB128, sections, the opcodes our kernels use, and a
 * module builder. Kernels are emitted as byte arrays by wasm-gemm.ts and wasm-cell.ts; there is no
 * compiler dependency. Opcode values follow the WebAssembly core + fixed-width SIMD specs.
 */
export const I32 = 0x7f;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
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

export const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Opcodes.
export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const i32c = (v: number): number[] => [0x41, ...sleb(v)];
export const ADD = 0x6a;
export const MUL = 0x6c;
export const GE_U = 0x4f;
export const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
export const v128load = simd(0x00, 2, 0); // align 2^2, offset 0
export const v128store = simd(0x0b, 2, 0);
export const f32load = [0x2a, 2, 0];
export const f32x4splat = simd(0x13);
export const f32x4add = simd(0xe4);
export const f32x4mul = simd(0xe6);

export const SUB = 0x6b;
export const LT_U = 0x49;
export const SHL = 0x74;
export const f32c = (v: number): number[] => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return [0x43, ...b];
};
export const f32x4sub = simd(0xe5);
export const f32x4div = simd(0xe7);
export const f32x4min = simd(0xe8);
export const f32x4max = simd(0xe9);
export const f32x4neg = simd(0xe1);
export const f32x4nearest = simd(0x6a);
export const i32x4splat = simd(0x11);
export const i32x4truncSatF32x4S = simd(0xf8);
export const i32x4add = simd(0xae);
export const i32x4shl = simd(0xab);
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const END = [0x0b];
export const brIf = (depth: number): number[] => [0x0d, ...uleb(depth)];
export const br = (depth: number): number[] => [0x0c, ...uleb(depth)];

/** One exported function: `params` i32 parameters, no results, and its encoded body. */
export interface WasmFunction {
  readonly name: string;
  readonly params: number;
  readonly body: number[];
}

/** Encodes a function body: local declarations (i32 count, v128 count) then code, then end. */
export function functionBody(i32Locals: number, v128Locals: number, code: number[]): number[] {
  const locals = vec([
    [...uleb(i32Locals), I32],
    [...uleb(v128Locals), V128],
  ]);
  const body = [...locals, ...code, 0x0b];
  return [...uleb(body.length), ...body];
}

/** A module importing its memory as env.mem and exporting every function by name. */
export function buildModule(functions: readonly WasmFunction[]): Uint8Array {
  const types = section(1, vec(functions.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), ...vec([])])));
  const imports = section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(1)]]));
  const funcs = section(3, vec(functions.map((_, idx) => uleb(idx))));
  const exports = section(7, vec(functions.map((f, idx) => [...str(f.name), 0x00, ...uleb(idx)])));
  const code = section(10, vec(functions.map((f) => f.body)));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}
