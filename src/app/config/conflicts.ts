import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { parseManifest, type ModelManifest } from '../../model/manifest.js';
import { symbolFromFileName } from '../series-files.js';
import type { Config } from './load-config.js';

/**
 * Settings that are each valid but do not go together, found before wick contacts anything (Redis,
 * the exchange, the network): only local files are read (the model's manifest). Every conflict is
 * listed at once in one ConfigError (exit 2), each with what to change.
 *
 * - the model's timeframe against WICK_TIMEFRAME;
 * - WICK_SYMBOLS against the markets the model was trained on (when its training files name them);
 * - a model folder that does not hold a readable manifest, for the roles that run the model;
 * - WICK_EXCHANGE_REST_URL without WICK_EXCHANGE_WS_URL, or the reverse (one alone would mix the
 *   simulator and the real exchange).
 */
export async function checkConfigConflicts(config: Config, options: { readonly cwd: string; readonly roles: readonly string[] }): Promise<void> {
  const problems: string[] = [];
  const { restUrl, wsUrl } = config.market;
  if ((restUrl === undefined) !== (wsUrl === undefined)) {
    problems.push(
      `${restUrl === undefined ? 'WICK_EXCHANGE_WS_URL' : 'WICK_EXCHANGE_REST_URL'} is set without ${restUrl === undefined ? 'WICK_EXCHANGE_REST_URL' : 'WICK_EXCHANGE_WS_URL'}: set both (the simulator serves both) or neither (the real exchange).`,
    );
  }
  if (options.roles.includes('signal')) {
    const dir = path.resolve(options.cwd, config.model.dir);
    const manifest = await readManifest(dir, problems);
    if (manifest !== undefined) {
      if (manifest.timeframe !== config.market.timeframe) {
        problems.push(
          `WICK_TIMEFRAME = "${config.market.timeframe}" but the model in ${config.model.dir} was trained on ${manifest.timeframe} candles: set WICK_TIMEFRAME=${manifest.timeframe}, or point WICK_MODEL_DIR at a model trained on ${config.market.timeframe} candles.`,
        );
      }
      const trained = trainedSymbols(manifest);
      if (trained !== undefined) {
        const untrained = config.market.symbols.filter((s) => !trained.includes(s));
        if (untrained.length > 0) {
          problems.push(
            `WICK_SYMBOLS holds ${untrained.join(', ')}, which the model in ${config.model.dir} never saw (trained on ${trained.join(', ')}): trade the markets it learned, or train a model on ${untrained.join(', ')} (wick train --data ...).`,
          );
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `Conflicting configuration (${problems.length} problem${problems.length > 1 ? 's' : ''}), found before contacting anything:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      problems,
    );
  }
}

async function readManifest(dir: string, problems: string[]): Promise<ModelManifest | undefined> {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    problems.push(
      `WICK_MODEL_DIR = ${dir}: no readable manifest.json there (${typeof code === 'string' ? code : 'unreadable'}); point it at a folder made by \`wick train\` (model.onnx + manifest.json).`,
    );
    return undefined;
  }
  const parsed = parseManifest(text, file);
  if (!parsed.ok) {
    problems.push(`WICK_MODEL_DIR: ${parsed.message.replace(/\n/g, ' ')}`);
    return undefined;
  }
  return parsed.manifest;
}

/** Symbols of the model's training files (BTC_USDT-1h.csv → BTC/USDT), or undefined when a file name does not say. */
function trainedSymbols(manifest: ModelManifest): string[] | undefined {
  const symbols = manifest.training.data.map((d) => symbolFromFileName(d.file));
  return symbols.length > 0 && symbols.every((s) => /^[A-Z0-9]{2,20}\/[A-Z0-9]{2,20}$/.test(s)) ? [...new Set(symbols)] : undefined;
}
