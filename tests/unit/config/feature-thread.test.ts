import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '../../../src/adapters/features-memory/index.ts';
import { ThreadedFeatureStore } from '../../../src/adapters/features-memory/thread.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { createFeatureStore } from '../../../src/platform/index.ts';

describe('FRAUD_FEATURE_THREAD', () => {
  it('defaults to on; off keeps the engine on the decision thread', () => {
    expect(loadConfig({}).featureThread).toBe(true);
    expect(loadConfig({ FRAUD_FEATURE_THREAD: 'on' }).featureThread).toBe(true);
    expect(loadConfig({ FRAUD_FEATURE_THREAD: 'off' }).featureThread).toBe(false);
  });

  it('refuses anything but on or off', () => {
    expect(() => loadConfig({ FRAUD_FEATURE_THREAD: 'yes' })).toThrow(
      expect.objectContaining({
        code: 'FRAUD_CONFIG_INVALID',
        message: "FRAUD_FEATURE_THREAD must be on or off, got 'yes'",
      }),
    );
  });

  it('picks the embedded store accordingly', async () => {
    const threaded = await createFeatureStore(loadConfig({}));
    const inline = await createFeatureStore(loadConfig({ FRAUD_FEATURE_THREAD: 'off' }));
    try {
      expect(threaded).toBeInstanceOf(ThreadedFeatureStore);
      expect(inline).toBeInstanceOf(MemoryFeatureStore);
      // What the start-up lines and the bench results name them.
      expect(threaded.kind).toBe('memory-thread');
      expect(inline.kind).toBe('memory');
    } finally {
      await Promise.all([threaded.close(), inline.close()]);
    }
  });
});
