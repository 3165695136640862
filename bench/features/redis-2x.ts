// Purpose: Redis feature store throughput and latency with 2 processor instances sharing state.
// Run: REDIS_URL=redis://127.0.0.1:6379 node bench/features/redis-2x.ts [--count 20000] [--batch 100]
// Each instance is its own process with its own connection; the stream is split by card, as
// Kafka partitions keyed by card_id would split it, and both update the same merchant,
// category, device and IP keys concurrently.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRedisFeatureStore } from '../../src/adapters/features-redis/index.ts';
import { hash53 } from '../../src/core/features/index.ts';
import { flag, machine, quantile, simulate } from './common.ts';

const url = process.env['REDIS_URL'];
if (!url) throw new Error('REDIS_URL is required (bin/fraud infra up redis)');
const count = flag('count', 20_000);
const batchSize = flag('batch', 100);

interface WorkerResult {
  tx: number;
  ms: number;
  batchMs: number[];
}

if (process.argv.includes('--worker')) {
  const part = flag('part', 0);
  const prefix = process.argv[process.argv.indexOf('--prefix') + 1]!;
  const { transactions } = simulate(count);
  const mine = transactions.filter((t) => hash53(t.card_id) % 2 === part);
  const store = await createRedisFeatureStore(url, { keyPrefix: prefix });
  const batchMs: number[] = [];
  process.send!({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const t0 = performance.now();
  for (let i = 0; i < mine.length; i += batchSize) {
    const b0 = performance.now();
    await store.enrich(mine.slice(i, i + batchSize));
    batchMs.push(performance.now() - b0);
  }
  const result: WorkerResult = { tx: mine.length, ms: performance.now() - t0, batchMs };
  process.send!(result);
  await store.close();
} else {
  const prefix = `bench:fs:${Date.now().toString(36)}`;
  const self = fileURLToPath(import.meta.url);
  const workers = [0, 1].map((part) =>
    fork(self, [
      '--worker',
      '--part',
      String(part),
      '--prefix',
      prefix,
      '--count',
      String(count),
      '--batch',
      String(batchSize),
    ]),
  );
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
  const done = workers.map(
    (w) => new Promise<WorkerResult>((r) => w.once('message', (m) => r(m as WorkerResult))),
  );
  for (const w of workers) w.send('go');
  const results = await Promise.all(done);
  const batches = results.flatMap((r) => r.batchMs).sort((a, b) => a - b);
  const tx = results.reduce((s, r) => s + r.tx, 0);
  const seconds = Math.max(...results.map((r) => r.ms)) / 1000;
  // Clean up the bench keys.
  const store = await createRedisFeatureStore(url, { keyPrefix: prefix });
  let cursor = '0';
  do {
    const [next, keys] = await store.client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await store.client.unlink(...keys);
  } while (cursor !== '0');
  await store.close();
  console.log(
    JSON.stringify({
      bench: 'features/redis-2x',
      machine: machine(),
      instances: 2,
      transactions: tx,
      batch: batchSize,
      tx_per_s: Math.round(tx / seconds),
      batch_ms_p50: Number(quantile(batches, 0.5).toFixed(2)),
      batch_ms_p99: Number(quantile(batches, 0.99).toFixed(2)),
      per_instance_tx: results.map((r) => r.tx),
    }),
  );
}
