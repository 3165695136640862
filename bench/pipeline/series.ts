/**
 * A series of pipeline benchmark runs (`bin/fraud bench --repeat N`). On a shared machine one
 * run's p99 says as much about its neighbours as about the pipeline: the spread across runs is
 * the honest figure, so a series reports every run, the median and range of each figure, and
 * how many runs met the p99 target.
 */
import { lineChart } from '../support/svg-charts.ts';
import type { PipelineBenchResult } from './run.ts';
import { TARGET_P99_MS } from './run.ts';

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface PipelineSeriesResult {
  readonly mode: 'embedded' | 'kafka';
  readonly runs: number;
  readonly summary: {
    readonly saturation_tx_s: Spread;
    readonly sustained: {
      readonly p50_ms: Spread;
      readonly p95_ms: Spread;
      readonly p99_ms: Spread;
      readonly max_ms: Spread;
    };
    /** The host probe's figure across the runs, when every run has one (`host-probe.ts`). */
    readonly host_probe_us_per_tx?: Spread;
    readonly p99_target_ms: number;
    /** Runs whose sustained-phase p99 was at or under the target. */
    readonly runs_meeting_p99_target: number;
  };
  readonly results: readonly PipelineBenchResult[];
  /** The per-run chart of the series, when charts were written. */
  readonly chart?: string;
}

/** Median (mean of the middle two for an even count), min and max. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]! };
}

export function summariseSeries(results: readonly PipelineBenchResult[]): PipelineSeriesResult {
  if (results.length === 0) throw new Error('a series needs at least one run');
  const lat = results.map((r) => r.sustained.latency_ms);
  const probes = results.map((r) => r.machine.probe?.feature_cpu_us_per_tx);
  return {
    mode: results[0]!.mode,
    runs: results.length,
    summary: {
      saturation_tx_s: spread(results.map((r) => r.saturation.throughput_tx_s)),
      sustained: {
        p50_ms: spread(lat.map((l) => l.p50)),
        p95_ms: spread(lat.map((l) => l.p95)),
        p99_ms: spread(lat.map((l) => l.p99)),
        max_ms: spread(lat.map((l) => l.max)),
      },
      ...(probes.every((p) => p !== undefined) ? { host_probe_us_per_tx: spread(probes) } : {}),
      p99_target_ms: TARGET_P99_MS,
      runs_meeting_p99_target: lat.filter((l) => l.p99 <= TARGET_P99_MS).length,
    },
    results,
  };
}

/** The series as one picture: each run's sustained p50, p99 and max against the target. */
export function seriesChart(s: PipelineSeriesResult): string {
  const r = s.results[0]!;
  const point = (pick: (l: PipelineBenchResult['sustained']['latency_ms']) => number) =>
    s.results.map((x, i) => [i + 1, pick(x.sustained.latency_ms)] as const);
  return lineChart({
    title: `${s.mode} pipeline, ${s.runs} runs, sustained ${r.sustained.offered_tx_s} tx/s for ${Math.round(r.sustained.seconds)} s each`,
    subtitle: `p99 at or under ${s.summary.p99_target_ms} ms in ${s.summary.runs_meeting_p99_target} of ${s.runs} runs; median p99 ${s.summary.sustained.p99_ms.median} ms`,
    xLabel: 'run',
    yLabel: 'latency (ms, log scale)',
    yLog: true,
    xRange: [1, Math.max(2, s.runs)],
    xWhole: true,
    series: [
      { name: 'p50', points: point((l) => l.p50) },
      { name: 'p99', points: point((l) => l.p99) },
      { name: 'max', points: point((l) => l.max) },
    ],
    hLines: [{ y: s.summary.p99_target_ms, label: 'target p99' }],
  });
}
