import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { isFraudError } from '../../../src/core/errors/index.ts';

describe('FRAUD_ENRICHED_FEATURES', () => {
  it('defaults to the vector form; named is the other', () => {
    expect(loadConfig({}).enrichedFeatures).toBe('vector');
    expect(loadConfig({ FRAUD_ENRICHED_FEATURES: 'named' }).enrichedFeatures).toBe('named');
  });

  it('refuses an unknown form, naming the choices', () => {
    let err: unknown;
    try {
      loadConfig({ FRAUD_ENRICHED_FEATURES: 'object' });
    } catch (e) {
      err = e;
    }
    expect(isFraudError(err) && err.code).toBe('FRAUD_CONFIG_INVALID');
    expect((err as Error).message).toContain('vector, named');
  });
});
