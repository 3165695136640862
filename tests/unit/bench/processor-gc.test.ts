import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { gcCounters, gcDelta } from '../../../bench/pipeline/run.ts';

describe("the pipeline bench's processor GC figures (read from the processor's /metrics)", () => {
  it('counts the pauses between two scrapes, and the full mark-compacts among them', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'fraud_' });
    // GC entries reach prom-client's observer asynchronously.
    const settle = () => new Promise((r) => setTimeout(r, 100));
    await settle();
    const before = gcCounters(await registry.metrics());
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    await settle();
    const delta = gcDelta(before, gcCounters(await registry.metrics()));
    expect(delta.major).toBeGreaterThanOrEqual(1);
    expect(delta.pauses).toBeGreaterThanOrEqual(delta.major);
    expect(delta.total_ms).toBeGreaterThan(0);
    expect(delta.over_100ms).toBeLessThanOrEqual(delta.over_10ms);
  });
});
