import { describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { type Alert, type Score, TOPICS, validators } from '../../../src/core/contracts/index.ts';
import { FEATURE_NAMES, namedFeatures } from '../../../src/core/features/index.ts';
import { ENRICHED_FEATURE_FORMS, type EnrichedFeatureForm } from '../../../src/core/pipeline/index.ts';
import { BULK_FETCH, type ConsumedRecord, type Subscription } from '../../../src/ports/index.ts';
import { StreamProcessor } from '../../../src/services/processor/index.ts';
import { embeddedPlatform, stream, tx } from '../../support/platform.ts';

async function collect(sub: Subscription, want: number, timeoutMs = 10_000): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < want && Date.now() < deadline) {
    const batch = await sub.next(100);
    if (batch === null) break;
    out.push(...batch);
  }
  return out;
}

/** The processors' group has committed everything: a new member gets no record to redo. */
async function expectNothingLeftToRedo(bus: MemoryBus): Promise<void> {
  const again = await bus.subscribe({
    groupId: 'fraud-processor',
    topics: [TOPICS.transactions],
    from: 'earliest',
  });
  expect(await again.next(200)).toEqual([]);
  await again.close();
}

/** The bus, with the offset commits of `transactions` subscriptions going through `spy`. */
function commitsThrough(
  bus: MemoryBus,
  spy: (records: readonly ConsumedRecord[], commit: Subscription['commit']) => Promise<void>,
): MemoryBus {
  return Object.assign(Object.create(bus), {
    subscribe: async (options: Parameters<MemoryBus['subscribe']>[0]) => {
      const sub = await bus.subscribe(options);
      if (!options.topics.includes(TOPICS.transactions)) return sub;
      return {
        next: (wait?: number) => sub.next(wait),
        commit: (r: readonly ConsumedRecord[]) => spy(r, (x) => sub.commit(x)),
        close: () => sub.close(),
      };
    },
  });
}

async function setup(options: { maxBatchSize?: number; enrichedFeatures?: EnrichedFeatureForm } = {}) {
  const bus = new MemoryBus({ partitions: 4 });
  const platform = await embeddedPlatform({ bus });
  const processor = new StreamProcessor({
    bus,
    engine: platform.engine,
    features: platform.features,
    metrics: platform.metrics,
    maxBatchSize: options.maxBatchSize ?? 100,
    ...(options.enrichedFeatures ? { enrichedFeatures: options.enrichedFeatures } : {}),
  });
  const watch = async (topic: string) =>
    bus.subscribe({ groupId: `watch-${topic}`, topics: [topic], from: 'earliest' });
  return { bus, platform, processor, watch };
}

describe('StreamProcessor', () => {
  it('reads transactions with the bus default fetch and labels in bulk fetches (days late anyway)', async () => {
    const { bus, processor } = await setup();
    const subscribe = vi.spyOn(bus, 'subscribe');
    await processor.start();
    const asked = new Map(subscribe.mock.calls.map(([o]) => [o.topics.join(','), o.fetch]));
    expect(asked.get(TOPICS.transactions)).toBeUndefined();
    expect(asked.get(TOPICS.labels)).toEqual(BULK_FETCH);
    await processor.stop();
  });

  it("turns the brief's example payload into a brief-format score, an enriched record and an alert", async () => {
    const { bus, processor, watch } = await setup();
    const scores = await watch(TOPICS.scores);
    const enriched = await watch(TOPICS.enriched);
    await processor.start();
    expect(processor.state).toBe('running');
    await bus.publish(TOPICS.transactions, [{ key: 'card_1234', value: JSON.stringify(tx()) }]);

    const [scoreRecord] = await collect(scores, 1);
    const score = JSON.parse(scoreRecord!.value.toString()) as Score;
    expect(validators.score(score)).toBe(true);
    expect(score).toMatchObject({
      transaction_id: 'tx_0001',
      decision: expect.stringMatching(/approve|review|block/),
    });
    expect(typeof score.model_version).toBe('string');
    expect(score.reason).toBe(score.reasons[0]);
    expect(scoreRecord!.key).toBe('card_1234');

    const [enrichedRecord] = await collect(enriched, 1);
    const e = JSON.parse(enrichedRecord!.value.toString());
    expect(validators.enriched(e)).toBe(true);
    expect(e.transaction.transaction_id).toBe('tx_0001');
    await processor.stop();
    expect(processor.state).toBe('stopped');
  });

  it('emits an alert for every review or block decision, and none for approvals', async () => {
    const { bus, processor, watch } = await setup();
    const scores = await watch(TOPICS.scores);
    const alerts = await watch(TOPICS.alerts);
    await processor.start();
    await bus.publish(
      TOPICS.transactions,
      stream(50, 5).map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    const s = (await collect(scores, 50)).map((r) => JSON.parse(r.value.toString()) as Score);
    const nonApproved = s
      .filter((x) => x.decision !== 'approve')
      .map((x) => x.transaction_id)
      .sort();
    const a = (await collect(alerts, nonApproved.length, 2_000)).map(
      (r) => JSON.parse(r.value.toString()) as Alert,
    );
    expect(a.every((x) => validators.alert(x))).toBe(true);
    expect(a.map((x) => x.transaction_id).sort()).toEqual(nonApproved);
    await processor.stop();
  });

  it('dead-letters garbage with the original bytes and a reason, and keeps scoring valid input', async () => {
    const { bus, processor, watch } = await setup();
    const dlq = await watch(TOPICS.dlq);
    const scores = await watch(TOPICS.scores);
    await processor.start();
    const bad = JSON.stringify({ ...tx({ transaction_id: 'tx_bad' }), amount: 'abc' });
    await bus.publish(TOPICS.transactions, [
      { key: 'x', value: 'not json' },
      { key: 'card_1234', value: bad },
    ]);
    await bus.publish(TOPICS.transactions, [
      { key: 'card_1234', value: JSON.stringify(tx({ transaction_id: 'tx_after' })) },
    ]);

    const dead = await collect(dlq, 2);
    expect(dead.map((r) => r.value.toString()).sort()).toEqual([bad, 'not json'].sort());
    const byValue = new Map(dead.map((r) => [r.value.toString(), r.headers]));
    expect(byValue.get('not json')!['x-error-code']).toBe('FRAUD_INPUT_NOT_JSON');
    expect(byValue.get(bad)!['x-error-code']).toBe('FRAUD_INPUT_INVALID');
    expect(byValue.get(bad)!['x-error-reason']).toContain('amount');
    const s = await collect(scores, 1);
    expect(JSON.parse(s[0]!.value.toString()).transaction_id).toBe('tx_after');
    expect(processor.state).toBe('running');
    await processor.stop();
  });

  it('keeps per-card order: each card is enriched in offset order', async () => {
    const { bus, processor, watch } = await setup({ maxBatchSize: 7 });
    const enriched = await watch(TOPICS.enriched);
    await processor.start();
    const txs = stream(200, 9);
    await bus.publish(
      TOPICS.transactions,
      txs.map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    const out = (await collect(enriched, 200)).map((r) => JSON.parse(r.value.toString()).transaction);
    expect(out).toHaveLength(200);
    for (let c = 0; c < 9; c++) {
      const ids = out
        .filter((t: { card_id: string }) => t.card_id === `card_${c}`)
        .map((t: { transaction_id: string }) => Number(t.transaction_id.slice(3)));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    await processor.stop();
  });

  for (const form of ENRICHED_FEATURE_FORMS)
    it(`splices each transaction into its enriched record as received: spacing and non-ASCII text kept, invalid UTF-8 replaced (features ${form})`, async () => {
      const { bus, processor, watch } = await setup({ enrichedFeatures: form });
      const open = form === 'named' ? '{' : '[';
      const enriched = await watch(TOPICS.enriched);
      await processor.start();
      const spaced = `{ "transaction_id": "tx_spaced", ${JSON.stringify(tx()).slice(1).replace('"transaction_id":"tx_0001",', '')}`;
      const accented = JSON.stringify({
        ...tx(),
        transaction_id: 'tx_accented',
        merchant_category: 'café ✓ 😀',
      });
      // 0xFF inside a string value is not UTF-8; the decoder makes it U+FFFD, and so must the record.
      const template = Buffer.from(
        JSON.stringify({ ...tx(), transaction_id: 'tx_bad_byte', merchant_category: 'cafX' }),
      );
      const badByte = Buffer.from(template);
      badByte[template.indexOf('cafX') + 3] = 0xff;
      await bus.publish(TOPICS.transactions, [
        { key: 'card_1234', value: spaced },
        { key: 'card_1234', value: accented },
        { key: 'card_1234', value: badByte },
      ]);
      const out = await collect(enriched, 3);
      const text = out.map((r) => r.value.toString('utf8'));
      expect(text[0]!.startsWith(`{"transaction":${spaced},"features":${open}`)).toBe(true);
      expect(text[1]!.startsWith(`{"transaction":${accented},"features":${open}`)).toBe(true);
      expect(Buffer.from(text[2]!, 'utf8').equals(out[2]!.value)).toBe(true); // valid UTF-8 throughout
      expect(JSON.parse(text[2]!).transaction.merchant_category).toBe('caf\ufffd');
      for (const t of text) {
        const record = JSON.parse(t);
        expect(validators.enriched(record)).toBe(true);
        expect(Object.keys(namedFeatures(record.features, record.feature_set_version)!)).toEqual([
          ...FEATURE_NAMES,
        ]);
      }
      await processor.stop();
    });

  it('drains on stop: everything pulled is produced and committed, so a restart redoes nothing', async () => {
    const { bus, platform, processor, watch } = await setup({ maxBatchSize: 50 });
    const scores = await watch(TOPICS.scores);
    await processor.start();
    const txs = stream(500, 20);
    await bus.publish(
      TOPICS.transactions,
      txs.map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    await collect(scores, 500);
    await processor.stop();
    expect(processor.state).toBe('stopped');

    const again = new StreamProcessor({
      bus,
      engine: platform.engine,
      features: platform.features,
      maxBatchSize: 50,
    });
    await again.start();
    await bus.publish(TOPICS.transactions, [
      { key: 'card_x', value: JSON.stringify(tx({ transaction_id: 'tx_new' })) },
    ]);
    const more = await collect(scores, 2, 1_500);
    expect(more.map((r) => JSON.parse(r.value.toString()).transaction_id)).toEqual(['tx_new']);
    await again.stop();
  });

  it('two instances in one group share the partitions; when one stops mid-stream nothing is lost', async () => {
    const bus = new MemoryBus({ partitions: 6 });
    const platform = await embeddedPlatform({ bus });
    const make = () =>
      new StreamProcessor({
        bus,
        engine: platform.engine,
        features: platform.features,
        maxBatchSize: 20,
        consumeLabels: false,
      });
    const a = make();
    const b = make();
    const scores = await bus.subscribe({ groupId: 'watch', topics: [TOPICS.scores], from: 'earliest' });
    await a.start();
    await b.start();
    const txs = stream(2_000, 100);
    const ids = new Set<string>();
    const gather = async (want: number, timeoutMs: number) => {
      for (const r of await collect(scores, want - ids.size, timeoutMs))
        ids.add(JSON.parse(r.value.toString()).transaction_id);
    };
    await bus.publish(
      TOPICS.transactions,
      txs.slice(0, 1_000).map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    await gather(300, 2_000);
    await a.stop();
    await bus.publish(
      TOPICS.transactions,
      txs.slice(1_000).map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    while (ids.size < 2_000) {
      const before = ids.size;
      await gather(2_000, 2_000);
      if (ids.size === before) break;
    }
    expect(a.processed).toBeGreaterThan(0);
    expect(b.processed).toBeGreaterThan(0);
    expect([...txs].filter((t) => !ids.has(t.transaction_id))).toEqual([]);
    await b.stop();
  });
});

describe('labels topic', () => {
  it('feeds the ML label store (the feedback loop retraining reads)', async () => {
    const { FileLabelStore } = await import('../../../src/services/ml/index.ts');
    const { readFileSync, rmSync } = await import('node:fs');
    const bus = new MemoryBus({ partitions: 2 });
    const dataDir = `/tmp/fraud-labels-test-${process.pid}`;
    rmSync(dataDir, { recursive: true, force: true });
    const { loadConfig } = await import('../../../src/config/index.ts');
    const { createPlatform } = await import('../../../src/platform/index.ts');
    const platform = await createPlatform(loadConfig({ FRAUD_DATA_DIR: dataDir }), { bus, watch: false });
    const processor = new StreamProcessor({ bus, engine: platform.engine, features: platform.labels });
    await processor.start();
    const label = {
      transaction_id: 'tx_0001',
      is_fraud: true,
      labeled_at: '2025-02-20T00:00:00Z',
      source: 'analyst',
    };
    await bus.publish(TOPICS.labels, [{ key: 'tx_0001', value: JSON.stringify(label) }]);
    const path = new FileLabelStore(dataDir).path;
    let text = '';
    for (let i = 0; i < 50 && !text.includes('tx_0001'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        text = readFileSync(path, 'utf8');
      } catch {}
    }
    expect(JSON.parse(text.trim())).toEqual(label);
    await processor.stop();
    await platform.close();
  });
});

describe('consumer failure', () => {
  it('rejoins the group when its consumer dies mid-stream, and still scores every transaction', async () => {
    const { FraudError } = await import('../../../src/core/errors/index.ts');
    const bus = new MemoryBus({ partitions: 3 });
    const platform = await embeddedPlatform({ bus });
    // The first transactions subscription dies after its third batch, as a Kafka consumer does
    // when a commit meets a rebalance; later subscriptions are healthy.
    let subscriptions = 0;
    const flaky: typeof bus = Object.assign(Object.create(bus), {
      subscribe: async (options: Parameters<typeof bus.subscribe>[0]) => {
        const sub = await bus.subscribe(options);
        if (!options.topics.includes(TOPICS.transactions) || subscriptions++ > 0) return sub;
        let batches = 0;
        return {
          next: async (wait?: number) => {
            const b = await sub.next(wait);
            if (b && b.length > 0 && ++batches > 3) {
              throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'consumer stream destroyed (rebalance)');
            }
            return b;
          },
          commit: (r: Parameters<typeof sub.commit>[0]) => sub.commit(r),
          close: () => sub.close(),
        };
      },
    });
    const processor = new StreamProcessor({
      bus: flaky,
      engine: platform.engine,
      features: platform.features,
      maxBatchSize: 20,
    });
    const scores = await bus.subscribe({ groupId: 'watch-flaky', topics: [TOPICS.scores], from: 'earliest' });
    await processor.start();
    const txs = stream(300, 30);
    await bus.publish(
      TOPICS.transactions,
      txs.map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    const ids = new Set(
      (await collect(scores, 400, 3_000)).map((r) => JSON.parse(r.value.toString()).transaction_id),
    );
    expect(subscriptions).toBeGreaterThanOrEqual(2);
    expect(processor.state).toBe('running');
    expect(txs.filter((t) => !ids.has(t.transaction_id))).toEqual([]);
    await processor.stop();
  });
});

describe('produce and commit chains', () => {
  it('keeps deciding and producing while a commit is slow, then commits the newest offset in one request', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    const platform = await embeddedPlatform({ bus });
    const events: string[] = [];
    let releaseFirstCommit = () => {};
    const firstCommitHeld = new Promise<void>((r) => {
      releaseFirstCommit = r;
    });
    let commits = 0;
    // The first batch's offset commit hangs until released, as a commit stuck behind a
    // rebalance or a slow coordinator does.
    const slowCommits = commitsThrough(bus, async (r, commit) => {
      const n = ++commits;
      if (n === 1) await firstCommitHeld;
      events.push(`commit ${r.at(-1)!.offset}`);
      return commit(r);
    });
    const processor = new StreamProcessor({
      bus: slowCommits,
      engine: platform.engine,
      features: platform.features,
      maxBatchSize: 10,
      maxInFlight: 2,
      consumeLabels: false,
    });
    const scores = await bus.subscribe({
      groupId: 'watch-chains',
      topics: [TOPICS.scores],
      from: 'earliest',
    });
    await processor.start();
    const txs = stream(60, 6);
    await bus.publish(
      TOPICS.transactions,
      txs.map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    // All six batches are produced, three times the in-flight window, although the first
    // commit has not returned.
    const produced = await collect(scores, 60, 3_000);
    expect(produced.map((r) => JSON.parse(r.value.toString()).transaction_id)).toEqual(
      txs.map((t) => t.transaction_id),
    );
    expect(events).toEqual([]);
    releaseFirstCommit();
    // stop() drains: it returns only once the queued offsets are committed.
    await processor.stop();
    // The first batch's commit lands, then one request carries the newest offset of the five
    // batches produced while it hung.
    expect(events).toEqual(['commit 9', 'commit 59']);
    await expectNothingLeftToRedo(bus);
  });

  it('commits at most once per commit interval while batches keep coming', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    const platform = await embeddedPlatform({ bus });
    const commitTimes: number[] = [];
    const timedCommits = commitsThrough(bus, (r, commit) => {
      commitTimes.push(Date.now());
      return commit(r);
    });
    const processor = new StreamProcessor({
      bus: timedCommits,
      engine: platform.engine,
      features: platform.features,
      maxBatchSize: 10,
      consumeLabels: false,
      commitIntervalMs: 250,
    });
    await processor.start();
    const txs = stream(400, 8);
    const started = Date.now();
    // 40 batches over a second or more, each produced on its own.
    for (let i = 0; i < txs.length; i += 10) {
      await bus.publish(
        TOPICS.transactions,
        txs.slice(i, i + 10).map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
      );
      await new Promise((r) => setTimeout(r, 25));
    }
    while (processor.processed < txs.length) await new Promise((r) => setTimeout(r, 10));
    // Without the interval each batch's commit would follow the last one back to back.
    expect(commitTimes.length).toBeGreaterThanOrEqual(2);
    expect(commitTimes.length).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - started) / 240));
    for (let i = 1; i < commitTimes.length; i++) {
      expect(commitTimes[i]! - commitTimes[i - 1]!).toBeGreaterThanOrEqual(240);
    }
    await processor.stop();
    await expectNothingLeftToRedo(bus);
  });

  it('a stop commits what is produced without waiting out the commit interval', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    const platform = await embeddedPlatform({ bus });
    const processor = new StreamProcessor({
      bus,
      engine: platform.engine,
      features: platform.features,
      consumeLabels: false,
      commitIntervalMs: 60_000,
    });
    await processor.start();
    const txs = stream(20, 4);
    // The first batch is committed at once, the second waits for the interval.
    for (const half of [txs.slice(0, 10), txs.slice(10)]) {
      await bus.publish(
        TOPICS.transactions,
        half.map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
      );
      while (processor.processed < txs.indexOf(half.at(-1)!) + 1) await new Promise((r) => setTimeout(r, 10));
    }
    const stopping = Date.now();
    await processor.stop();
    expect(Date.now() - stopping).toBeLessThan(10_000);
    await expectNothingLeftToRedo(bus);
  });

  it('decides the next batch while the last one is explained, and produces each score with its explanation, in order', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    const platform = await embeddedPlatform({ bus });
    const base = platform.engine;
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const decided: number[] = [];
    // The first batch's explanations hang until released, as a burst of reviews on a busy thread does.
    const engine = Object.assign(Object.create(base), {
      decideBatch: async (...args: Parameters<typeof base.decideBatch>) => {
        const batch = await base.decideBatch(...args);
        decided.push(args[0].length);
        const explained = decided.length === 1 ? gate.then(() => batch.explained) : batch.explained;
        return { results: batch.results, explained };
      },
    }) as typeof base;
    const processor = new StreamProcessor({
      bus,
      engine,
      features: platform.features,
      maxBatchSize: 5,
      consumeLabels: false,
    });
    const scores = await bus.subscribe({
      groupId: 'watch-explained',
      topics: [TOPICS.scores],
      from: 'earliest',
    });
    await processor.start();
    const txs = stream(15, 3);
    await bus.publish(
      TOPICS.transactions,
      txs.map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    // All three batches are decided while the first one's explanations are pending; none is produced.
    const until = Date.now() + 5_000;
    while (decided.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(decided).toEqual([5, 5, 5]);
    expect(await scores.next(100)).toEqual([]);
    release();
    const produced = (await collect(scores, 15, 5_000)).map((r) => JSON.parse(r.value.toString()));
    expect(produced.map((s) => s.transaction_id)).toEqual(txs.map((t) => t.transaction_id));
    for (const s of produced) {
      if (s.decision !== 'approve') expect(s.explanations?.length).toBeGreaterThan(0);
    }
    await processor.stop();
  });

  it('retries a failed produce, and never reuses the bytes handed to the failed attempt (a timed-out send may still hold them)', async () => {
    const { FraudError } = await import('../../../src/core/errors/index.ts');
    const bus = new MemoryBus({ partitions: 1 });
    const platform = await embeddedPlatform({ bus });
    // The enriched records given to the failed attempt, as views and as copies made at the time.
    const handed: { view: Buffer; copy: Buffer }[] = [];
    let attempts = 0;
    const flaky: typeof bus = Object.assign(Object.create(bus), {
      publishAll: async (parts: Parameters<typeof bus.publishAll>[0]) => {
        if (attempts++ === 0) {
          for (const m of parts.find((p) => p.topic === TOPICS.enriched)!.messages) {
            const view = m.value as Buffer;
            handed.push({ view, copy: Buffer.from(view) });
          }
          throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'Kafka produce got no answer in time');
        }
        return bus.publishAll(parts);
      },
    });
    const processor = new StreamProcessor({
      bus: flaky,
      engine: platform.engine,
      features: platform.features,
      maxBatchSize: 10,
      consumeLabels: false,
    });
    const enriched = await bus.subscribe({
      groupId: 'watch-retry',
      topics: [TOPICS.enriched],
      from: 'earliest',
    });
    await processor.start();
    const txs = stream(40, 5);
    await bus.publish(
      TOPICS.transactions,
      txs.slice(0, 10).map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    expect(await collect(enriched, 10, 5_000)).toHaveLength(10);
    // Later batches are encoded after the retry went through.
    await bus.publish(
      TOPICS.transactions,
      txs.slice(10).map((t) => ({ key: t.card_id, value: JSON.stringify(t) })),
    );
    const rest = await collect(enriched, 30, 5_000);
    expect(rest.map((r) => JSON.parse(r.value.toString()).transaction.transaction_id)).toEqual(
      txs.slice(10).map((t) => t.transaction_id),
    );
    expect(attempts).toBeGreaterThan(2);
    expect(handed).toHaveLength(10);
    for (const h of handed) expect(h.view.equals(h.copy)).toBe(true);
    await processor.stop();
  });
});
