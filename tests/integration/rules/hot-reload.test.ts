import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { MemoryFeatureStore } from '../../../src/adapters/features-memory/index.ts';
import {
  BRIEF_EXAMPLE_TRANSACTION,
  type Score,
  TOPICS,
  type Transaction,
} from '../../../src/core/contracts/index.ts';
import { policyCompiler } from '../../../src/core/decision/index.ts';
import { ListStore } from '../../../src/core/lists/index.ts';
import type { ModelScorer } from '../../../src/ports/index.ts';
import { DecisionEngine } from '../../../src/services/decision-engine/index.ts';
import { StreamProcessor } from '../../../src/services/processor/index.ts';
import {
  loadCatalogue,
  PolicyHolder,
  publishRuleSet,
  watchRuleTopic,
} from '../../../src/services/rules-engine/index.ts';
import { freshTopic, requireKafka } from '../../support/kafka.ts';

/*
 * Issue 4 acceptance: "With the processor running in Kafka mode, `bin/fraud rules deploy` with a
 * new rule takes effect on the next transactions with no restart. An integration test asserts
 * the version change on `scores`."
 *
 * The rule sets travel on a fresh topic (not the shared `rules`, which other engineers' running
 * processors watch); transactions and scores use the real pipeline topics, so this test filters
 * by its own transaction ids and rule set labels.
 */
const brokers = requireKafka();
const run = randomUUID().slice(0, 8);
const labelA = `it-a-${run}`;
const labelB = `it-b-${run}`;
const rules = (label: string, threshold: number) =>
  `label: ${label}\npolicy: { missing_model: ignore }\nrules:\n  - id: big\n    when: { tx.amount: { gte: ${threshold} } }\n    action: block\n    reason: big_amount\n`;

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('rule set hot reload over Kafka', () => {
  it('a watcher switches atomically to a deployed set and keeps the running one on an invalid set', async () => {
    const topic = await freshTopic(brokers, 'rules', 1);
    const bus = new KafkaBus({ brokers, clientId: `rules-it-${run}` });
    closers.push(() => bus.close());
    const compile = policyCompiler({ catalogue: await loadCatalogue(), lists: new ListStore() });
    // Two instances, each with its own holder: both must switch (broadcast, not shared group).
    const holders = [0, 1].map(() => new PolicyHolder(compile(rules(labelA, 1000), 'a.yaml'), compile));
    // A set deployed before the instances start is picked up from the earliest offset.
    await publishRuleSet(bus, { version: 'ignored', file: 'b.yaml', source: rules(labelB, 2000) }, topic);
    const rejected: string[] = [];
    const watches = await Promise.all(
      holders.map((h) =>
        watchRuleTopic(bus, h, { topic, catchUpMs: 30_000, onReject: (e) => rejected.push(e.message) }),
      ),
    );
    closers.push(async () => {
      for (const w of watches) await w.close();
    });
    await Promise.all(watches.map((w) => w.ready));
    for (const h of holders) expect(h.current.version.startsWith(`${labelB}+`)).toBe(true);

    await publishRuleSet(
      bus,
      { version: 'bad', file: 'bad.yaml', source: rules(labelA, 5).replace('tx.amount', 'feature.nope') },
      topic,
    );
    const labelC = `it-c-${run}`;
    await publishRuleSet(bus, { version: 'c', file: 'c.yaml', source: rules(labelC, 3000) }, topic);
    await until('both holders on C', () =>
      holders.every((h) => h.current.version.startsWith(`${labelC}+`)) ? true : undefined,
    );
    expect(rejected.filter((m) => m.includes("unknown feature 'nope'"))).toHaveLength(2);
  });

  it('the processor records the new version on `scores` for the next transactions, losing none', async () => {
    const topic = await freshTopic(brokers, 'rules', 1);
    const bus = new KafkaBus({ brokers, clientId: `rules-e2e-${run}` });
    closers.push(() => bus.close());
    await bus.ensureTopics([
      { name: TOPICS.transactions, partitions: 6 },
      { name: TOPICS.scores, partitions: 6 },
      { name: TOPICS.enriched, partitions: 6 },
      { name: TOPICS.alerts, partitions: 6 },
      { name: TOPICS.dlq, partitions: 6 },
    ]);
    const compile = policyCompiler({ catalogue: await loadCatalogue(), lists: new ListStore() });
    const holder = new PolicyHolder(compile(rules(labelA, 1000), 'a.yaml'), compile);
    const watch = await watchRuleTopic(bus, holder, { topic, catchUpMs: 2000 });
    closers.push(() => watch.close());
    await watch.ready;

    const features = new MemoryFeatureStore();
    const engine = new DecisionEngine({
      features,
      graph: { kind: 'none', signalsFor: () => undefined, observe: async () => {}, close: async () => {} },
      policy: holder,
      model: { current: null as ModelScorer | null },
    });
    const processor = new StreamProcessor({
      bus,
      engine,
      features,
      groupId: `rules-e2e-${run}`,
      from: 'latest',
      consumeLabels: false,
    });
    const scores = await bus.subscribe({
      groupId: `rules-e2e-scores-${run}`,
      topics: [TOPICS.scores],
      from: 'latest',
    });
    closers.push(() => scores.close());
    await processor.start();
    closers.push(() => processor.stop());

    const seen = new Map<string, Score>();
    let pulling = true;
    const pull = (async () => {
      while (pulling) {
        const batch = await scores.next();
        if (batch === null) return;
        for (const r of batch) {
          const s = JSON.parse(r.value.toString()) as Score;
          if (s.transaction_id.startsWith(`rit_${run}_`)) seen.set(s.transaction_id, s);
        }
      }
    })();
    let n = 0;
    const send = async (amount: number): Promise<string> => {
      const t: Transaction = {
        ...BRIEF_EXAMPLE_TRANSACTION,
        transaction_id: `rit_${run}_${n}`,
        card_id: `card_rit_${run}_${n % 5}`,
        timestamp: new Date(Date.parse('2025-01-29T12:00:00Z') + n * 1000).toISOString(),
        amount,
      };
      n++;
      await bus.publish(TOPICS.transactions, [{ key: t.card_id, value: JSON.stringify(t) }]);
      return t.transaction_id;
    };

    // Warm up until the processor and the scores consumer have their partitions.
    await until(
      'the first score',
      () => {
        if ([...seen.keys()].length > 0) return true;
        void send(1500);
        return undefined;
      },
      90_000,
    );
    const before = await Promise.all(Array.from({ length: 10 }, () => send(1500)));
    await until('scores under A', () => (before.every((id) => seen.has(id)) ? true : undefined));
    for (const id of before) {
      expect(seen.get(id)!.rule_set_version!.startsWith(`${labelA}+`)).toBe(true);
      expect(seen.get(id)!.decision).toBe('block');
    }

    // `bin/fraud rules deploy` publishes exactly this message; here on the test's own topic.
    await publishRuleSet(bus, { version: 'b', file: 'b.yaml', source: rules(labelB, 2000) }, topic);
    await until('the switch to B', () =>
      holder.current.version.startsWith(`${labelB}+`) ? true : undefined,
    );
    const after = await Promise.all(Array.from({ length: 10 }, () => send(1500)));
    // Nothing lost across the switch: every transaction sent after the warm-up gets its score.
    await until('scores under B', () => (after.every((id) => seen.has(id)) ? true : undefined));
    for (const id of after) {
      const s = seen.get(id)!;
      expect(s.rule_set_version!.startsWith(`${labelB}+`)).toBe(true);
      expect(s.decision).toBe('approve');
    }
    pulling = false;
    await scores.close();
    await pull;
  });
});
