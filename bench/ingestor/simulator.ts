// Purpose: simulator throughput (transactions/s, one core) in history and live mode, object and
// pre-serialised JSON, so that generation never limits the pipeline benchmarks.
// Run: node bench/ingestor/simulator.ts [count=1000000] [repeats=5]
import { createSimulator, transactionJson } from '../../src/services/ingestor/index.ts';

const count = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 5);

/**
 * Median wall-clock rate over `repeats`, plus the rate per CPU-second of this process: on a
 * shared machine the wall-clock figure mostly measures the neighbours, CPU time much less so.
 */
function measure(name: string, body: () => number): void {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const n = body();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    rates.push(n / wall);
    cpuRates.push(n / ((cpu.user + cpu.system) / 1e6));
  }
  const median = (xs: number[]) => Math.round(xs.sort((a, b) => a - b)[xs.length >> 1]!);
  console.log(
    JSON.stringify({
      bench: name,
      count,
      repeats,
      median_tx_per_s: median(rates),
      min: Math.round(Math.min(...rates)),
      max: Math.round(Math.max(...rates)),
      median_tx_per_cpu_s: median(cpuRates),
    }),
  );
}

measure('history next()', () => {
  const sim = createSimulator({ seed: 7, count, spanDays: 56 });
  for (let i = 0; i < count; i++) sim.next();
  return count;
});

measure('history next() + JSON', () => {
  const sim = createSimulator({ seed: 7, count, spanDays: 56 });
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += transactionJson(sim.next().transaction).length;
  return bytes > 0 ? count : 0;
});

measure('live next(now) + JSON', () => {
  const sim = createSimulator({ seed: 7 });
  const now = Date.now();
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += transactionJson(sim.next(now + (i >> 10)).transaction).length;
  return bytes > 0 ? count : 0;
});
