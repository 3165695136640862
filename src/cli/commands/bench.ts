import type { Command } from '../command.ts';
import { numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud bench --mode embedded|kafka [--count N] [--rate R] [--seconds S] [--batch B] [--seed K]
                  [--customers N] [--repeat N] [--svg DIR]

Measures the whole decision pipeline and prints JSON: sustained throughput (tx/s) and decision
latency p50/p95/p99 in ms, from the producer's send time to the score being produced.

  saturation   --count transactions (default 200000 embedded, 100000 kafka) offered at once:
               throughput = count / (last score - first send)
  sustained    --rate tx/s (default 10000 embedded, 5000 kafka) for --seconds (default 10):
               latency percentiles at that load

  --customers N  size of the simulated population (default 5000): more customers mean more
               cards, devices and IPs in the feature state and the graph
  --repeat N   run the whole benchmark N times (default 1), one after the other, and print every
               run plus the median, min and max of each figure and how many runs met the 50 ms
               p99 target: on a shared machine the spread across runs is the honest figure.
               Also writes <mode>-<start time>-series.svg (each run's p50, p99 and max)
  --svg DIR    where to write the charts (default .data/bench in the repository):
               <mode>-<start time>-sustained-histogram.svg, -sustained-timeline.svg
               (p50, p99 and max per 1-s bucket of send time, against the 50 ms p99 target)
               and -saturation-histogram.svg; their paths are in the JSON under "charts"

--mode kafka needs KAFKA_BROKERS and runs 'bin/fraud process' as a separate process.
Each result starts with a host probe (about 3 s), under machine.probe: the feature engine's CPU
time per transaction on a fixed simulated stream, so results from different hosts can be told apart.
Progress and the chart paths go to stderr; figures are recorded in docs/benchmarks.md.
`;

const command: Command = {
  name: 'bench',
  summary: 'Benchmark the pipeline: throughput and p50/p95/p99 decision latency (JSON)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      mode: { type: 'string' },
      count: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      batch: { type: 'string' },
      seed: { type: 'string' },
      customers: { type: 'string' },
      repeat: { type: 'string' },
      svg: { type: 'string' },
    });
    const { FraudError } = await import('../../core/errors/index.ts');
    const mode = values.mode ?? 'embedded';
    if (mode !== 'embedded' && mode !== 'kafka')
      throw new FraudError('FRAUD_USAGE', '--mode must be embedded or kafka');
    const { join, resolve } = await import('node:path');
    const svgDir = resolve(values.svg ?? `${process.env['FRAUD_ROOT'] ?? process.cwd()}/.data/bench`);
    const { chartStamp, runPipelineBench } = await import('../../../bench/pipeline/run.ts');
    const repeat = numberFlag('repeat', values.repeat, 1);
    if (!Number.isInteger(repeat) || repeat < 1)
      throw new FraudError('FRAUD_USAGE', '--repeat must be a whole number of runs, at least 1');
    const options = {
      mode,
      count: numberFlag('count', values.count, mode === 'embedded' ? 200_000 : 100_000),
      rate: numberFlag('rate', values.rate, mode === 'embedded' ? 10_000 : 5_000),
      seconds: numberFlag('seconds', values.seconds, 10),
      batch: numberFlag('batch', values.batch, 500),
      seed: numberFlag('seed', values.seed, 42),
      ...(values.customers !== undefined
        ? { customers: numberFlag('customers', values.customers, 5_000) }
        : {}),
      svgDir,
    } as const;
    const startedAt = new Date();
    const results = [];
    for (let run = 1; run <= repeat; run++) {
      const tag = repeat > 1 ? `run ${run}/${repeat}: ` : '';
      const result = await runPipelineBench({
        ...options,
        progress: (line) => process.stderr.write(`bench: ${tag}${line}\n`),
      });
      results.push(result);
      const s = result.saturation;
      const u = result.sustained;
      process.stderr.write(
        `bench ${mode}: ${tag}${s.throughput_tx_s} tx/s at saturation (p99 ${s.latency_ms.p99} ms); ` +
          `${u.achieved_tx_s} tx/s sustained at ${u.offered_tx_s} offered: p50 ${u.latency_ms.p50} ms, p95 ${u.latency_ms.p95} ms, p99 ${u.latency_ms.p99} ms\n`,
      );
      for (const path of result.charts ?? []) process.stderr.write(`bench: chart ${path}\n`);
    }
    if (repeat === 1) {
      process.stdout.write(`${JSON.stringify(results[0], null, 2)}\n`);
      return;
    }
    const { seriesChart, summariseSeries } = await import('../../../bench/pipeline/series.ts');
    const series = summariseSeries(results);
    const { mkdir, writeFile } = await import('node:fs/promises');
    const chart = join(svgDir, `${mode}-${chartStamp(startedAt)}-series.svg`);
    await mkdir(svgDir, { recursive: true });
    await writeFile(chart, seriesChart(series));
    process.stdout.write(`${JSON.stringify({ ...series, chart }, null, 2)}\n`);
    const m = series.summary;
    process.stderr.write(
      `bench ${mode}: ${repeat} runs: saturation median ${m.saturation_tx_s.median} tx/s ` +
        `(${m.saturation_tx_s.min}-${m.saturation_tx_s.max}); sustained p99 median ${m.sustained.p99_ms.median} ms ` +
        `(${m.sustained.p99_ms.min}-${m.sustained.p99_ms.max}), at or under ${m.p99_target_ms} ms in ${m.runs_meeting_p99_target} of ${repeat}\n` +
        (m.host_probe_us_per_tx
          ? `bench: host probe median ${m.host_probe_us_per_tx.median} µs/tx (${m.host_probe_us_per_tx.min}-${m.host_probe_us_per_tx.max})\n`
          : '') +
        `bench: chart ${chart}\n`,
    );
  },
};
export default command;
