import { FraudError } from '../core/errors/index.ts';
import { ENRICHED_FEATURE_FORMS, type EnrichedFeatureForm } from '../core/pipeline/index.ts';

/**
 * Platform configuration, read once from the environment at start-up, validated and frozen.
 * Every infrastructure part is embedded unless its variable is set.
 */
export interface KafkaSecurity {
  readonly tls: boolean;
  readonly caFile: string | null;
  readonly sasl: {
    readonly mechanism: SaslMechanism;
    readonly username: string;
    readonly password: string;
  } | null;
}

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

function kafkaSecurity(env: NodeJS.ProcessEnv): KafkaSecurity {
  const tlsRaw = nonEmpty(env, 'KAFKA_TLS') ?? 'false';
  if (tlsRaw !== 'true' && tlsRaw !== 'false') {
    throw new FraudError('FRAUD_CONFIG_INVALID', `KAFKA_TLS must be true or false, got '${tlsRaw}'`);
  }
  const mechanism = nonEmpty(env, 'KAFKA_SASL_MECHANISM');
  let sasl: KafkaSecurity['sasl'] = null;
  if (mechanism) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new FraudError(
        'FRAUD_CONFIG_INVALID',
        `KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}`,
      );
    }
    const username = nonEmpty(env, 'KAFKA_SASL_USERNAME');
    const password = nonEmpty(env, 'KAFKA_SASL_PASSWORD');
    if (!username || !password) {
      throw new FraudError(
        'FRAUD_CONFIG_INVALID',
        'KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
      );
    }
    sasl = Object.freeze({ mechanism: mechanism as SaslMechanism, username, password });
  }
  return Object.freeze({ tls: tlsRaw === 'true', caFile: nonEmpty(env, 'KAFKA_TLS_CA_FILE'), sasl });
}

export interface PlatformConfig {
  /** `KAFKA_BROKERS` (comma-separated host:port). Unset: the in-process bus. */
  readonly kafkaBrokers: readonly string[] | null;
  /** `KAFKA_CLIENT_ID`, default `fraud`. */
  readonly kafkaClientId: string;
  /**
   * Transport security to Kafka (managed clusters such as MSK are TLS-only):
   * `KAFKA_TLS=true` (with `KAFKA_TLS_CA_FILE` for a private CA), and SASL with
   * `KAFKA_SASL_MECHANISM` (PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512), `KAFKA_SASL_USERNAME`,
   * `KAFKA_SASL_PASSWORD`.
   */
  readonly kafkaSecurity: KafkaSecurity;
  /** `KAFKA_COMPRESSION`: none (default) | gzip | snappy | lz4 | zstd, for every producer. */
  readonly kafkaCompression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /**
   * `KAFKA_REPLICATION_FACTOR`: replication factor of the topics the platform creates. Unset:
   * the cluster's `default.replication.factor`.
   */
  readonly kafkaReplicationFactor: number | null;
  /**
   * The fetch of every platform consumer: `KAFKA_FETCH_MIN_BYTES` (default 1) and
   * `KAFKA_FETCH_MAX_WAIT_MS` (default 50), Kafka's `fetch.min.bytes` and `fetch.max.wait.ms`.
   */
  readonly kafkaFetch: { readonly minBytes: number; readonly maxWaitMs: number };
  /**
   * `KAFKA_COMMIT_INTERVAL_MS`: the processor commits its consumed offsets at most this often
   * (default 100). Longer means fewer requests and more records redone after a crash.
   */
  readonly kafkaCommitIntervalMs: number;
  /**
   * `FRAUD_ENRICHED_FEATURES`: how `enriched-transactions` records carry the features, `vector`
   * (default; catalogue order of their feature_set_version) or `named` (an object by name).
   */
  readonly enrichedFeatures: EnrichedFeatureForm;
  /** `REDIS_URL`. Unset: in-memory feature state. */
  readonly redisUrl: string | null;
  /**
   * `FRAUD_FEATURE_THREAD`: `on` (default) runs the in-memory feature engine on a thread of its
   * own, `off` on the decision thread. No effect with `REDIS_URL`.
   */
  readonly featureThread: boolean;
  /** `NEO4J_URI`, `NEO4J_USER`, `NEO4J_PASSWORD`. Unset: the in-process graph. */
  readonly neo4j: { readonly uri: string; readonly user: string; readonly password: string } | null;
  /** `DATABASE_URL`. Unset: embedded PostgreSQL under the data directory. */
  readonly databaseUrl: string | null;
  /** `FRAUD_MODEL` (a directory or `models:/name@alias`). Default: the shipped model, if present. */
  readonly model: string | null;
  /** `FRAUD_CHALLENGER_MODEL`: a challenger scored in shadow on live traffic (never decides). */
  readonly challengerModel: string | null;
  /** `FRAUD_RULES` (a rule set file). Default: `rules/default.yaml`. */
  readonly rulesFile: string | null;
  /** `FRAUD_DATA_DIR`, default `.data/` in the repository. */
  readonly dataDir: string;
  /** `FRAUD_API_HOST` (default 127.0.0.1) and `FRAUD_API_PORT` (default 8080). */
  readonly apiHost: string;
  readonly apiPort: number;
  /** `FRAUD_PARTITIONS`: partitions for created topics, default 6. */
  readonly partitions: number;
  /** `LOG_LEVEL`, default `info`. */
  readonly logLevel: string;
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FraudError(
      'FRAUD_CONFIG_INVALID',
      `${name} must be an integer in [${min}, ${max}], got '${raw}'`,
    );
  }
  return n;
}

const DEFAULT_FETCH_MIN_BYTES = 1;
const DEFAULT_FETCH_MAX_WAIT_MS = 50;
const DEFAULT_COMMIT_INTERVAL_MS = 100;

const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

function kafkaCompression(env: NodeJS.ProcessEnv): (typeof COMPRESSIONS)[number] {
  const v = nonEmpty(env, 'KAFKA_COMPRESSION') ?? 'none';
  if (!(COMPRESSIONS as readonly string[]).includes(v)) {
    throw new FraudError(
      'FRAUD_CONFIG_INVALID',
      `KAFKA_COMPRESSION must be one of ${COMPRESSIONS.join(', ')}, got '${v}'`,
    );
  }
  return v as (typeof COMPRESSIONS)[number];
}

function enrichedFeatures(env: NodeJS.ProcessEnv): EnrichedFeatureForm {
  const v = nonEmpty(env, 'FRAUD_ENRICHED_FEATURES') ?? 'vector';
  if (!(ENRICHED_FEATURE_FORMS as readonly string[]).includes(v)) {
    throw new FraudError(
      'FRAUD_CONFIG_INVALID',
      `FRAUD_ENRICHED_FEATURES must be one of ${ENRICHED_FEATURE_FORMS.join(', ')}, got '${v}'`,
    );
  }
  return v as EnrichedFeatureForm;
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const v = nonEmpty(env, name);
  if (v === null) return fallback;
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new FraudError('FRAUD_CONFIG_INVALID', `${name} must be on or off, got '${v}'`);
}

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | null {
  const v = env[name]?.trim();
  return v ? v : null;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  root = process.env['FRAUD_ROOT'] ?? process.cwd(),
): PlatformConfig {
  const brokers = nonEmpty(env, 'KAFKA_BROKERS');
  const kafkaBrokers = brokers
    ? brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean)
    : null;
  for (const b of kafkaBrokers ?? []) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b)) {
      throw new FraudError('FRAUD_CONFIG_INVALID', `KAFKA_BROKERS entry '${b}' must be host:port`);
    }
  }
  const neo4jUri = nonEmpty(env, 'NEO4J_URI');
  return Object.freeze({
    kafkaBrokers: kafkaBrokers ? Object.freeze(kafkaBrokers) : null,
    kafkaClientId: nonEmpty(env, 'KAFKA_CLIENT_ID') ?? 'fraud',
    kafkaSecurity: kafkaSecurity(env),
    kafkaCompression: kafkaCompression(env),
    kafkaReplicationFactor: nonEmpty(env, 'KAFKA_REPLICATION_FACTOR')
      ? intVar(env, 'KAFKA_REPLICATION_FACTOR', 1, 1, 32)
      : null,
    kafkaFetch: Object.freeze({
      minBytes: intVar(env, 'KAFKA_FETCH_MIN_BYTES', DEFAULT_FETCH_MIN_BYTES, 1, 16 * 1024 * 1024),
      maxWaitMs: intVar(env, 'KAFKA_FETCH_MAX_WAIT_MS', DEFAULT_FETCH_MAX_WAIT_MS, 0, 30_000),
    }),
    kafkaCommitIntervalMs: intVar(env, 'KAFKA_COMMIT_INTERVAL_MS', DEFAULT_COMMIT_INTERVAL_MS, 0, 60_000),
    enrichedFeatures: enrichedFeatures(env),
    redisUrl: nonEmpty(env, 'REDIS_URL'),
    featureThread: onOff(env, 'FRAUD_FEATURE_THREAD', true),
    neo4j: neo4jUri
      ? Object.freeze({
          uri: neo4jUri,
          user: nonEmpty(env, 'NEO4J_USER') ?? 'neo4j',
          password: nonEmpty(env, 'NEO4J_PASSWORD') ?? 'neo4j',
        })
      : null,
    databaseUrl: nonEmpty(env, 'DATABASE_URL'),
    model: nonEmpty(env, 'FRAUD_MODEL'),
    challengerModel: nonEmpty(env, 'FRAUD_CHALLENGER_MODEL'),
    rulesFile: nonEmpty(env, 'FRAUD_RULES'),
    dataDir: nonEmpty(env, 'FRAUD_DATA_DIR') ?? `${root}/.data`,
    apiHost: nonEmpty(env, 'FRAUD_API_HOST') ?? '127.0.0.1',
    apiPort: intVar(env, 'FRAUD_API_PORT', 8080, 0, 65535),
    partitions: intVar(env, 'FRAUD_PARTITIONS', 6, 1, 1024),
    logLevel: nonEmpty(env, 'LOG_LEVEL') ?? 'info',
  });
}
