import { describe, expect, it } from 'vitest';
import { ceilToStep, floorToStep, isStepMultiple, roundToStep, stepDecimals } from './rounding.js';

describe('rounding to exchange steps', () => {
  it.each([
    [0.1 + 0.2, 0.1, 0.3, 0.3],
    [0.3, 0.1, 0.3, 0.3],
    [1.23456789, 0.001, 1.234, 1.235],
    [0.00029999999, 0.00001, 0.00029, 0.0003],
    [0.0003, 0.00001, 0.0003, 0.0003],
    [4.35, 0.01, 4.35, 4.35],
    [1.005, 0.01, 1, 1.01],
    [99.99999999, 0.01, 99.99, 100],
    [12345.678, 1, 12345, 12346],
    [7, 5, 5, 10],
    [0.000123456, 1e-8, 0.00012345, 0.00012346],
    [0.0009, 0.001, 0, 0.001],
  ])('floor/ceil %d to step %d -> %d / %d', (value, step, floor, ceil) => {
    expect(floorToStep(value, step)).toBe(floor);
    expect(ceilToStep(value, step)).toBe(ceil);
  });

  it('never produces binary artefacts when summing steps', () => {
    let acc = 0;
    for (let i = 0; i < 1000; i++) {
      acc = roundToStep(acc + 0.001, 0.001);
      expect(String(acc).length).toBeLessThanOrEqual(5);
    }
    expect(acc).toBe(1);
  });

  it('counts decimals of a step', () => {
    expect(stepDecimals(0.001)).toBe(3);
    expect(stepDecimals(0.00001)).toBe(5);
    expect(stepDecimals(1e-8)).toBe(8);
    expect(stepDecimals(0.5)).toBe(1);
    expect(stepDecimals(5)).toBe(0);
    expect(() => stepDecimals(0)).toThrow(RangeError);
  });

  it('recognises step multiples within tolerance', () => {
    expect(isStepMultiple(0.1 + 0.2, 0.1)).toBe(true);
    expect(isStepMultiple(0.0015, 0.001)).toBe(false);
    expect(roundToStep(-0.15000000001, 0.1)).toBe(-0.2);
  });
});

describe('rounding agrees with decimal arithmetic', () => {
  it('matches a toFixed oracle over many awkward values', () => {
    let seed = 12345;
    const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    for (const step of [0.001, 0.00001, 0.01, 1e-8, 0.5, 5, 0.1, 0.25]) {
      const d = stepDecimals(step);
      for (let i = 0; i < 2000; i++) {
        const v = rand() * 1000 * (i % 3 === 0 ? step : 1);
        const oracle = Number((Math.floor(v / step + 1e-9) * step).toFixed(d));
        expect(floorToStep(v, step)).toBe(oracle);
      }
    }
  });
});
