/**
 * The graph service's Prometheus metrics, on the in-process bus and graph: the counters follow
 * `stats`, the pending gauge rises while the graph refuses writes and falls back to 0, and the
 * delay is measured from the Kafka record timestamps of each committed batch.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import { type Label, TOPICS, type Transaction } from '../../../src/core/contracts/index.ts';
import { FraudError } from '../../../src/core/errors/index.ts';
import { GraphService } from '../../../src/services/graph-service/index.ts';
import { GraphServiceMetrics } from '../../../src/services/telemetry/metrics.ts';
import { enriched, ringFixture } from './fixtures.ts';

/** The in-process graph, refusing every write while `down` (like an unreachable Neo4j). */
class SwitchableGraph extends MemoryGraph {
  down = true;
  override async write(txs: readonly Transaction[]) {
    if (this.down) throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'neo4j: connection refused');
    return super.write(txs);
  }
  override async applyLabels(labels: readonly Label[]) {
    if (this.down) throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'neo4j: connection refused');
    return super.applyLabels(labels);
  }
}

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One series' value: `name` as exported (e.g. `fraud_graph_write_seconds_count`), with `labels`. */
async function value(
  m: GraphServiceMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = m.registry.getSingleMetric(base);
  if (!metric) throw new Error(`no metric ${base}`);
  // Histograms name each series (`_bucket`, `_sum`, `_count`); counters and gauges do not.
  const values = (await metric.get()).values as { value: number; labels: object; metricName?: string }[];
  const hit = values.find(
    (v) =>
      (v.metricName ?? base) === name &&
      Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l),
  );
  if (!hit) throw new Error(`no series ${name} ${JSON.stringify(labels)}`);
  return hit.value;
}

describe('graph service metrics', () => {
  it('counts writes, retries, batches, labels and rejects; pending rises while the graph is down and returns to 0; the delay is observed per batch', async () => {
    const bus = new MemoryBus({ partitions: 2 });
    const fx = ringFixture('met_');
    const backend = new SwitchableGraph();
    const metrics = new GraphServiceMetrics({ defaultMetrics: false });
    const service = new GraphService({
      bus,
      backend,
      metrics,
      batchSize: 6,
      inFlight: 1,
      retryBaseMs: 1,
      retryMaxMs: 5,
    });
    await service.start();
    expect(await value(metrics, 'fraud_graph_pending_records')).toBe(0);

    // Records produced 5 s ago: every committed batch is at least 5 s behind.
    const sentAt = Date.now() - 5000;
    await bus.publish(TOPICS.enriched, [
      ...fx.txs.map((t) => ({ key: t.card_id, value: JSON.stringify(enriched(t)), timestamp: sentAt })),
      { key: 'x', value: 'not json', timestamp: sentAt },
    ]);
    await bus.publish(
      TOPICS.labels,
      fx.labels.map((l) => ({ key: l.transaction_id, value: JSON.stringify(l), timestamp: sentAt })),
    );

    await until(() => service.stats.retries >= 3);
    const pendingWhileDown = await value(metrics, 'fraud_graph_pending_records');
    expect(pendingWhileDown).toBeGreaterThan(0);
    expect(pendingWhileDown).toBe(service.stats.pending);
    expect(await value(metrics, 'fraud_graph_batches_total')).toBe(0);
    expect(await value(metrics, 'fraud_graph_transactions_written_total')).toBe(0);
    expect(await value(metrics, 'fraud_graph_write_retries_total')).toBeGreaterThanOrEqual(3);

    backend.down = false;
    // The last batch's delay, until the next empty poll (250 ms later) finds the service caught up.
    await until(async () => (await value(metrics, 'fraud_graph_last_delay_seconds')) >= 5);
    const last = await value(metrics, 'fraud_graph_last_delay_seconds');
    expect(last).toBeLessThan(60);
    const records = fx.txs.length + 1 + fx.labels.length;
    await until(
      () =>
        service.stats.created === fx.txs.length &&
        service.stats.labels === fx.labels.length &&
        service.stats.pending === 0 &&
        // Pending drops when a batch is written, the batch counts once its offsets commit.
        service.stats.batches >= Math.ceil(records / 6),
    );
    await until(async () => (await value(metrics, 'fraud_graph_batches_total')) === service.stats.batches);

    const s = service.stats;
    expect(await value(metrics, 'fraud_graph_transactions_written_total')).toBe(fx.txs.length);
    expect(await value(metrics, 'fraud_graph_transactions_created_total')).toBe(fx.txs.length);
    expect(await value(metrics, 'fraud_graph_labels_total')).toBe(fx.labels.length);
    expect(await value(metrics, 'fraud_graph_rejected_total')).toBe(1);
    expect(await value(metrics, 'fraud_graph_write_retries_total')).toBe(s.retries);
    expect(await value(metrics, 'fraud_graph_pending_records')).toBe(0);
    // Batches of at most 6 records, each committed after its write.
    expect(s.batches).toBeGreaterThanOrEqual(Math.ceil(records / 6));
    expect(await value(metrics, 'fraud_graph_batches_total')).toBe(s.batches);

    // Every failed attempt is timed as an error; every batch with something to write once as ok.
    expect(await value(metrics, 'fraud_graph_write_seconds_count', { outcome: 'error' })).toBe(s.retries);
    const okWrites = await value(metrics, 'fraud_graph_write_seconds_count', { outcome: 'ok' });
    expect(okWrites).toBeGreaterThan(0);
    expect(okWrites).toBeLessThanOrEqual(s.batches);

    // One delay per committed batch, each at least the 5 s since the records were produced.
    expect(await value(metrics, 'fraud_graph_delay_seconds_count')).toBe(s.batches);
    expect(await value(metrics, 'fraud_graph_delay_seconds_sum')).toBeGreaterThanOrEqual(5 * s.batches);
    expect(await value(metrics, 'fraud_graph_delay_seconds_bucket', { le: '1' })).toBe(0);
    // Caught up: nothing new, nothing waiting, so the graph is no longer behind.
    await until(async () => (await value(metrics, 'fraud_graph_last_delay_seconds')) === 0);
    expect(service.stats.lastDelayMs).toBe(0);
    await service.stop();

    // A replay (a new group over the same topics) writes every transaction again and creates none.
    const replayMetrics = new GraphServiceMetrics({ defaultMetrics: false });
    const replay = new GraphService({ bus, backend, groupId: 'replay', metrics: replayMetrics });
    await replay.start();
    await until(() => replay.stats.written === fx.txs.length && replay.stats.pending === 0);
    await replay.stop();
    expect(await value(replayMetrics, 'fraud_graph_transactions_written_total')).toBe(fx.txs.length);
    expect(await value(replayMetrics, 'fraud_graph_transactions_created_total')).toBe(0);
    expect(await value(replayMetrics, 'fraud_graph_write_retries_total')).toBe(0);
    await bus.close();
  });

  it('exports the process and runtime metrics with the fraud_ prefix, like the other services', async () => {
    const text = await new GraphServiceMetrics().registry.metrics();
    expect(text).toMatch(/^fraud_process_cpu_seconds_total /m);
    expect(text).toMatch(/^fraud_nodejs_eventloop_lag_p99_seconds /m);
    expect(text).toMatch(/^fraud_graph_transactions_written_total 0$/m);
    // The decision metrics belong to the processor and the API, not to this process.
    expect(text).not.toMatch(/^fraud_transactions_total/m);
  });
});
