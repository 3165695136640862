import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import {
  BRIEF_EXAMPLE_TRANSACTION,
  type Score,
  TOPICS,
  validators,
} from '../../../src/core/contracts/index.ts';
import { topicSpecs } from '../../../src/platform/index.ts';
import type { ConsumedRecord, Subscription } from '../../../src/ports/index.ts';
import { pinGroupToEnd, requireKafka } from '../../support/kafka.ts';
import { fraud, stopProcess, waitForOutput } from '../../support/processes.ts';

const brokers = requireKafka();

/**
 * The pipeline end to end on a real broker with real `bin/fraud process` instances. Topics are
 * the production names; each test uses fresh consumer groups pinned to the current end of the
 * topics and its own transaction ids, so earlier runs on the same broker do not interfere.
 */
describe('pipeline on Kafka', () => {
  const bus = new KafkaBus({ brokers, clientId: 'pipeline-test' });
  const children: ReturnType<typeof fraud>[] = [];

  beforeAll(async () => {
    await bus.ensureTopics(topicSpecs(6));
  });
  afterAll(async () => {
    for (const c of children) await stopProcess(c, 'SIGKILL');
    await bus.close();
  });

  // The processors keep their feature and graph state in process: these tests are about the
  // consumer group (order, dead letters, failover), and must not depend on the speed of the
  // Redis or Neo4j the lane also provides (the feature-store suites test Redis replay).
  async function startProcessor(group: string) {
    const child = fraud(['process', '--group', group, '--port', '0'], {
      KAFKA_BROKERS: brokers.join(','),
      REDIS_URL: '',
      NEO4J_URI: '',
      DATABASE_URL: '',
    });
    children.push(child);
    await waitForOutput(child, /processor running/);
    return child;
  }

  async function watch(topic: string): Promise<Subscription> {
    const group = `watch-${randomUUID()}`;
    await pinGroupToEnd(brokers, group, [topic]);
    return bus.subscribe({ groupId: group, topics: [topic], from: 'earliest' });
  }

  async function until(sub: Subscription, done: (all: ConsumedRecord[]) => boolean, timeoutMs: number) {
    const all: ConsumedRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!done(all) && Date.now() < deadline) {
      const batch = await sub.next(200);
      if (batch?.length) {
        all.push(...batch);
        await sub.commit(batch);
      }
    }
    return all;
  }

  it("scores the brief's example payload in the brief's format within 2 seconds", async () => {
    const group = `proc-${randomUUID()}`;
    await pinGroupToEnd(brokers, group, [TOPICS.transactions]);
    const proc = await startProcessor(group);
    const scores = await watch(TOPICS.scores);
    const id = `tx_0001_${randomUUID().slice(0, 8)}`;
    const sent = Date.now();
    await bus.publish(TOPICS.transactions, [
      {
        key: BRIEF_EXAMPLE_TRANSACTION.card_id,
        value: JSON.stringify({ ...BRIEF_EXAMPLE_TRANSACTION, transaction_id: id }),
      },
    ]);
    const got = await until(scores, (all) => all.some((r) => r.value.toString().includes(id)), 10_000);
    const record = got.find((r) => r.value.toString().includes(id))!;
    expect(record).toBeDefined();
    expect(record.timestamp - sent).toBeLessThan(2_000);
    const score = JSON.parse(record.value.toString()) as Score;
    expect(validators.score(score)).toBe(true);
    expect(Object.keys(score)).toEqual(
      expect.arrayContaining(['transaction_id', 'score', 'model_version', 'decision', 'reason']),
    );
    await scores.close();
    expect(await stopProcess(proc)).toBe(0);
  });

  it('sends garbage to transactions.dlq with reasons and keeps scoring valid transactions', async () => {
    const group = `proc-${randomUUID()}`;
    await pinGroupToEnd(brokers, group, [TOPICS.transactions]);
    const proc = await startProcessor(group);
    const dlq = await watch(TOPICS.dlq);
    const scores = await watch(TOPICS.scores);
    const marker = randomUUID();
    const bad = JSON.stringify({
      ...BRIEF_EXAMPLE_TRANSACTION,
      transaction_id: `tx_bad_${marker}`,
      amount: 'abc',
    });
    await bus.publish(TOPICS.transactions, [
      { key: marker, value: `not json ${marker}` },
      { key: 'card_1234', value: bad },
    ]);
    const dead = await until(
      dlq,
      (all) => all.filter((r) => r.value.toString().includes(marker)).length >= 2,
      10_000,
    );
    const mine = dead.filter((r) => r.value.toString().includes(marker));
    expect(mine.map((r) => r.value.toString()).sort()).toEqual([bad, `not json ${marker}`].sort());
    expect(mine.map((r) => r.headers['x-error-code']).sort()).toEqual([
      'FRAUD_INPUT_INVALID',
      'FRAUD_INPUT_NOT_JSON',
    ]);
    expect(mine.find((r) => r.value.toString() === bad)!.headers['x-error-reason']).toContain('amount');

    const id = `tx_ok_${marker}`;
    await bus.publish(TOPICS.transactions, [
      { key: 'card_1234', value: JSON.stringify({ ...BRIEF_EXAMPLE_TRANSACTION, transaction_id: id }) },
    ]);
    const ok = await until(scores, (all) => all.some((r) => r.value.toString().includes(id)), 10_000);
    expect(ok.some((r) => r.value.toString().includes(id))).toBe(true);
    expect(proc.exitCode).toBeNull();
    await dlq.close();
    await scores.close();
    await stopProcess(proc);
  });

  it('two processors share the partitions, and killing one mid-stream loses no transaction', async () => {
    const group = `proc-${randomUUID()}`;
    await pinGroupToEnd(brokers, group, [TOPICS.transactions]);
    const a = await startProcessor(group);
    const b = await startProcessor(group);
    const scores = await watch(TOPICS.scores);
    const run = randomUUID().slice(0, 8);
    const total = 6_000;
    const ids = Array.from({ length: total }, (_, i) => `tx_${run}_${i}`);
    const seen = new Set<string>();
    const record = (all: ConsumedRecord[]) => {
      for (const r of all.splice(0)) {
        const s = JSON.parse(r.value.toString()) as Score;
        if (s.transaction_id.startsWith(`tx_${run}_`)) seen.add(s.transaction_id);
      }
    };
    // Produce in slices so the kill lands while records are in flight.
    for (let i = 0; i < total; i += 500) {
      await bus.publish(
        TOPICS.transactions,
        ids.slice(i, i + 500).map((id, j) => ({
          key: `card_${(i + j) % 300}`,
          value: JSON.stringify({
            ...BRIEF_EXAMPLE_TRANSACTION,
            transaction_id: id,
            card_id: `card_${(i + j) % 300}`,
          }),
        })),
      );
      if (i === 2_000) {
        record(await until(scores, (all) => all.length > 500, 10_000));
        await stopProcess(a, 'SIGKILL');
      }
    }
    const deadline = Date.now() + 90_000;
    while (seen.size < total && Date.now() < deadline)
      record(await until(scores, (all) => all.length >= 500, 2_000));
    const missing = ids.filter((id) => !seen.has(id));
    expect(missing, `survivor's output:\n${b.output().slice(-4000)}`).toEqual([]);
    expect(b.exitCode).toBeNull();
    await scores.close();
    await stopProcess(b);
  }, 240_000);
});
