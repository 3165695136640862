import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { ThreadedFeatureStore } from '../../../src/adapters/features-memory/thread.ts';
import { type EnrichedTransaction, TOPICS } from '../../../src/core/contracts/index.ts';
import {
  FEATURE_COUNT,
  FEATURE_SET_VERSION,
  namedFeatures,
  recordToFeatures,
} from '../../../src/core/features/index.ts';
import { StreamProcessor } from '../../../src/services/processor/index.ts';
import { embeddedPlatform } from '../../support/platform.ts';
import { assertIdentical, replayOffline, simulatedHistory } from './parity-harness.ts';

/**
 * Parity through the real stream processor (issue #3, item 5: "replays a simulated stream
 * with delayed labels through the online processor"): transactions and labels are published
 * to the in-process bus, the processor enriches them, and the `enriched-transactions` records
 * must carry exactly the vectors of the offline backfill (0 ULP; JSON round-trips doubles
 * exactly). One partition keeps the arrival order of the file; labels are published first,
 * i.e. early, which is exact because visibility is decided by labeled_at.
 */
describe('online/offline parity through the stream processor', () => {
  it('enriched-transactions equal the backfill for every transaction', async () => {
    const h = simulatedHistory(3_000, 13);
    const bus = new MemoryBus({ partitions: 1 });
    const platform = await embeddedPlatform({ bus });
    const processor = new StreamProcessor({
      bus,
      engine: platform.engine,
      features: platform.features,
      metrics: platform.metrics,
      maxBatchSize: 64,
    });
    const enriched = await bus.subscribe({
      groupId: 'parity-watch',
      topics: [TOPICS.enriched],
      from: 'earliest',
    });
    await processor.start();
    // The platform's default store: the engine on its own thread.
    expect(platform.features).toBeInstanceOf(ThreadedFeatureStore);
    const store = platform.features as ThreadedFeatureStore;
    const frauds = h.labels.filter((l) => l.is_fraud).length;
    await bus.publish(
      TOPICS.labels,
      h.labels.map((l) => ({ key: l.transaction_id, value: JSON.stringify(l) })),
    );
    for (let i = 0; i < 200 && (await store.stats()).labelsPending < frauds; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect((await store.stats()).labelsPending).toBe(frauds);
    await bus.publish(
      TOPICS.transactions,
      h.transactions.map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    const online = new Map<string, Float64Array>();
    const deadline = Date.now() + 60_000;
    while (online.size < h.transactions.length && Date.now() < deadline) {
      const records = await enriched.next(100);
      if (records === null) break;
      for (const r of records) {
        const e = JSON.parse(r.value.toString()) as EnrichedTransaction;
        expect(e.feature_set_version).toBe(FEATURE_SET_VERSION);
        expect(Array.isArray(e.features)).toBe(true); // the default form
        online.set(
          e.transaction.transaction_id,
          recordToFeatures(namedFeatures(e.features, e.feature_set_version)!),
        );
      }
    }
    await processor.stop();
    const applied = (await store.stats()).labelsApplied;
    await platform.close();
    const offline = await replayOffline(h);
    expect(assertIdentical(online, offline)).toBe(3_000 * FEATURE_COUNT);
    expect(applied).toBe(frauds);
  });
});
