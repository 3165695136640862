// Purpose: average cost of computing the full feature set per transaction, embedded (memory store).
// Run: node bench/features/enrich.ts [--count 200000] [--runs 5]
import { MemoryFeatureStore } from '../../src/adapters/features-memory/index.ts';
import { FEATURE_COUNT } from '../../src/core/features/index.ts';
import { flag, machine, median, simulate } from './common.ts';

const count = flag('count', 200_000);
const runs = flag('runs', 5);
const { transactions, labels } = simulate(count);
const wall: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < runs; r++) {
  const store = new MemoryFeatureStore();
  let li = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  // As the processor uses it: micro-batches of 256 in arrival order, labels as they come due.
  for (let i = 0; i < transactions.length; i += 256) {
    const batch = transactions.slice(i, i + 256);
    const until = Date.parse(batch.at(-1)!.timestamp);
    const due = [];
    while (li < labels.length && Date.parse(labels[li]!.labeled_at) <= until) due.push(labels[li++]!);
    if (due.length) await store.addLabels(due);
    await store.enrich(batch);
  }
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  wall.push(((t1 - t0) * 1000) / count);
  cpu.push((c.user + c.system) / count);
}
console.log(
  JSON.stringify({
    bench: 'features/enrich',
    machine: machine(),
    features: FEATURE_COUNT,
    transactions: count,
    runs,
    median_wall_us_per_tx: Number(median(wall).toFixed(2)),
    median_cpu_us_per_tx: Number(median(cpu).toFixed(2)),
    wall_us_per_tx: wall.map((x) => Number(x.toFixed(2))),
  }),
);
