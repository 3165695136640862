import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '../../../src/adapters/features-memory/index.ts';
import { ThreadedFeatureStore } from '../../../src/adapters/features-memory/thread.ts';
import { FEATURE_COUNT } from '../../../src/core/features/index.ts';
import { stream } from '../../support/platform.ts';
import { assertIdentical, replayOffline, replayOnline, simulatedHistory } from './parity-harness.ts';
import { featureStoreContract } from './store-contract.ts';

featureStoreContract('memory, on its own thread', async () => new ThreadedFeatureStore());

describe('the feature engine on its own thread', () => {
  it('gives the backfill’s vectors for a simulated stream with delayed labels (0 ULP)', async () => {
    const h = simulatedHistory(6_000, 29);
    const store = new ThreadedFeatureStore();
    const inline = new MemoryFeatureStore();
    try {
      const online = await replayOnline(store, h, 3);
      expect(assertIdentical(online, await replayOffline(h))).toBe(6_000 * FEATURE_COUNT);
      // The same state as the engine on this thread fed the same calls: labels included.
      await replayOnline(inline, h, 3);
      const stats = await store.stats();
      expect(stats).toEqual(inline.stats());
      expect(stats.labelsApplied).toBeGreaterThan(100);
    } finally {
      await Promise.all([store.close(), inline.close()]);
    }
  });

  it('carries text that is not ASCII byte-exact (categories, ids as the contract allows)', async () => {
    const categories = ['padaria e confeitaria', 'pão & café', 'électronique', '書店', 'retail'];
    const batch = stream(400, 7).map((t, i) => ({
      ...t,
      merchant_category: categories[i % categories.length]!,
      merchant_id: `m_${i % 11}`,
      ip_address: i % 2 === 0 ? `10.0.0.${i % 5}` : `2001:db8::${i % 3}`,
    }));
    const threaded = new ThreadedFeatureStore();
    const inline = new MemoryFeatureStore();
    try {
      // Two batches, so the second sees state the first left on the thread.
      const a = [
        ...(await threaded.enrich(batch.slice(0, 150))),
        ...(await threaded.enrich(batch.slice(150))),
      ];
      const b = [...(await inline.enrich(batch.slice(0, 150))), ...(await inline.enrich(batch.slice(150)))];
      expect(a).toHaveLength(400);
      for (let i = 0; i < a.length; i++) expect(Array.from(a[i]!)).toEqual(Array.from(b[i]!));
      expect(await threaded.stats()).toEqual(inline.stats()); // categories counted apart, as inline
    } finally {
      await Promise.all([threaded.close(), inline.close()]);
    }
  });

  it('refuses every call once closed, with a catalogued error', async () => {
    const store = new ThreadedFeatureStore();
    await store.enrich(stream(3, 1));
    await store.close();
    await expect(store.enrich(stream(1, 1))).rejects.toMatchObject({ code: 'FRAUD_INTERNAL' });
    await expect(
      store.addLabels([{ transaction_id: 'tx_0', is_fraud: true, labeled_at: '2025-02-01T00:00:00Z' }]),
    ).rejects.toMatchObject({ code: 'FRAUD_INTERNAL' });
  });

  it('does not keep an idle process alive', async () => {
    // A CLI command that forgets to close the store must still exit once its work is done.
    const thread = fileURLToPath(new URL('../../../src/adapters/features-memory/thread.ts', import.meta.url));
    const support = fileURLToPath(new URL('../../support/platform.ts', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'fraud-feature-thread-'));
    const script = join(dir, 'forgets-to-close.ts');
    writeFileSync(
      script,
      `import { ThreadedFeatureStore } from ${JSON.stringify(thread)};
       import { stream } from ${JSON.stringify(support)};
       const v = await new ThreadedFeatureStore().enrich(stream(10, 2));
       console.log(v.length);`,
    );
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--disable-warning=ExperimentalWarning', script],
        { timeout: 20_000 },
      );
      expect(stdout.trim()).toBe('10');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
