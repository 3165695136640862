import { describe, expect, it } from 'vitest';
import type { PipelineBenchResult } from '../../../bench/pipeline/run.ts';
import { seriesChart, spread, summariseSeries } from '../../../bench/pipeline/series.ts';

function run(
  throughput: number,
  p50: number,
  p99: number,
  max: number,
  probeUs?: number,
): PipelineBenchResult {
  const latency = { count: 50_000, p50, p95: (p50 + p99) / 2, p99, max, mean: p50 };
  const probe =
    probeUs === undefined
      ? {}
      : { probe: { feature_cpu_us_per_tx: probeUs, runs_us: [probeUs], transactions: 1 } };
  return {
    mode: 'kafka',
    machine: { cpus: 2, cpu_model: 'test', node: 'v24', platform: 'linux', ...probe },
    pipeline: { features: 'memory', model: 'm', rules: 'r', graph: 'memory', partitions: 6 },
    saturation: { count: 100_000, seconds: 6, throughput_tx_s: throughput, latency_ms: latency },
    sustained: { offered_tx_s: 5_000, achieved_tx_s: 4_998, seconds: 10, latency_ms: latency },
  };
}

describe('a series of benchmark runs', () => {
  it('takes the median of an odd count as the middle value and of an even count as the mean of the middle two', () => {
    expect(spread([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30 });
    expect(spread([40, 10, 20, 30])).toEqual({ median: 25, min: 10, max: 40 });
    expect(spread([7])).toEqual({ median: 7, min: 7, max: 7 });
    expect(() => spread([])).toThrow();
  });

  it('reports each figure as median and range, and counts the runs whose p99 met the 50 ms target', () => {
    const s = summariseSeries([run(17_000, 5, 38, 90), run(15_000, 6, 183, 279), run(16_000, 5, 50, 84)]);
    expect(s.runs).toBe(3);
    expect(s.mode).toBe('kafka');
    expect(s.summary.saturation_tx_s).toEqual({ median: 16_000, min: 15_000, max: 17_000 });
    expect(s.summary.sustained.p99_ms).toEqual({ median: 50, min: 38, max: 183 });
    expect(s.summary.sustained.max_ms).toEqual({ median: 90, min: 84, max: 279 });
    expect(s.summary.p99_target_ms).toBe(50);
    // At the target counts as met; 183 does not.
    expect(s.summary.runs_meeting_p99_target).toBe(2);
    expect(s.results).toHaveLength(3);
  });

  it("carries the host probe's median and range, and only when every run was probed", () => {
    const probed = summariseSeries([
      run(17_000, 5, 38, 90, 9.1),
      run(9_000, 60, 400, 900, 19.4),
      run(16_000, 5, 50, 84, 8.7),
    ]);
    expect(probed.summary.host_probe_us_per_tx).toEqual({ median: 9.1, min: 8.7, max: 19.4 });
    const mixed = summariseSeries([run(17_000, 5, 38, 90, 9.1), run(16_000, 5, 50, 84)]);
    expect(mixed.summary.host_probe_us_per_tx).toBeUndefined();
  });

  it('draws one point per run for p50, p99 and max, with the target line', () => {
    const svg = seriesChart(summariseSeries([run(17_000, 5, 38, 90), run(15_000, 6, 183, 279)]));
    expect(svg).toContain('<svg');
    expect(svg).toContain('2 runs');
    expect(svg).toContain('p99 at or under 50 ms in 1 of 2 runs');
    expect(svg).toContain('target p99');
    // Runs are counted: no tick at run 1.5.
    expect(svg).not.toMatch(/>1\.5</);
  });
});
