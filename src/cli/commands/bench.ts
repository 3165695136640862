import type { Command } from '../command.ts';
import { numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud bench --mode embedded|kafka [--count N] [--rate R] [--seconds S] [--batch B] [--seed K]
                  [--customers N] [--svg DIR]

Measures the whole decision pipeline and prints JSON: sustained throughput (tx/s) and decision
latency p50/p95/p99 in ms, from the producer's send time to the score being produced.

  saturation   --count transactions (default 200000 embedded, 100000 kafka) offered at once:
               throughput = count / (last score - first send)
  sustained    --rate tx/s (default 10000 embedded, 5000 kafka) for --seconds (default 10):
               latency percentiles at that load

  --customers N  size of the simulated population (default 5000): more customers mean more
               cards, devices and IPs in the feature state and the graph
  --svg DIR    where to write the charts (default .data/bench in the repository):
               <mode>-<start time>-sustained-histogram.svg, -sustained-timeline.svg
               (p50, p99 and max per 1-s bucket of send time, against the 50 ms p99 target)
               and -saturation-histogram.svg; their paths are in the JSON under "charts"

--mode kafka needs KAFKA_BROKERS and runs 'bin/fraud process' as a separate process.
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
      svg: { type: 'string' },
    });
    const { FraudError } = await import('../../core/errors/index.ts');
    const mode = values.mode ?? 'embedded';
    if (mode !== 'embedded' && mode !== 'kafka')
      throw new FraudError('FRAUD_USAGE', '--mode must be embedded or kafka');
    const { resolve } = await import('node:path');
    const svgDir = resolve(values.svg ?? `${process.env['FRAUD_ROOT'] ?? process.cwd()}/.data/bench`);
    const { runPipelineBench } = await import('../../../bench/pipeline/run.ts');
    const result = await runPipelineBench({
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
      progress: (line) => process.stderr.write(`bench: ${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    const s = result.saturation;
    const u = result.sustained;
    process.stderr.write(
      `bench ${mode}: ${s.throughput_tx_s} tx/s at saturation (p99 ${s.latency_ms.p99} ms); ` +
        `${u.achieved_tx_s} tx/s sustained at ${u.offered_tx_s} offered: p50 ${u.latency_ms.p50} ms, p95 ${u.latency_ms.p95} ms, p99 ${u.latency_ms.p99} ms\n`,
    );
    for (const path of result.charts ?? []) process.stderr.write(`bench: chart ${path}\n`);
  },
};
export default command;
