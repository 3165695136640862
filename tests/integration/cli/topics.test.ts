import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { requireKafka } from '../../support/kafka.ts';
import { fraud } from '../../support/processes.ts';

const brokers = requireKafka();

async function run(args: string[], env: Record<string, string> = {}) {
  const child = fraud(args, { KAFKA_BROKERS: brokers.join(','), ...env });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output: child.output() };
}

describe('bin/fraud topics on a real broker', () => {
  it('creates the topics idempotently and lists each with its partitions and replication factor', async () => {
    const created = await run(['topics', 'create']);
    expect(created.code).toBe(0);
    expect(created.output).toMatch(/^transactions\t\d+ partition\(s\)$/m);
    const listed = await run(['topics', 'list']);
    expect(listed.code).toBe(0);
    // The local single broker: default.replication.factor=1, so every topic has one replica.
    for (const topic of ['transactions', 'enriched-transactions', 'scores', 'alerts', 'transactions.dlq'])
      expect(listed.output).toMatch(
        new RegExp(`^${topic.replace('.', '\\.')}\\t\\d+ partition\\(s\\)\\treplication factor 1$`, 'm'),
      );
  });

  it('refuses a replication factor that is not a whole number of at least 1, before touching the broker', async () => {
    const r = await run(['topics', 'create', '--replication-factor', '0']);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("--replication-factor must be a whole number ≥ 1, got '0'");
    const env = await run(['topics', 'create'], { KAFKA_REPLICATION_FACTOR: 'two' });
    expect(env.code).not.toBe(0);
    expect(env.output).toContain('KAFKA_REPLICATION_FACTOR must be an integer');
  });
});
