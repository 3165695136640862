/**
 * How fast this host runs the decision core today, measured by the benchmark itself. The same
 * code gave 20,458-22,591 tx/s embedded on one 2-core machine and 9,425-9,545 tx/s on another
 * (docs/benchmarks.md, Pipeline): without a figure of the host's own speed in each result, a
 * reader cannot tell a slower host from a slower commit.
 *
 * The probe enriches a fixed simulated stream (seed 7) through the in-memory feature engine,
 * the work of `bench/features/enrich.ts` at a smaller size, and reports the median CPU time per
 * transaction over a few runs, after one that warms the JIT, with every run so the host's
 * jitter shows too. CPU time, not wall time: a busy neighbour shows less in it.
 */
import { enrichStream, median, simulate } from '../features/common.ts';

export interface HostProbe {
  /** Median CPU microseconds per transaction of the feature engine. */
  readonly feature_cpu_us_per_tx: number;
  /** Each run's figure, in order. */
  readonly runs_us: readonly number[];
  readonly transactions: number;
}

export async function probeHost(count = 30_000, runs = 5): Promise<HostProbe> {
  const { transactions, labels } = simulate(count);
  const runsUs: number[] = [];
  // One run first, not counted: it is mostly the JIT compiling the engine.
  await enrichStream(transactions, labels);
  for (let r = 0; r < runs; r++) runsUs.push((await enrichStream(transactions, labels)).cpuUs);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    feature_cpu_us_per_tx: round(median(runsUs)),
    runs_us: runsUs.map(round),
    transactions: count,
  };
}
