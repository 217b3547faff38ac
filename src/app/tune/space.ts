import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A `wick tune` search space (JSON): each key lists the values to try; keys left out keep the
 * `wick train` default / the configured strategy. Training keys define the model configurations
 * (each trained once); policy keys are tried on every trained model (cheap: no retraining).
 */
export const searchSpaceSchema = z.strictObject({
  spec: z.array(z.string().min(1)).min(1).optional(),
  window: z.array(z.number().int().min(2).max(1024)).min(1).optional(),
  hidden: z.array(z.number().int().min(1).max(256)).min(1).optional(),
  layers: z
    .array(z.union([z.literal(1), z.literal(2)]))
    .min(1)
    .optional(),
  horizons: z.array(z.number().int().min(1).max(64)).min(1).optional(),
  target: z
    .array(z.enum(['ratio', 'direction']))
    .min(1)
    .optional(),
  loss: z
    .array(z.enum(['mse', 'huber']))
    .min(1)
    .optional(),
  lr: z.array(z.number().positive().max(1)).min(1).optional(),
  entryQuantile: z.array(z.number().min(0.01).max(0.99)).min(1).optional(),
  exitQuantile: z.array(z.number().min(0.01).max(0.99)).min(1).optional(),
  sizing: z
    .array(z.enum(['proportional', 'vol_target']))
    .min(1)
    .optional(),
  costAware: z.array(z.boolean()).min(1).optional(),
});
export type SearchSpace = z.infer<typeof searchSpaceSchema>;

export const TRAINING_KEYS = ['spec', 'window', 'hidden', 'layers', 'horizons', 'target', 'loss', 'lr'] as const;
export const POLICY_KEYS = ['entryQuantile', 'exitQuantile', 'sizing', 'costAware'] as const;

export type Assignment = Readonly<Record<string, string | number | boolean>>;

/** Every combination of the listed values of `keys` (keys absent from the space are left out). */
export function grid(space: SearchSpace, keys: readonly string[]): Assignment[] {
  let out: Record<string, string | number | boolean>[] = [{}];
  for (const key of keys) {
    const values = (space as Record<string, readonly (string | number | boolean)[] | undefined>)[key];
    if (values === undefined) continue;
    out = out.flatMap((a) => values.map((v) => ({ ...a, [key]: v })));
  }
  return out;
}

/** A stable short id of an assignment (key order does not matter). */
export function assignmentId(a: Assignment): string {
  const text = JSON.stringify(
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k]]),
  );
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** `30m`, `1h`, `90s`, `1h30m` → milliseconds. */
export function parseBudget(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (m === null || text.trim() === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined))
    throw new RangeError(`budget "${text}": expected a duration such as 30m, 1h or 1h30m`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}
