import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { isFraudError } from '../../../src/core/errors/index.ts';
import { kafkaOptions } from '../../../src/platform/index.ts';

describe('KAFKA_COMPRESSION', () => {
  it('defaults to none and reaches the Kafka client options', () => {
    expect(loadConfig({}).kafkaCompression).toBe('none');
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_COMPRESSION: 'lz4' });
    expect(kafkaOptions(config).compression).toBe('lz4');
  });

  it('refuses an unknown codec, naming the choices', () => {
    let err: unknown;
    try {
      loadConfig({ KAFKA_COMPRESSION: 'brotli' });
    } catch (e) {
      err = e;
    }
    expect(isFraudError(err) && err.code).toBe('FRAUD_CONFIG_INVALID');
    expect((err as Error).message).toContain('none, gzip, snappy, lz4, zstd');
  });
});
