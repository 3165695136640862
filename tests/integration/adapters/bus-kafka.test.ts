import { tracingChannel } from 'node:diagnostics_channel';
import { Admin } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { FraudError } from '../../../src/core/errors/index.ts';
import { type ConsumedRecord, type Subscription, WATCH_FETCH } from '../../../src/ports/index.ts';
import { eventBusContract } from '../../support/bus-contract.ts';
import { freshTopic, requireKafka } from '../../support/kafka.ts';

const brokers = requireKafka();
eventBusContract(
  'Kafka',
  async () => new KafkaBus({ brokers, clientId: 'contract' }),
  (base) => freshTopic(brokers, base),
);

describe('KafkaBus on a missing topic', () => {
  it('fails the send as retryable, naming the topic, instead of hanging (auto-creation is off)', async () => {
    const bus = new KafkaBus({ brokers, clientId: 'missing-topic', sendTimeoutMs: 2_000 });
    const topic = `test.missing.${Date.now()}`;
    const err = await bus.publish(topic, [{ key: 'k', value: 'v' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FraudError);
    expect((err as FraudError).retryable).toBe(true);
    expect((err as FraudError).message).toContain(topic);
    await bus.close();
  });
});

describe('KafkaBus.ensureTopics replication factor', () => {
  it("creates topics with the cluster's default replication factor unless one is set, and sends the one set", async () => {
    const topic = `test.rf-default.${Date.now()}`;
    const bus = new KafkaBus({ brokers, clientId: 'rf-default' });
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    await bus.close();
    const admin = new Admin({ clientId: 'rf-check', bootstrapBrokers: [...brokers] });
    try {
      const meta = await admin.metadata({ topics: [topic] });
      const partitions = meta.topics.get(topic)!.partitions;
      expect(partitions).toHaveLength(2);
      // The local broker's default.replication.factor is 1 (src/infra/local/kafka.ts).
      for (const p of partitions) expect(p.replicas).toHaveLength(1);
    } finally {
      await admin.close();
    }
    // One broker cannot hold two replicas: the broker refuses, so the setting reached it.
    const two = new KafkaBus({ brokers, clientId: 'rf-two', replicationFactor: 2 });
    const err = await two
      .ensureTopics([{ name: `test.rf-two.${Date.now()}`, partitions: 1 }])
      .catch((e: unknown) => e);
    await two.close();
    expect(err).toBeInstanceOf(FraudError);
    expect((err as FraudError).code).toBe('FRAUD_DEPENDENCY_UNAVAILABLE');
    expect((err as FraudError).message).toMatch(/INVALID_REPLICATION_FACTOR/);
  });
});

describe('KafkaBus fetch settings', () => {
  it('a subscription that asks for more bytes than arrive gets them once per fetch wait; the default one as they come', async () => {
    const topic = await freshTopic(brokers, 'fetch-wait');
    const bus = new KafkaBus({ brokers, clientId: 'fetch-wait' });
    const run = Date.now();
    const lazy = await bus.subscribe({
      groupId: `fetch-lazy-${run}`,
      topics: [topic],
      from: 'earliest',
      fetch: { maxWaitMs: 1_000, minBytes: 1 << 20 },
    });
    const eager = await bus.subscribe({ groupId: `fetch-eager-${run}`, topics: [topic], from: 'earliest' });
    const count = 20;
    // Batches of records that arrived, as each subscription was handed them.
    const batches = (sub: typeof lazy) =>
      (async () => {
        const sizes: number[] = [];
        let n = 0;
        const end = Date.now() + 20_000;
        while (n < count && Date.now() < end) {
          const batch = (await sub.next(100)) ?? [];
          if (batch.length > 0) sizes.push(batch.length);
          n += batch.length;
        }
        return sizes;
      })();
    const readers = [batches(lazy), batches(eager)];
    // One small record every 100 ms, for 2 s.
    for (let i = 0; i < count; i++) {
      await bus.publish(topic, [{ key: 'card', value: `{"n":${i}}` }]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [lazySizes, eagerSizes] = await Promise.all(readers);
    await bus.close();
    expect(lazySizes!.reduce((a, b) => a + b, 0)).toBe(count);
    expect(eagerSizes!.reduce((a, b) => a + b, 0)).toBe(count);
    // The broker held each lazy fetch for its second: the 2 s of records came in a few fetches.
    expect(lazySizes!.length).toBeLessThanOrEqual(4);
    expect(eagerSizes!.length).toBeGreaterThanOrEqual(10);
  });

  it('a watch subscription (rules, models) polls an idle topic twice a second, yet gets a new record at once', async () => {
    const topic = await freshTopic(brokers, 'fetch-watch');
    const bus = new KafkaBus({ brokers, clientId: 'fetch-watch' });
    const run = Date.now();
    // Fetch requests this file's clients send (the client's diagnostics channel).
    let fetches = 0;
    const api = tracingChannel('plt:kafka:connections:api');
    const handlers = {
      start: (d: unknown) => {
        if ((d as { apiKey: number }).apiKey === 1) fetches++;
      },
      end() {},
      asyncStart() {},
      asyncEnd() {},
      error() {},
    };
    api.subscribe(handlers);
    // Fetches while the subscription, alone, pulls from the idle topic for 3 s, as a watcher does.
    const idleFetches = async (sub: Subscription) => {
      const until = Date.now() + 3_000;
      fetches = 0;
      while (Date.now() < until) await sub.next(until - Date.now());
      return fetches;
    };
    try {
      const polling = await bus.subscribe({ groupId: `poll-${run}`, topics: [topic], from: 'latest' });
      const pollFetches = await idleFetches(polling);
      await polling.close();
      const watch = await bus.subscribe({
        groupId: `watch-${run}`,
        topics: [topic],
        from: 'latest',
        fetch: WATCH_FETCH,
      });
      const watchFetches = await idleFetches(watch);
      // 500 ms per empty fetch against the bus default of 50 ms.
      expect(watchFetches).toBeLessThanOrEqual(8);
      expect(pollFetches).toBeGreaterThanOrEqual(4 * watchFetches);
      // A record written while a fetch waits is answered at once, not at the end of the 500 ms.
      await new Promise((r) => setTimeout(r, 200));
      const sentAt = Date.now();
      await bus.publish(topic, [{ key: 'rules', value: '{"version":"2"}' }]);
      let got: ConsumedRecord[] = [];
      while (got.length === 0) got = (await watch.next(5_000)) ?? [];
      expect(got[0]!.value.toString()).toBe('{"version":"2"}');
      expect(Date.now() - sentAt).toBeLessThan(300);
    } finally {
      api.unsubscribe(handlers);
      await bus.close();
    }
  });
});

describe('KafkaBus with compression', () => {
  it.each(['lz4', 'zstd', 'gzip'] as const)(
    'a %s producer writes batches a plain consumer reads back intact, in order per key',
    async (compression) => {
      const topic = await freshTopic(brokers, `compressed-${compression}`);
      const producer = new KafkaBus({ brokers, clientId: `compress-${compression}`, compression });
      const consumer = new KafkaBus({ brokers, clientId: `plain-${compression}` });
      try {
        const sent = Array.from({ length: 300 }, (_, i) => ({
          key: `card-${i % 7}`,
          value: JSON.stringify({ i, pad: 'x'.repeat(i % 50) }),
          headers: { 'x-seq': String(i) },
        }));
        await producer.publish(topic, sent);
        const sub = await consumer.subscribe({ groupId: `g-${topic}`, topics: [topic], from: 'earliest' });
        const got: { key: string | null; value: string; seq: string | undefined }[] = [];
        const deadline = Date.now() + 15_000;
        while (got.length < sent.length && Date.now() < deadline) {
          for (const r of (await sub.next(500)) ?? [])
            got.push({ key: r.key, value: r.value.toString(), seq: r.headers['x-seq'] });
        }
        expect(got.length).toBe(sent.length);
        for (let k = 0; k < 7; k++) {
          const mine = (xs: { key: string | null; value: string }[]) =>
            xs.filter((x) => x.key === `card-${k}`).map((x) => x.value);
          expect(mine(got)).toEqual(mine(sent));
        }
        expect(got.every((g) => g.seq === String((JSON.parse(g.value) as { i: number }).i))).toBe(true);
      } finally {
        await producer.close();
        await consumer.close();
      }
    },
  );
});

describe('Consumer-group lag (bin/fraud topics lag)', () => {
  it('is end − committed per partition, and end − log start for a group that never committed', async () => {
    const { Admin } = await import('@platformatic/kafka');
    const { groupLag } = await import('../../../src/adapters/bus-kafka/offsets.ts');
    const topic = await freshTopic(brokers, 'lag', 2);
    const bus = new KafkaBus({ brokers, clientId: 'lag' });
    const admin = new Admin({ clientId: 'lag-admin', bootstrapBrokers: brokers });
    try {
      await bus.publish(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: `card-${i}`, value: String(i) })),
      );
      const group = `g-${topic}`;
      const sub = await bus.subscribe({ groupId: group, topics: [topic], from: 'earliest', maxBatchSize: 3 });
      const first = (await sub.next(5_000)) ?? [];
      expect(first.length).toBeGreaterThan(0);
      await sub.commit(first);
      await sub.close();

      const lags = await groupLag(admin, group, [topic]);
      expect(lags.map((l) => l.partition)).toEqual([0, 1]);
      expect(lags.reduce((n, l) => n + l.end, 0n)).toBe(10n);
      const committed = lags.reduce((n, l) => n + (l.committed ?? 0n), 0n);
      expect(committed).toBe(BigInt(first.length));
      expect(lags.reduce((n, l) => n + l.lag, 0n)).toBe(10n - BigInt(first.length));
      for (const l of lags) expect(l.lag).toBe(l.end - (l.committed ?? 0n));

      const never = await groupLag(admin, `never-${topic}`, [topic]);
      expect(never.every((l) => l.committed === null)).toBe(true);
      expect(never.reduce((n, l) => n + l.lag, 0n)).toBe(10n);
    } finally {
      await admin.close();
      await bus.close();
    }
  });
});
