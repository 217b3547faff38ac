import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWick } from '../../../test/support/cli-run.js';

const sample = fileURLToPath(new URL('../../../test/fixtures/sample/', import.meta.url));
let dir: string;
let space: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wick-tune-'));
  space = join(dir, 'space.json');
  await writeFile(space, JSON.stringify({ window: [8, 12], hidden: [4], horizons: [2], entryQuantile: [0.8, 0.95], exitQuantile: [0.5] }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tune = (args: string[], signal?: AbortSignal) => runWick(['tune', ...args], {}, process.cwd(), signal);

const base = (out: string): string[] => [
  '--data',
  join(sample, 'BTC_USDT-1h.csv'),
  '--to',
  '2022-04-15',
  '--space',
  space,
  '--out',
  out,
  '--epochs',
  '1',
  '--timing-shifts',
  '2',
];

describe('wick tune', () => {
  it('reports every trial ranked on validation with a deflated Sharpe ratio, writes the chosen model, and resumes without retraining', async () => {
    const out = join(dir, 'run');
    const first = await tune(base(out));
    expect(first.err).toContain('2 model configuration(s) × 2 policy setting(s) = 4 trials; 0 already');
    expect(first.code).toBe(0);
    const trials = (await readFile(join(out, 'trials.jsonl'), 'utf8')).trim().split('\n');
    expect(trials).toHaveLength(4);
    const rows = first.out.split('\n').filter((l) => /^\d+\s+[0-9a-f]{10}/.test(l));
    expect(rows).toHaveLength(4);
    expect(first.out).toMatch(
      /4 trials \(every trial done\); selected on validation Sharpe, never on test data\. Deflated Sharpe ratio of the best over 4 trials: [\d.—]+/,
    );
    expect(first.out).toMatch(
      /chosen: trial [0-9a-f]{10} → .*chosen \(model wick-[0-9a-f]{12}\); trade it with WICK_ENTRY_QUANTILE=0\.(8|95) WICK_EXIT_QUANTILE=0\.5/,
    );
    expect((await stat(join(out, 'chosen', 'model.onnx'))).size).toBeGreaterThan(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { trials: number; chosen: { id: string } };
    expect(summary.trials).toBe(4);
    expect(rows[0]).toContain(summary.chosen.id);
    // no data at or after --to was read: the validation split ends before it
    const manifest = JSON.parse(await readFile(join(out, 'chosen', 'manifest.json'), 'utf8')) as { training: { splits: { validationToMs: number } } };
    expect(manifest.training.splits.validationToMs).toBeLessThan(Date.UTC(2022, 3, 15));

    const again = await tune(base(out));
    expect(again.err).toContain('4 already in');
    expect(again.err).not.toContain('training {');
    expect(again.out.split('\n').filter((l) => /^\d+\s+[0-9a-f]{10}/.test(l))).toEqual(rows);
  });

  it('Ctrl-C records no half-trained trial and says how to resume; a budget stops starting new trainings', async () => {
    const out = join(dir, 'stopped');
    const controller = new AbortController();
    controller.abort('SIGINT');
    const stopped = await tune(base(out), controller.signal);
    expect(stopped.code).toBe(130);
    expect(stopped.out).toContain('interrupted: run the same command again to resume');
    await expect(readFile(join(out, 'trials.jsonl'), 'utf8')).rejects.toThrow();
    // a spent budget starts no training (0s: just report what is recorded)
    const budget = await tune([...base(out), '--budget', '0s']);
    expect(budget.code).toBe(0);
    expect(budget.err).not.toContain('training {');
    expect(budget.out).toContain('0 trials (budget spent after 0 training(s) this run: not every configuration was tried)');
  });

  it('rejects a bad space with the path of the problem', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ window: [1] }));
    const r = await tune(['--data', join(sample, 'BTC_USDT-1h.csv'), '--to', '2022-04-15', '--space', bad, '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--space .*bad\.json: window\.0/);
  });
});
