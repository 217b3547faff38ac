import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const depcruise = fileURLToPath(new URL('../node_modules/.bin/depcruise', import.meta.url));

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(depcruise, ['src', '--config', `${repo}/.dependency-cruiser.cjs`, '--output-type', 'err'], { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('dependency rule (DESIGN "Layers and the dependency rule")', () => {
  it('catches planted violations: a layer importing a forbidden layer, I/O in a pure layer, a cycle', async () => {
    const { code, output } = await cruise(fileURLToPath(new URL('./fixtures/architecture', import.meta.url)));
    expect(code).not.toBe(0);
    expect(output).toMatch(/layer-core: src\/core\/planted\.ts → src\/market\/feed\.ts/);
    expect(output).toMatch(/pure-layers-do-no-io: src\/features\/reads-files\.ts → (node:)?fs/);
    expect(output).toMatch(/no-circular: src\/strategy\/a\.ts/);
    // The trading step has one home (src/execution/kernel): its old paths are forbidden.
    expect(output).toMatch(/one-trading-path: src\/app\/daemon\/daemon\.ts → src\/app\/daemon\/paper-trader\.ts/);
    expect(output).toMatch(/one-trading-path: src\/app\/daemon\/daemon\.ts → src\/backtest\/session\.ts/);
    expect(output).toMatch(/daemon-does-not-use-backtest: src\/app\/daemon\/daemon\.ts → src\/backtest\/session\.ts/);
  });

  it('passes on the real source tree', async () => {
    const { code, output } = await cruise(repo);
    expect(output).not.toMatch(/error/i);
    expect(code).toBe(0);
  });
});
