/**
 * Integer-safe rounding to exchange increments. Values are expressed as a count of steps (with a
 * small relative epsilon so that 0.3 / 0.1 = 2.9999999999999996 counts as 3 steps), then rebuilt
 * with the step's own number of decimals, so 0.1 + 0.2 style artefacts never reach an order.
 */

/** Relative tolerance, in steps, that absorbs binary floating-point error (never a real step). */
const STEP_EPSILON = 1e-9;

const decimalsCache = new Map<number, number>();

/** Number of decimals needed to write `step` exactly (0.001 → 3, 1e-8 → 8, 5 → 0). */
export function stepDecimals(step: number): number {
  const cached = decimalsCache.get(step);
  if (cached !== undefined) return cached;
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`step must be a positive finite number, got ${step}`);
  let decimals = 0;
  // Smallest d such that step * 10^d is an integer (to 1e-9 relative): bounded at 15 digits.
  while (decimals < 15) {
    const scaled = step * 10 ** decimals;
    if (Math.abs(scaled - Math.round(scaled)) <= 1e-9 * Math.max(1, scaled)) break;
    decimals++;
  }
  decimalsCache.set(step, decimals);
  return decimals;
}

/**
 * steps × step, computed as (steps × stepUnits) / 10^d with stepUnits = step × 10^d an integer: an
 * exact integer product and one correctly rounded division give the double nearest the decimal.
 */
function fromSteps(steps: number, step: number): number {
  const scale = 10 ** stepDecimals(step);
  const v = (steps * Math.round(step * scale)) / scale;
  return v === 0 ? 0 : v; // no -0
}

/** Largest multiple of `step` that is <= value (quantities: never send more than intended). */
export function floorToStep(value: number, step: number): number {
  return fromSteps(Math.floor(value / step + STEP_EPSILON), step);
}

/** Smallest multiple of `step` that is >= value. */
export function ceilToStep(value: number, step: number): number {
  return fromSteps(Math.ceil(value / step - STEP_EPSILON), step);
}

/** Nearest multiple of `step` (half away from zero). */
export function roundToStep(value: number, step: number): number {
  const steps = value / step;
  return fromSteps(Math.sign(steps) * Math.round(Math.abs(steps)), step);
}

/** Whether value is a whole number of steps (within the rounding tolerance). */
export function isStepMultiple(value: number, step: number): boolean {
  const steps = value / step;
  return Math.abs(steps - Math.round(steps)) <= STEP_EPSILON * Math.max(1, Math.abs(steps));
}
