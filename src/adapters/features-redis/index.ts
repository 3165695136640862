import { Redis, type RedisOptions } from 'ioredis';
import type { Label, Transaction } from '../../core/contracts/index.ts';
import { FraudError } from '../../core/errors/index.ts';
import {
  CARD_HISTORY_MS,
  CARD_STRIDE,
  CUSTOMER_HISTORY_MS,
  CUSTOMER_STRIDE,
  computeCard,
  computeContext,
  computeCustomer,
  computeLinks,
  computeRisk,
  eventTime,
  FEATURE_COUNT,
  LINK_HISTORY_MS,
  LINK_STRIDE,
  MINUTE_MS,
  RISK_HISTORY_MS,
  RISK_WINDOW_MS,
  type TxPoint,
  toPoint,
} from '../../core/features/index.ts';
import type { FeatureStore, FeatureVector } from '../../ports/index.ts';
import { ENRICH_LUA, LABEL_LUA } from './scripts.ts';

/** Options of the Redis feature store. */
export interface RedisFeatureStoreOptions {
  /** Prefix of every key (default `fraud:fs`); tests use a unique one each. */
  keyPrefix?: string;
  /** Allowed lateness in ms (default 5 minutes), as the memory store. */
  allowedLatenessMs?: number;
  /** Wall-clock expiry of idle entity keys, seconds (default 31 days: 30-day windows + slack). */
  keyTtlSeconds?: number;
  /**
   * How long a transaction stays in the label index (and idempotency record), seconds
   * (default 120 days, the longest usual chargeback time limit).
   */
  labelHorizonSeconds?: number;
  /** Extra ioredis options. */
  redis?: RedisOptions;
}

type Reply = [number, string[], string[], string[], string[], number[]];

interface ScriptedRedis extends Redis {
  fsEnrich(...args: (string | number)[]): Promise<Reply>;
  fsLabel(...args: (string | number)[]): Promise<number>;
}

function parseRows(rows: string[], stride: number, out: number[]): number {
  let n = 0;
  for (const row of rows) {
    let start = 0;
    for (let k = 0; k < stride; k++) {
      let end = row.indexOf(',', start);
      if (end === -1) end = row.length;
      out[n++] = Number(row.slice(start, end));
      start = end + 1;
    }
  }
  return n;
}

/**
 * Feature state in Redis, shared by every processor instance (issue #3: "Redis, for
 * scale-out, so that processor instances share state"). One Lua script per transaction
 * atomically reads the entity histories as they were before it and applies it, unless its
 * `transaction_id` is already in the index (a replay after a crash or rebalance: nothing is
 * applied and the vector is recomputed from the same rows). The vector itself is computed
 * here by the core functions, exactly as in the memory store.
 */
export class RedisFeatureStore implements FeatureStore {
  readonly kind = 'redis' as const;
  readonly client: ScriptedRedis;
  private readonly prefix: string;
  private readonly latenessMs: number;
  private readonly keyTtl: number;
  private readonly indexTtl: number;
  private readonly rows: number[] = [];

  constructor(client: Redis, options: RedisFeatureStoreOptions = {}) {
    this.client = client as ScriptedRedis;
    this.prefix = options.keyPrefix ?? 'fraud:fs';
    this.latenessMs = options.allowedLatenessMs ?? 5 * MINUTE_MS;
    this.keyTtl = options.keyTtlSeconds ?? 31 * 86_400;
    this.indexTtl = options.labelHorizonSeconds ?? 120 * 86_400;
    this.client.defineCommand('fsEnrich', { numberOfKeys: 14, lua: ENRICH_LUA });
    this.client.defineCommand('fsLabel', { numberOfKeys: 2, lua: LABEL_LUA });
  }

  async enrich(transactions: readonly Transaction[]): Promise<FeatureVector[]> {
    if (transactions.length === 0) return [];
    const p = this.prefix;
    const L = this.latenessMs;
    const pipe = this.client.pipeline() as unknown as ScriptedRedis & {
      exec(): Promise<[Error | null, unknown][]>;
    };
    const points: TxPoint[] = [];
    for (const tx of transactions) {
      const x = toPoint(tx);
      points.push(x);
      const t = x.time;
      const h = String(x.hash);
      pipe.fsEnrich(
        `${p}:c:${tx.card_id}`,
        `${p}:u:${tx.customer_id}`,
        `${p}:dl:${tx.device_id}`,
        `${p}:il:${tx.ip_address}`,
        `${p}:mt:${tx.merchant_id}`,
        `${p}:kt:${tx.merchant_category}`,
        `${p}:dt:${tx.device_id}`,
        `${p}:it:${tx.ip_address}`,
        `${p}:mf:${tx.merchant_id}`,
        `${p}:kf:${tx.merchant_category}`,
        `${p}:df:${tx.device_id}`,
        `${p}:if:${tx.ip_address}`,
        `${p}:x:${tx.transaction_id}`,
        `${p}:lp:${tx.transaction_id}`,
        String(t),
        h,
        `${t},${h},${x.amount},${x.merchant},${x.device},${x.ip},${x.country},${x.present}`,
        `${t},${h},${x.amount},${x.device},${x.country}`,
        `${t},${h},${x.card}`,
        String(t - Math.max(CARD_HISTORY_MS, CUSTOMER_HISTORY_MS) - L),
        String(t - LINK_HISTORY_MS - L),
        String(t - RISK_HISTORY_MS - L),
        String(t - RISK_WINDOW_MS[0]!),
        String(t - RISK_WINDOW_MS[1]!),
        String(t - RISK_WINDOW_MS[2]!),
        tx.merchant_id,
        tx.merchant_category,
        tx.device_id,
        tx.ip_address,
        this.keyTtl,
        this.indexTtl,
        tx.transaction_id,
      );
    }
    let results: [Error | null, unknown][];
    try {
      results = (await pipe.exec()) ?? [];
    } catch (err) {
      throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', `redis feature store: ${(err as Error).message}`);
    }
    const out: FeatureVector[] = [];
    const rows = this.rows;
    // One backing store per batch, a view per transaction (see the memory store).
    const slab = new Float64Array(results.length * FEATURE_COUNT);
    for (let i = 0; i < results.length; i++) {
      const [err, value] = results[i]!;
      if (err) throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', `redis feature store: ${err.message}`);
      const [, card, cust, dev, ip, counts] = value as Reply;
      const x = points[i]!;
      const v = slab.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
      computeCard(x, rows, 0, parseRows(card, CARD_STRIDE, rows), v);
      computeCustomer(x, rows, 0, parseRows(cust, CUSTOMER_STRIDE, rows), v);
      computeLinks(x, 0, rows, 0, parseRows(dev, LINK_STRIDE, rows), v);
      computeLinks(x, 1, rows, 0, parseRows(ip, LINK_STRIDE, rows), v);
      for (let e = 0; e < 4; e++) computeRisk(e, counts, e * 6, v);
      computeContext(x, v);
      out.push(v);
    }
    return out;
  }

  async addLabels(labels: readonly Label[]): Promise<void> {
    const fraud = labels.filter((l) => l.is_fraud);
    if (fraud.length === 0) return;
    const p = this.prefix;
    const pipe = this.client.pipeline() as unknown as ScriptedRedis & {
      exec(): Promise<[Error | null, unknown][]>;
    };
    for (const l of fraud) {
      pipe.fsLabel(
        `${p}:x:${l.transaction_id}`,
        `${p}:lp:${l.transaction_id}`,
        String(eventTime(l.labeled_at)),
        l.transaction_id,
        p,
        this.indexTtl,
        this.keyTtl,
      );
    }
    let results: [Error | null, unknown][];
    try {
      results = (await pipe.exec()) ?? [];
    } catch (err) {
      throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', `redis feature store: ${(err as Error).message}`);
    }
    for (const [err] of results) {
      if (err) throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', `redis feature store: ${err.message}`);
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/**
 * Connects to `url` (e.g. `redis://127.0.0.1:6379/0`) and returns the shared feature store.
 * Fails fast with FRAUD_DEPENDENCY_UNAVAILABLE if Redis does not answer.
 */
export async function createRedisFeatureStore(
  url: string,
  options: RedisFeatureStoreOptions = {},
): Promise<FeatureStore & RedisFeatureStore> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
    ...options.redis,
  });
  // Connection errors surface on the commands (FRAUD_DEPENDENCY_UNAVAILABLE, retryable) and
  // ioredis reconnects by itself; the event only needs a listener so it is not re-thrown.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new FraudError(
      'FRAUD_DEPENDENCY_UNAVAILABLE',
      `redis feature store: cannot reach ${url}: ${(err as Error).message}`,
    );
  }
  return new RedisFeatureStore(client, options);
}
