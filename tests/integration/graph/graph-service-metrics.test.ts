/**
 * `bin/fraud graph-service --http PORT` as an operator runs it, on the real Kafka broker and the
 * real Neo4j: /readyz turns 200 once it consumes, and /metrics counts the transactions it wrote
 * (each of which is then in Neo4j), the rejected record, the batches and how far behind the
 * graph was. It joins a fresh consumer group pinned to the end of the topics, so it writes only
 * what is produced here (plus whatever another producer sends at the same time).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { Neo4jGraph } from '../../../src/adapters/graph-neo4j/backend.ts';
import { TOPICS } from '../../../src/core/contracts/index.ts';
import { topicSpecs } from '../../../src/platform/index.ts';
import { createSimulator } from '../../../src/services/ingestor/index.ts';
import { pinGroupToEnd, requireKafka } from '../../support/kafka.ts';
import { freePort } from '../../support/ports.ts';
import { fraud, stopProcess } from '../../support/processes.ts';
import { underRunPrefix } from '../../support/run-prefix.ts';
import { enriched } from '../../unit/graph/fixtures.ts';
import { neo4jUri, runPrefix } from './neo4j-env.ts';

const brokers = requireKafka();
const uri = neo4jUri();

/** A sample's value from Prometheus text, e.g. `fraud_graph_write_seconds_count{outcome="ok"}`; null when absent. */
function sample(text: string, series: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms: number,
  output: () => string,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out: ${what}${last ? ` (${(last as Error).message})` : ''}\n${output()}`);
}

describe('bin/fraud graph-service --http on Kafka and Neo4j', () => {
  const bus = new KafkaBus({ brokers, clientId: 'graph-metrics-test' });
  const graph = new Neo4jGraph({ uri });
  let child: ReturnType<typeof fraud> | null = null;
  afterAll(async () => {
    if (child) await stopProcess(child);
    await bus.close();
    await graph.close();
  });

  it('is ready once it consumes and exports what it wrote on /metrics', async () => {
    const group = `test-graph-metrics-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics(topicSpecs(3));
    await pinGroupToEnd(brokers, group, [TOPICS.enriched, TOPICS.labels]);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = fraud(
      [
        'graph-service',
        '--http',
        String(port),
        '--group',
        group,
        '--batch',
        '20',
        '--warm-up',
        '3',
        // Never prune the shared database from a test.
        '--retention',
        '0',
      ],
      { KAFKA_BROKERS: brokers.join(','), NEO4J_URI: uri, FRAUD_API_HOST: '127.0.0.1' },
    );
    child = proc;
    const out = () => proc.output().slice(-4000);
    const alive = () => {
      if (proc.exitCode !== null) throw new Error(`graph-service exited ${proc.exitCode}`);
    };

    await until(
      '/readyz 200',
      async () => {
        alive();
        const r = await fetch(`${base}/readyz`);
        return r.ok ? ((await r.json()) as { status: string }) : undefined;
      },
      120_000,
      out,
    ).then((body) => expect(body).toEqual({ status: 'ready' }));
    const before = await (await fetch(`${base}/metrics`)).text();
    const writtenBefore = sample(before, 'fraud_graph_transactions_written_total');
    expect(writtenBefore).not.toBeNull();
    expect(sample(before, 'fraud_process_cpu_seconds_total')).not.toBeNull();

    const N = 60;
    const prefix = runPrefix('gm');
    const sim = createSimulator({ seed: 5, customers: 50, count: N, fraudRate: 0.05 });
    const txs = Array.from({ length: N }, () => underRunPrefix(sim.next().transaction, prefix));
    await bus.publish(TOPICS.enriched, [
      ...txs.map((t) => ({ key: t.card_id, value: JSON.stringify(enriched(t)) })),
      { key: `${prefix}bad`, value: '{"not": "an enriched transaction"}' },
    ]);

    const text = await until(
      `fraud_graph_transactions_written_total >= ${N}, committed in >= ${Math.ceil(N / 20)} batches`,
      async () => {
        alive();
        const t = await (await fetch(`${base}/metrics`)).text();
        const written = sample(t, 'fraud_graph_transactions_written_total') ?? 0;
        const rejected = sample(t, 'fraud_graph_rejected_total') ?? 0;
        // A batch counts as written when Neo4j has it and as a batch once its offsets are
        // committed, a moment later: wait for both, or the last commit races the assertion.
        const batches = sample(t, 'fraud_graph_batches_total') ?? 0;
        return written - (writtenBefore ?? 0) >= N && rejected >= 1 && batches >= Math.ceil(N / 20)
          ? t
          : undefined;
      },
      60_000,
      out,
    );
    expect(sample(text, 'fraud_graph_transactions_created_total')).toBeGreaterThanOrEqual(N);
    expect(sample(text, 'fraud_graph_batches_total')).toBeGreaterThanOrEqual(Math.ceil(N / 20));
    expect(sample(text, 'fraud_graph_write_seconds_count{outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'fraud_graph_delay_seconds_count')).toBeGreaterThanOrEqual(1);
    // A group pinned to the end and records produced just now: the graph is seconds behind, not minutes.
    const lastDelay = sample(text, 'fraud_graph_last_delay_seconds');
    expect(lastDelay).toBeGreaterThanOrEqual(0);
    expect(lastDelay).toBeLessThan(120);
    expect(text).toMatch(/^# TYPE fraud_graph_delay_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE fraud_graph_pending_records gauge$/m);

    // What the counter says was written is in Neo4j.
    const rows = await graph.query(
      'MATCH (t:Transaction) WHERE t.transaction_id STARTS WITH $p RETURN count(t) AS n',
      { p: prefix },
    );
    expect(rows[0]?.['n']).toBe(N);
    const health = (await (await fetch(`${base}/healthz`)).json()) as { ok: boolean; state: string };
    expect(health).toMatchObject({ ok: true, state: 'running' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    expect(await stopProcess(proc)).toBe(0);
    child = null;
    expect(proc.output()).not.toMatch(/"level":(50|60)/);
  }, 240_000);
});
