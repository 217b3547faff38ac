import type { LstmModel } from './lstm-model.js';
import { ATTR_INT, ATTR_INTS, ModelProto, ONNX_FLOAT, ONNX_INT64 } from './onnx-proto.js';

export interface OnnxExportOptions {
  /** T: fixes the time dimension of the input; omitted, it is the dynamic dim "steps". */
  readonly windowLength?: number;
  /** Extra key/value metadata stored in the model (e.g. the feature spec hash). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly producerVersion?: string;
}

/** Names of the graph's input and output. */
export const ONNX_INPUT = 'features';
export const ONNX_OUTPUT = 'prediction';

const IR_VERSION = 8;
const OPSET = 14;

/**
 * Serialises the model as an ONNX ModelProto (IR 8, opset 14) and returns the bytes; the caller
 * writes them. Graph:
 *
 *   features (batch, T, F) → Transpose(1,0,2) → (T, batch, F)
 *     → LSTM(layout 0) → [Squeeze(axis 1) → LSTM]  (second layer only)
 *     → Y_h (1, batch, H) → Squeeze(axis 0) → Gemm(transB=1) with the head
 *     → [Sigmoid, classification only] → prediction (batch, K)
 *
 * Batch-first input needs the Transpose because ORT's CPU LSTM rejects layout=1. Classification
 * models export PROBABILITIES (sigmoid inside the graph), the same as lstmPredict.
 */
export function exportOnnx(model: LstmModel, options: OnnxExportOptions = {}): Uint8Array {
  const { inputSize: F, hiddenSize: H, numLayers, outputSize: K, outputKind } = model.config;
  const p = model.params;
  const initializer: object[] = [];
  const node: object[] = [];
  const floatTensor = (name: string, dims: number[], offset: number, count: number): void => {
    const bytes = new Uint8Array(count * 4);
    const view = new DataView(bytes.buffer);
    for (let k = 0; k < count; k++) view.setFloat32(k * 4, p[offset + k]!, true);
    initializer.push({ name, dataType: ONNX_FLOAT, dims, rawData: bytes });
  };
  const int64Tensor = (name: string, values: number[]): void => {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, k) => view.setBigInt64(k * 8, BigInt(v), true));
    initializer.push({ name, dataType: ONNX_INT64, dims: [values.length], rawData: bytes });
  };
  const op = (opType: string, input: string[], output: string[], attribute: object[] = []): void => {
    node.push({ name: `${opType}_${node.length}`, opType, input, output, attribute });
  };

  op('Transpose', [ONNX_INPUT], ['x_time_major'], [{ name: 'perm', type: ATTR_INTS, ints: [1, 0, 2] }]);
  int64Tensor('axis0', [0]);
  if (numLayers > 1) int64Tensor('axis1', [1]);
  let x = 'x_time_major';
  let hLast = '';
  model.layout.layers.forEach((lay, l) => {
    const I = lay.inputSize;
    // Parameters are stored in ONNX gate order (i, o, f, c) and Wb‖Rb is contiguous: plain copies.
    floatTensor(`W${l}`, [1, 4 * H, I], lay.w, 4 * H * I);
    floatTensor(`R${l}`, [1, 4 * H, H], lay.r, 4 * H * H);
    floatTensor(`B${l}`, [1, 8 * H], lay.wb, 8 * H);
    const last = l === numLayers - 1;
    // The top layer only needs Y_h; '' omits the optional Y output.
    const outputs = last ? ['', `h_last${l}`] : [`y${l}`];
    op('LSTM', [x, `W${l}`, `R${l}`, `B${l}`], outputs, [{ name: 'hidden_size', type: ATTR_INT, i: H }]);
    if (last) hLast = `h_last${l}`;
    else {
      // Y (T, 1, batch, H) → (T, batch, H): drop num_directions to feed the next layer.
      op('Squeeze', [`y${l}`, 'axis1'], [`x${l + 1}`]);
      x = `x${l + 1}`;
    }
  });
  op('Squeeze', [hLast, 'axis0'], ['h']);
  floatTensor('head_W', [K, H], model.layout.headW, K * H);
  floatTensor('head_b', [K], model.layout.headB, K);
  const headOut = outputKind === 'classification' ? 'logits' : ONNX_OUTPUT;
  op('Gemm', ['h', 'head_W', 'head_b'], [headOut], [{ name: 'transB', type: ATTR_INT, i: 1 }]);
  if (outputKind === 'classification') op('Sigmoid', ['logits'], [ONNX_OUTPUT]);

  const T = options.windowLength;
  const tensorType = (dims: Array<number | string>): object => ({
    tensorType: {
      elemType: ONNX_FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  });
  const metadataProps = Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value }));
  const message = ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'wick',
    producerVersion: options.producerVersion ?? '0',
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps,
    graph: {
      name: 'wick_lstm',
      node,
      initializer,
      input: [{ name: ONNX_INPUT, type: tensorType(['batch', T ?? 'steps', F]) }],
      output: [{ name: ONNX_OUTPUT, type: tensorType(['batch', K]) }],
    },
  });
  return ModelProto.encode(message).finish();
}
