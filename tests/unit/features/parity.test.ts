import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '../../../src/adapters/features-memory/index.ts';
import { FEATURE_COUNT, featureIndex } from '../../../src/core/features/index.ts';
import { makeHistory } from './fixtures.ts';
import {
  assertIdentical,
  informative,
  replayOffline,
  replayOnline,
  simulatedHistory,
} from './parity-harness.ts';

// Parity proof, unit lane (in-memory store). Tolerance: exact (0 ULP; NaN equals NaN).
describe('online/offline parity (memory store vs backfill)', () => {
  it('simulator stream with delayed labels: identical vectors for every transaction', async () => {
    const h = simulatedHistory(12_000, 7);
    const online = await replayOnline(new MemoryFeatureStore(), h, 1);
    const offline = await replayOffline(h);
    expect(assertIdentical(online, offline)).toBe(12_000 * FEATURE_COUNT);
    expect(informative(online)).toBeGreaterThan(12_000 * 10);
    // Labels must have reached the risk features, or the label half of the proof is empty.
    const k = featureIndex('merchant_fraud_count_28d');
    expect([...online.values()].filter((v) => v[k]! > 0).length).toBeGreaterThan(100);
  });

  it('out-of-order arrival, equal timestamps and bursts: identical vectors', async () => {
    const h = makeHistory({
      count: 6_000,
      seed: 21,
      cards: 80,
      days: 40,
      jitterMs: 120_000,
      fraudRate: 0.05,
    });
    const online = await replayOnline(new MemoryFeatureStore(), h, 2, 16);
    const offline = await replayOffline(h);
    expect(assertIdentical(online, offline)).toBe(6_000 * FEATURE_COUNT);
  });
});
