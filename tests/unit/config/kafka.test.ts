import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { kafkaOptions } from '../../../src/platform/index.ts';

const configInvalid = (naming: string) =>
  expect.objectContaining({ code: 'FRAUD_CONFIG_INVALID', message: expect.stringContaining(naming) });

describe('KAFKA_COMPRESSION', () => {
  it('defaults to none and reaches the Kafka client options', () => {
    expect(loadConfig({}).kafkaCompression).toBe('none');
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_COMPRESSION: 'lz4' });
    expect(kafkaOptions(config).compression).toBe('lz4');
  });

  it('refuses an unknown codec, naming the choices', () => {
    expect(() => loadConfig({ KAFKA_COMPRESSION: 'brotli' })).toThrow(
      configInvalid('none, gzip, snappy, lz4, zstd'),
    );
  });
});

describe('KAFKA_REPLICATION_FACTOR', () => {
  it("leaves the cluster's default unless set, and reaches the Kafka bus options when set", () => {
    const unset = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(unset.kafkaReplicationFactor).toBeNull();
    expect(kafkaOptions(unset).replicationFactor).toBeUndefined();
    const three = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_REPLICATION_FACTOR: '3' });
    expect(kafkaOptions(three).replicationFactor).toBe(3);
  });

  it('refuses a factor that is not a whole number from 1 to 32', () => {
    for (const bad of ['0', '1.5', 'three', '33'])
      expect(() => loadConfig({ KAFKA_REPLICATION_FACTOR: bad })).toThrow(
        configInvalid(`KAFKA_REPLICATION_FACTOR must be an integer in [1, 32], got '${bad}'`),
      );
  });
});

describe('KAFKA_FETCH_MIN_BYTES, KAFKA_FETCH_MAX_WAIT_MS, KAFKA_COMMIT_INTERVAL_MS', () => {
  it('default to an answer as soon as a record is there and a commit at most every 100 ms, and reach the bus', () => {
    const unset = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(unset.kafkaFetch).toEqual({ minBytes: 1, maxWaitMs: 50 });
    expect(unset.kafkaCommitIntervalMs).toBe(100);
    const set = loadConfig({
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_FETCH_MIN_BYTES: '16384',
      KAFKA_FETCH_MAX_WAIT_MS: '10',
      KAFKA_COMMIT_INTERVAL_MS: '1000',
    });
    expect(kafkaOptions(set).fetch).toEqual({ minBytes: 16384, maxWaitMs: 10 });
    expect(set.kafkaCommitIntervalMs).toBe(1000);
  });

  it('refuses values out of range', () => {
    expect(() => loadConfig({ KAFKA_FETCH_MIN_BYTES: '0' })).toThrow(
      configInvalid(`KAFKA_FETCH_MIN_BYTES must be an integer in [1, 16777216], got '0'`),
    );
    expect(() => loadConfig({ KAFKA_FETCH_MAX_WAIT_MS: '-1' })).toThrow(
      configInvalid(`KAFKA_FETCH_MAX_WAIT_MS must be an integer in [0, 30000], got '-1'`),
    );
    expect(() => loadConfig({ KAFKA_COMMIT_INTERVAL_MS: '1.5' })).toThrow(
      configInvalid(`KAFKA_COMMIT_INTERVAL_MS must be an integer in [0, 60000], got '1.5'`),
    );
  });
});
