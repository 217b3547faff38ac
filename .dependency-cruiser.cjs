/**
 * The dependency rule of wick (see README, "Architecture"): each layer under src/ may import only
 * the layers listed for it here. `npm test` runs this check; test/architecture.test.ts proves it
 * catches a planted violation.
 */
const LAYERS = ['core', 'features', 'train', 'model', 'strategy', 'execution', 'backtest', 'market', 'pipeline', 'obs', 'simulator', 'app'];

/** layer -> layers it may import (besides itself). */
const ALLOWED = {
  core: [],
  features: ['core'],
  train: ['core', 'features'],
  model: ['core', 'features'],
  strategy: ['core'],
  execution: ['core'],
  backtest: ['core', 'features', 'strategy', 'execution'],
  market: ['core'],
  pipeline: ['core', 'features', 'strategy', 'execution'],
  obs: ['core'],
  simulator: ['core'],
  app: LAYERS,
};

/** Pure layers do no I/O: no network, files, processes, clocks of their own or I/O libraries. */
const PURE = ['core', 'features', 'train', 'strategy', 'execution', 'backtest'];
const IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'dgram',
  'dns',
  'child_process',
  'worker_threads',
  'cluster',
  'readline',
  'tls',
  'ccxt',
  'bullmq',
  'ioredis',
  'onnxruntime-node',
  'pino',
  'pino-pretty',
  'prom-client',
  'dotenv',
];
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const layerRules = LAYERS.filter((l) => l !== 'app').map((layer) => {
  const forbidden = LAYERS.filter((other) => other !== layer && !ALLOWED[layer].includes(other));
  return {
    name: `layer-${layer}`,
    comment: `src/${layer} may import only: ${ALLOWED[layer].join(', ') || 'nothing of ours'}`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${forbidden.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Circular imports make start-up order and testing fragile.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'pure-layers-do-no-io',
      comment: `${PURE.join(', ')} do no I/O; adapters (market, model, brokers, pipeline, obs) do it for them.`,
      severity: 'error',
      from: { path: `^src/(${PURE.join('|')})/`, pathNot: '^src/execution/brokers/|\\.test\\.ts$' },
      to: { path: `^(node:)?(${IO_MODULES.map(esc).join('|')})$|node_modules/(${IO_MODULES.map(esc).join('|')})/` },
    },
    {
      name: 'brokers-are-leaves',
      comment: 'Only the composition root (src/app) picks a broker; the core of execution never imports one.',
      severity: 'error',
      from: { path: '^src/(execution|backtest|strategy|pipeline)/', pathNot: '^src/execution/brokers/|\\.test\\.ts$' },
      to: { path: '^src/execution/brokers/' },
    },
    {
      name: 'one-trading-path',
      comment:
        'The per-candle trading step lives in src/execution/kernel (TradingKernel) and nowhere else. These earlier homes of it ' +
        '(PaperSession in src/backtest, PaperTrader/LiveTrader/LiveStateStore in src/app/daemon, stepCandle) must not come back.',
      severity: 'error',
      from: {},
      to: { path: '^src/(backtest/session|backtest/trade-journal|execution/candle-step|app/daemon/(live-trader|paper-trader|state-store))\\.ts$' },
    },
    {
      name: 'daemon-does-not-use-backtest',
      comment: 'The daemon trades through the kernel in src/execution; src/backtest is the offline report path (only commands use it).',
      severity: 'error',
      from: { path: '^src/(app/daemon|pipeline|obs|market)/' },
      to: { path: '^src/backtest/' },
    },
    {
      name: 'no-test-imports-in-code',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '\\.test\\.ts$|^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '\\.test\\.ts$' },
  },
};
