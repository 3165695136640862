import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '../../../src/adapters/features-memory/index.ts';
import {
  createRedisFeatureStore,
  type RedisFeatureStore,
} from '../../../src/adapters/features-redis/index.ts';
import { FEATURE_COUNT, featureIndex } from '../../../src/core/features/index.ts';
import type { FeatureStore } from '../../../src/ports/index.ts';
import { makeHistory } from '../../unit/features/fixtures.ts';
import {
  assertIdentical,
  informative,
  replayOffline,
  replayOnline,
  simulatedHistory,
} from '../../unit/features/parity-harness.ts';
import { featureStoreContract } from '../../unit/features/store-contract.ts';

// Real Redis (started by .ci/run or `bin/fraud infra up redis`); never mocked.
const REDIS_URL = process.env['REDIS_URL'];
if (!REDIS_URL) {
  throw new Error(
    'REDIS_URL is not set: the Redis feature store tests need a real Redis (run `bin/fraud infra up redis`).',
  );
}
const url = REDIS_URL;

const run = `${Date.now().toString(36)}-${process.pid}`;
const stores: (FeatureStore & RedisFeatureStore)[] = [];
async function store(name: string): Promise<FeatureStore & RedisFeatureStore> {
  const s = await createRedisFeatureStore(url, { keyPrefix: `test:fs:${run}:${name}` });
  stores.push(s);
  return s;
}

async function dropKeys(prefix: string): Promise<void> {
  const s = stores[0];
  if (!s) return;
  let cursor = '0';
  do {
    const [next, keys] = await s.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await s.client.unlink(...keys);
  } while (cursor !== '0');
}

function keep(
  into: Map<string, Float64Array>,
  batch: readonly { transaction_id: string }[],
  vectors: Float64Array[],
) {
  for (let k = 0; k < batch.length; k++) into.set(batch[k]!.transaction_id, vectors[k]!);
}

beforeAll(async () => {
  await store('probe');
});
afterAll(async () => {
  await dropKeys(`test:fs:${run}:`);
  for (const s of stores) await s.close();
});

let contractRun = 0;
featureStoreContract('redis', async () => {
  const s = await createRedisFeatureStore(url, { keyPrefix: `test:fs:${run}:contract${contractRun++}` });
  stores.push(s);
  return s;
});

describe('Redis feature store', () => {
  it('parity: simulator stream with delayed labels online through Redis = offline backfill (exact, 0 ULP)', async () => {
    const h = simulatedHistory(6_000, 11);
    const online = await replayOnline(await store('parity'), h, 3);
    const offline = await replayOffline(h);
    expect(assertIdentical(online, offline)).toBe(6_000 * FEATURE_COUNT);
    expect(informative(online)).toBeGreaterThan(6_000 * 10);
    const k = featureIndex('category_fraud_count_28d');
    expect([...online.values()].filter((v) => v[k]! > 0).length).toBeGreaterThan(50);
  });

  it('parity with out-of-order arrival, equal timestamps and early labels: Redis = memory = backfill', async () => {
    const h = makeHistory({ count: 3_000, seed: 5, cards: 40, days: 40, jitterMs: 120_000, fraudRate: 0.05 });
    const viaRedis = await replayOnline(await store('ooo'), h, 4, 16);
    const viaMemory = await replayOnline(new MemoryFeatureStore(), h, 4, 16);
    const offline = await replayOffline(h);
    assertIdentical(viaRedis, offline);
    assertIdentical(viaMemory, offline);
  });

  it('idempotency: replaying the same 10,000 transactions twice gives the same feature values as one pass', async () => {
    // A crash replay re-reads minutes to days of the stream; this one spans 5 days, within
    // every window's retention, so even the replayed vectors must equal the first ones.
    const h = simulatedHistory(10_000, 23, 5);
    const once = await store('once');
    const twice = await store('twice');
    const single = new Map<string, Float64Array>();
    const first = new Map<string, Float64Array>();
    const second = new Map<string, Float64Array>();
    for (let i = 0; i < h.transactions.length; i += 250) {
      const batch = h.transactions.slice(i, i + 250);
      keep(single, batch, await once.enrich(batch));
      keep(first, batch, await twice.enrich(batch));
    }
    // The whole stream again, as after a crash before the offsets were committed.
    for (let i = 0; i < h.transactions.length; i += 250) {
      const batch = h.transactions.slice(i, i + 250);
      keep(second, batch, await twice.enrich(batch));
    }
    assertIdentical(first, single);
    assertIdentical(second, single);
    // And the state after the replay equals the state after one pass: a probe sees the same.
    const last = h.transactions.at(-1)!;
    const probe = { ...last, transaction_id: `${last.transaction_id}-probe` };
    const [a] = await once.enrich([probe]);
    const [b] = await twice.enrich([probe]);
    expect([...b!]).toEqual([...a!]);
    expect(a![featureIndex('card_count_30d')]).toBeGreaterThan(0);
  }, 300_000);

  it('shares state between instances: a second client sees what the first applied', async () => {
    const a = await store('shared');
    const b = await createRedisFeatureStore(url, { keyPrefix: `test:fs:${run}:shared` });
    stores.push(b);
    const h = simulatedHistory(400, 31);
    const card = h.transactions[0]!.card_id;
    const mine = h.transactions.filter((t) => t.card_id === card);
    await a.enrich(mine.slice(0, -1));
    const [v] = await b.enrich([mine.at(-1)!]);
    const inWindow = mine
      .slice(0, -1)
      .filter((t) => Date.parse(mine.at(-1)!.timestamp) - Date.parse(t.timestamp) < 30 * 86_400_000).length;
    expect(v![featureIndex('card_count_30d')]).toBe(inWindow);
  });

  it('fails fast with FRAUD_DEPENDENCY_UNAVAILABLE when Redis is unreachable', async () => {
    await expect(
      createRedisFeatureStore('redis://127.0.0.1:1', {
        redis: { maxRetriesPerRequest: 0, retryStrategy: () => null },
      }),
    ).rejects.toMatchObject({ code: 'FRAUD_DEPENDENCY_UNAVAILABLE' });
  });
});
