/**
 * LSTM training (BPTT) and ONNX export. Pure: no I/O, no clock, randomness from a seeded Rng.
 *
 * Typical use:
 *   const split = chronologicalSplit(buildWindowEnds({ ready, segment, window, horizon }), {...});
 *   const trainSet = gatherWindows(features, F, targets, K, split.train, window);
 *   const result = train(config, { train: trainSet, val: valSet }, { onEpoch, shouldStop, clock });
 *   const bytes = exportOnnx(result.model, { windowLength: window });   // the caller writes them
 *   const pred = lstmPredict(result.model, x, n, window);               // same numbers as the graph
 */
export { Adam, clipGlobalNorm } from './adam.js';
export type { AdamConfig } from './adam.js';
export { F32Arena, countFloats } from './f32-arena.js';
export { gemmNN, gemmNT, gemmTN, transposeInto } from './gemm.js';
export type { Slab, SlabConstructor } from './gemm.js';
export { lstmBackward } from './lstm-backward.js';
export { lstmForward, lstmPredict, sigmoid } from './lstm-forward.js';
export { castLstm, createLstm, initLstm, orthogonal, paramLayout, paramTensors } from './lstm-model.js';
export type { LayerLayout, LstmConfig, LstmModel, OutputKind, ParamLayout, ParamTensor } from './lstm-model.js';
export { createWorkspace, loadBatchFirst, workspaceSizes } from './lstm-workspace.js';
export type { LstmWorkspace, SlabAllocator } from './lstm-workspace.js';
export { lossAndGrad } from './loss.js';
export type { LossSpec } from './loss.js';
export { auc, column, directionalAccuracy, directionLabels, mse, zeroReturnMse } from './metrics.js';
export { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from './onnx-export.js';
export type { OnnxExportOptions } from './onnx-export.js';
export { evaluate, train } from './train.js';
export type { EpochReport, TrainConfig, TrainData, TrainHooks, TrainResult, WindowSet } from './train.js';
export { buildWindowEnds, chronologicalSplit, gatherWindows } from './windows.js';
export type { SplitOptions, WindowIndexInput, WindowSplit } from './windows.js';
