// Purpose: average cost of computing the full feature set per transaction, embedded (memory store).
// Run: node bench/features/enrich.ts [--count 200000] [--runs 5]
import { FEATURE_COUNT } from '../../src/core/features/index.ts';
import { enrichStream, flag, machine, median, simulate } from './common.ts';

const count = flag('count', 200_000);
const runs = flag('runs', 5);
const { transactions, labels } = simulate(count);
const wall: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < runs; r++) {
  const { wallUs, cpuUs } = await enrichStream(transactions, labels);
  wall.push(wallUs);
  cpu.push(cpuUs);
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
