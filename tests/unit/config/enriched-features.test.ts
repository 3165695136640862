import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';

describe('FRAUD_ENRICHED_FEATURES', () => {
  it('defaults to the vector form; named is the other', () => {
    expect(loadConfig({}).enrichedFeatures).toBe('vector');
    expect(loadConfig({ FRAUD_ENRICHED_FEATURES: 'named' }).enrichedFeatures).toBe('named');
  });

  it('refuses an unknown form, naming the choices', () => {
    expect(() => loadConfig({ FRAUD_ENRICHED_FEATURES: 'object' })).toThrow(
      expect.objectContaining({
        code: 'FRAUD_CONFIG_INVALID',
        message: "FRAUD_ENRICHED_FEATURES must be one of vector, named, got 'object'",
      }),
    );
  });
});
