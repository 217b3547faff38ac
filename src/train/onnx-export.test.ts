import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Rng } from '../core/rng.js';
import { castLstm, initLstm } from './lstm-model.js';
import type { LstmConfig, LstmModel } from './lstm-model.js';
import { lstmPredict } from './lstm-forward.js';
import { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from './onnx-export.js';
import { ModelProto } from './onnx-proto.js';

const T = 20;

/** A trained-looking model: seeded init plus noise on every parameter, biases included. */
function model(config: LstmConfig, seed: number): LstmModel {
  const rng = new Rng(seed);
  const m = initLstm(config, rng);
  for (let k = 0; k < m.params.length; k++) m.params[k] = m.params[k]! + 0.2 * rng.normal();
  return m;
}

function windows(n: number, F: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n * T * F);
  for (let k = 0; k < x.length; k++) x[k] = rng.normal();
  return x;
}

async function runOrt(bytes: Uint8Array, x: Float32Array, n: number, F: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x, [n, T, F]) });
    const pred = out[ONNX_OUTPUT];
    if (pred === undefined) throw new Error('no prediction output');
    return pred.data as Float32Array;
  } finally {
    await session.release();
  }
}

const configs: Array<[string, LstmConfig]> = [
  ['1 layer regression', { inputSize: 11, hiddenSize: 16, numLayers: 1, outputSize: 3, outputKind: 'regression' }],
  ['2 layers regression', { inputSize: 11, hiddenSize: 24, numLayers: 2, outputSize: 2, outputKind: 'regression' }],
  ['2 layers classification (sigmoid in graph)', { inputSize: 5, hiddenSize: 8, numLayers: 2, outputSize: 1, outputKind: 'classification' }],
];

describe('exportOnnx → onnxruntime-node (CPU) matches the TS forward', () => {
  for (const [name, config] of configs) {
    for (const n of [1, 37]) {
      it(`${name}, batch ${n}`, async () => {
        const m = model(config, 100 + n);
        const x = windows(n, config.inputSize, 200 + n);
        const bytes = exportOnnx(m, { windowLength: T });
        const got = await runOrt(bytes, x, n, config.inputSize);
        // Reference in float64 so the comparison measures ORT vs exact math, not float32 noise twice.
        const want = lstmPredict(castLstm(m, Float64Array), x, n, T);
        expect(got.length).toBe(n * config.outputSize);
        let maxDiff = 0;
        for (let k = 0; k < got.length; k++) maxDiff = Math.max(maxDiff, Math.abs(got[k]! - want[k]!));
        expect(maxDiff).toBeLessThan(1e-5);
        // And the float32 TS forward agrees with the float64 one.
        const f32 = lstmPredict(m, x, n, T);
        for (let k = 0; k < got.length; k++) expect(Math.abs(f32[k]! - want[k]!)).toBeLessThan(1e-5);
      });
    }
  }

  it('lstmPredict of zero windows is empty', () => {
    expect(lstmPredict(model(configs[0]![1], 1), new Float32Array(0), 0, T).length).toBe(0);
  });

  it('a dynamic time dimension works when windowLength is omitted', async () => {
    const config = configs[0]![1];
    const m = model(config, 5);
    const x = windows(3, config.inputSize, 6);
    const got = await runOrt(exportOnnx(m), x, 3, config.inputSize);
    const want = lstmPredict(castLstm(m, Float64Array), x, 3, T);
    for (let k = 0; k < got.length; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThan(1e-5);
  });

  it('writes IR 8, opset 14, the declared input/output shapes and metadata', () => {
    const m = model(configs[1]![1], 1);
    const decoded = ModelProto.toObject(ModelProto.decode(exportOnnx(m, { windowLength: T, metadata: { specHash: 'abc' } })), {
      longs: Number,
    }) as {
      irVersion: number;
      opsetImport: Array<{ version: number }>;
      metadataProps: Array<{ key: string; value: string }>;
      graph: { node: Array<{ opType: string }>; input: Array<{ type: { tensorType: { shape: { dim: Array<{ dimValue?: number; dimParam?: string }> } } } }> };
    };
    expect(decoded.irVersion).toBe(8);
    expect(decoded.opsetImport[0]!.version).toBe(14);
    expect(decoded.metadataProps).toEqual([{ key: 'specHash', value: 'abc' }]);
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(['Transpose', 'LSTM', 'Squeeze', 'LSTM', 'Squeeze', 'Gemm']);
    expect(decoded.graph.input[0]!.type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: T }, { dimValue: 11 }]);
  });
});
