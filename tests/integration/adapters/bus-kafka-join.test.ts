/**
 * Joining a consumer group through broker trouble, on a real broker of its own: this file stops
 * and restarts a private KRaft broker under a temporary run directory, so the shared one that
 * other tests use is never touched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JoinRetry, KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { FraudError } from '../../../src/core/errors/index.ts';
import { type LocalService, loadLocalService } from '../../../src/infra/local/index.ts';
import { probePort } from '../../../src/infra/local/process.ts';
import { freshTopic } from '../../support/kafka.ts';
import { freePort } from '../../support/ports.ts';

/** Two consecutive free ports (the broker's and the controller's listeners). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freePort();
    if (p < 65535 && !(await probePort('127.0.0.1', p + 1))) return p;
  }
  throw new Error('no free port pair');
}

describe('KafkaBus group join and topic set-up through an unavailable broker', () => {
  let runBase: string;
  let kafka: LocalService;
  let brokers: string[];
  const buses: KafkaBus[] = [];

  beforeAll(async () => {
    runBase = mkdtempSync(join(tmpdir(), 'fraud-join-'));
    const env = { ...process.env, FRAUD_KAFKA_PORT: String(await freePortPair()) };
    kafka = await loadLocalService('kafka', { env, runBase, log: () => {} });
    brokers = [(await kafka.up())['KAFKA_BROKERS']!];
  });

  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => {});
    await kafka?.down().catch(() => {});
    rmSync(runBase, { recursive: true, force: true });
  });

  it('keeps retrying while the broker is down and joins once it is back, then consumes', async () => {
    const topic = await freshTopic(brokers, 'join', 1);
    await kafka.down();

    const retries: JoinRetry[] = [];
    let restarted: Promise<unknown> | null = null;
    const bus = new KafkaBus({
      brokers,
      clientId: 'join-it',
      joinTimeoutMs: 180_000,
      onJoinRetry: (_group, retry) => {
        retries.push(retry);
        // Bring the broker back only once the bus has seen the join fail and chosen to retry.
        restarted ??= kafka.up();
      },
    });
    buses.push(bus);
    const sub = await bus.subscribe({ groupId: `join-it-${Date.now()}`, topics: [topic], from: 'earliest' });
    await restarted;

    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]!.attempt).toBe(1);

    // The subscription is a working member: it reads what is published after the restart.
    await bus.publish(topic, [{ key: 'card_join', value: '{"after":"restart"}' }]);
    const deadline = Date.now() + 60_000;
    const seen: string[] = [];
    while (seen.length === 0 && Date.now() < deadline) {
      for (const r of (await sub.next(1000)) ?? []) seen.push(r.value.toString());
    }
    expect(seen).toEqual(['{"after":"restart"}']);
  });

  it('creates topics through a broker restart, and counts a topic another process just created as created', async () => {
    await kafka.down();
    const retries: JoinRetry[] = [];
    let restarted: Promise<unknown> | null = null;
    const bus = new KafkaBus({
      brokers,
      clientId: 'topics-it',
      joinTimeoutMs: 180_000,
      onTopicsRetry: (retry) => {
        retries.push(retry);
        restarted ??= kafka.up();
      },
    });
    buses.push(bus);
    const name = `test.topics-restart.${Date.now()}`;
    await bus.ensureTopics([{ name, partitions: 2 }]);
    await restarted;
    expect(retries.length).toBeGreaterThanOrEqual(1);
    const admin = new Admin({ clientId: 'topics-it-check', bootstrapBrokers: brokers });
    try {
      expect(await admin.listTopics()).toContain(name);
    } finally {
      await admin.close();
    }

    // Services starting together each create the topics they miss: every one succeeds.
    const racers = Array.from(
      { length: 6 },
      (_, i) => new KafkaBus({ brokers, clientId: `topics-race-${i}` }),
    );
    buses.push(...racers);
    const stamp = Date.now();
    const specs = Array.from({ length: 8 }, (_, i) => ({
      name: `test.topics-race.${stamp}.${i}`,
      partitions: 1,
    }));
    const settled = await Promise.allSettled(racers.map((b) => b.ensureTopics(specs)));
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
  });

  it('gives up at its deadline with an error that names the group and the broker failures', async () => {
    await kafka.down();
    const bus = new KafkaBus({ brokers, clientId: 'join-it-down', joinTimeoutMs: 5_000 });
    buses.push(bus);
    const t0 = Date.now();
    const err = await bus
      .subscribe({ groupId: 'join-it-never', topics: ['any'], from: 'earliest' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FraudError);
    expect((err as FraudError).code).toBe('FRAUD_DEPENDENCY_UNAVAILABLE');
    expect((err as Error).message).toContain("Kafka consumer group 'join-it-never' could not join");
    expect((err as Error).message).toMatch(/ECONNREFUSED.*\(×\d+\)/);
    // Bounded: the deadline plus at most one attempt in flight, never the indefinite wait.
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});
