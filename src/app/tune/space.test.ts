import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignmentId, grid, parseBudget, POLICY_KEYS, searchSpaceSchema, TRAINING_KEYS } from './space.js';

describe('tune search space', () => {
  it('grids the training and policy keys separately; absent keys are left out', () => {
    const space = searchSpaceSchema.parse({ window: [24, 32], hidden: [16], entryQuantile: [0.8, 0.9], exitQuantile: [0.5] });
    expect(grid(space, TRAINING_KEYS)).toEqual([
      { window: 24, hidden: 16 },
      { window: 32, hidden: 16 },
    ]);
    expect(grid(space, POLICY_KEYS)).toEqual([
      { entryQuantile: 0.8, exitQuantile: 0.5 },
      { entryQuantile: 0.9, exitQuantile: 0.5 },
    ]);
    expect(grid(searchSpaceSchema.parse({}), TRAINING_KEYS)).toEqual([{}]);
  });

  it('grid size is the product of the value counts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 64 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 3 }),
        (windows, hidden) => {
          expect(grid({ window: windows, hidden }, TRAINING_KEYS)).toHaveLength(windows.length * hidden.length);
        },
      ),
    );
  });

  it('rejects unknown keys and bad values with the path', () => {
    expect(() => searchSpaceSchema.parse({ windw: [3] })).toThrow(/windw/);
    expect(() => searchSpaceSchema.parse({ window: [1] })).toThrow(/window/);
    expect(() => searchSpaceSchema.parse({ target: ['up'] })).toThrow(/target/);
  });

  it('ids ignore key order; budgets parse', () => {
    expect(assignmentId({ a: 1, b: 'x' })).toBe(assignmentId({ b: 'x', a: 1 }));
    expect(assignmentId({ a: 1 })).not.toBe(assignmentId({ a: 2 }));
    expect(parseBudget('30m')).toBe(1_800_000);
    expect(parseBudget('1h30m')).toBe(5_400_000);
    expect(parseBudget('90s')).toBe(90_000);
    expect(() => parseBudget('soon')).toThrow(/expected a duration/);
    expect(() => parseBudget('')).toThrow(/expected a duration/);
  });
});
