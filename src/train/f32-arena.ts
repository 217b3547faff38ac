import { buildModule } from './wasm-asm.js';
import { cellBackwardFunction, cellFunction } from './wasm-cell.js';
import { gemmFunctions } from './wasm-gemm.js';

/** A kernel signature: (M, N, K, a, lda, b, ldb, c, ldc), addresses in bytes. */
export type GemmKernel = (M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number) => void;

export interface SimdKernels {
  readonly nn2x4: GemmKernel;
  readonly nn1x4: GemmKernel;
  readonly nn1x1: GemmKernel;
  readonly tn2x4: GemmKernel;
  readonly tn1x4: GemmKernel;
  readonly tn1x1: GemmKernel;
  readonly nnTile: GemmKernel;
  readonly tnTile: GemmKernel;
  /** LSTM cell step, see wasm-cell.ts: (B, H, g, cPrev, c, tc, h), byte addresses. */
  readonly cell: (B: number, H: number, g: number, cPrev: number, c: number, tc: number, h: number) => void;
  /** Its backward, see wasm-cell.ts: (B, H, g, tc, cPrev, dHt, dh, dc, dG), byte addresses. */
  readonly cellBack: (B: number, H: number, g: number, tc: number, cPrev: number, dHt: number, dh: number, dc: number, dG: number) => void;
}

// The project's TS lib (ES2023, no DOM) does not declare the WebAssembly JS API; Node 20 has it.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null = null;
/** Kernels bound to each arena's memory, found from any slab's buffer. */
const byBuffer = new WeakMap<ArrayBufferLike, SimdKernels>();

/** The SIMD kernels that can operate on this buffer, or undefined if it is not an arena's. */
export function simdKernelsFor(buffer: ArrayBufferLike): SimdKernels | undefined {
  return byBuffer.get(buffer);
}

/**
 * A fixed-size bump allocator of Float32 slabs inside one WebAssembly.Memory, so GEMMs on them run
 * in the SIMD kernels. The memory never grows (growing would detach every slab), so the caller
 * sizes it up front (see countFloats). Slabs start 16-byte aligned.
 */
export class F32Arena {
  readonly memory: WasmMemory;
  private used = 0;
  private readonly capacity: number;

  constructor(floats: number) {
    const pages = Math.max(1, Math.ceil((floats * 4) / 65536));
    this.memory = new wasm.Memory({ initial: pages });
    this.capacity = (pages * 65536) / 4;
    compiled ??= new wasm.Module(buildModule([...gemmFunctions(), cellFunction(), cellBackwardFunction()]));
    const instance = new wasm.Instance(compiled, { env: { mem: this.memory } });
    byBuffer.set(this.memory.buffer, instance.exports as unknown as SimdKernels);
  }

  alloc(n: number): Float32Array {
    const off = alignUp(this.used);
    if (off + n > this.capacity) throw new RangeError(`F32Arena: out of space (${off + n} > ${this.capacity} floats)`);
    this.used = off + n;
    return new Float32Array(this.memory.buffer, off * 4, n);
  }
}

/** Floats an arena needs for a set of allocations, alignment included. */
export function countFloats(sizes: readonly number[]): number {
  let used = 0;
  for (const n of sizes) used = alignUp(used) + n;
  return used;
}

function alignUp(n: number): number {
  return (n + 3) & ~3;
}
