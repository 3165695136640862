// Purpose: simulator throughput (transactions/s, one core) in history and live mode, object and
// pre-serialised JSON, so that generation never limits the pipeline benchmarks.
// Run: node bench/ingestor/simulator.ts [count=1000000] [repeats=5]
import { createSimulator, transactionJson } from '../../src/services/ingestor/index.ts';

const count = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 5);

function measure(name: string, body: () => number): void {
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const n = body();
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[rates.length >> 1]!;
  console.log(
    JSON.stringify({
      bench: name,
      count,
      repeats,
      median_tx_per_s: Math.round(median),
      min: Math.round(rates[0]!),
      max: Math.round(rates.at(-1)!),
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
