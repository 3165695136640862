import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { checkTransaction, validators } from '../../../src/core/contracts/index.ts';
import type { ConsumedRecord } from '../../../src/ports/index.ts';

const run = promisify(execFile);
const brokers = process.env['KAFKA_BROKERS'];
const root = new URL('../../../', import.meta.url).pathname;

async function drain(bus: KafkaBus, topic: string, until: (n: number) => boolean, timeoutMs: number) {
  const sub = await bus.subscribe({ groupId: `${topic}-reader`, topics: [topic], from: 'earliest' });
  const records: ConsumedRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(records.length) && Date.now() < deadline) {
      const batch = await Promise.race([sub.next(), new Promise<[]>((r) => setTimeout(() => r([]), 1000))]);
      if (batch === null) break;
      records.push(...batch);
    }
  } finally {
    await sub.close();
  }
  return records;
}

describe('bin/fraud simulate, live to Kafka', () => {
  it('publishes contract-valid transactions keyed by card_id, and labels once they are due', async () => {
    if (!brokers)
      throw new Error(
        'KAFKA_BROKERS is not set: start Kafka (bin/fraud infra up kafka) and export KAFKA_BROKERS',
      );
    const topic = `sim-it-${process.pid}-${Date.now()}`;
    const started = Date.now();
    // time-scale 1e-6: 60 days of label delay become 5 s, so labels arrive during the run.
    const { stdout } = await run(
      process.execPath,
      [
        `${root}src/cli/main.ts`,
        'simulate',
        '--rate',
        '500',
        '--count',
        '1500',
        '--fraud-rate',
        '0.2',
        '--time-scale',
        '0.000001',
        '--topic',
        topic,
        '--labels-topic',
        `${topic}.labels`,
        '--quiet',
      ],
      { env: { ...process.env, KAFKA_BROKERS: brokers }, cwd: root },
    );
    expect(stdout).toMatch(/published 1500 transactions/);
    const bus = new KafkaBus({ brokers: brokers.split(','), clientId: 'sim-it' });
    try {
      const txs = await drain(bus, topic, (n) => n >= 1500, 30_000);
      expect(txs).toHaveLength(1500);
      const ids = new Set<string>();
      for (const r of txs) {
        const parsed = checkTransaction(JSON.parse(r.value.toString()));
        if (!parsed.ok) throw parsed.error;
        expect(r.key).toBe(parsed.transaction.card_id);
        const t = Date.parse(parsed.transaction.timestamp);
        expect(t).toBeGreaterThanOrEqual(started - 1000);
        expect(t).toBeLessThanOrEqual(Date.now());
        ids.add(parsed.transaction.transaction_id);
      }
      const labels = await drain(bus, `${topic}.labels`, () => false, 5_000);
      expect(labels.length).toBeGreaterThan(10);
      for (const r of labels) {
        const label = JSON.parse(r.value.toString());
        expect(validators.label(label)).toBe(true);
        expect(ids.has(label.transaction_id)).toBe(true);
        // Published only once due: never before the label's own time.
        expect(r.timestamp).toBeGreaterThanOrEqual(Date.parse(label.labeled_at) - 5);
      }
    } finally {
      await bus.close();
    }
  });
});
