import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('createMetrics', () => {
  it('uses a registry of its own, so two instances do not collide', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false, defaultLabels: { instance: 'b' } });
    a.intentsTotal.inc({ action: 'long' });
    b.intentsTotal.inc({ action: 'long' }, 2);
    expect(await a.text()).toContain('wick_intents_total{action="long"} 1');
    expect(await b.text()).toContain('wick_intents_total{action="long",instance="b"} 2');
    expect(await a.text()).not.toContain('process_cpu');
  });
});
