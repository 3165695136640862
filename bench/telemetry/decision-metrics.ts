// Purpose: CPU cost of the Prometheus bookkeeping per decision (PlatformMetrics.observeDecisions),
// which the processor and the API run for every decided batch.
//
// Run: node --disable-warning=ExperimentalWarning bench/telemetry/decision-metrics.ts [--count 100000] [--batch 256] [--runs 7]
//
// Decides the simulator's stream once through the embedded platform (default rule set and
// model), keeps the real DecisionResults, then times observeDecisions over them batch by batch
// on a fresh registry per run. Reports the median over runs of CPU µs per decision.
import type { DecisionResult } from '../../src/services/decision-engine/index.ts';
import { PlatformMetrics } from '../../src/services/telemetry/metrics.ts';
import { flag, machine, median, simulate } from '../features/common.ts';
import { embeddedPlatform } from '../support/embedded-platform.ts';

const count = flag('count', 100_000);
const batchSize = flag('batch', 256);
const runs = flag('runs', 7);

const platform = await embeddedPlatform();
const { transactions } = simulate(count);
const batches: DecisionResult[][] = [];
for (let i = 0; i < transactions.length; i += batchSize) {
  batches.push(await platform.engine.decide(transactions.slice(i, i + batchSize)));
  if (batches.length % 100 === 0) process.stderr.write(`\rdecided ${i + batchSize}/${count}`);
}
process.stderr.write('\n');
await platform.close();
const ruleHits = batches.flat().reduce((n, r) => n + r.score.rule_hits.length, 0);

const cpu: number[] = [];
for (let r = 0; r < runs; r++) {
  const metrics = new PlatformMetrics({ defaultMetrics: false });
  const c0 = process.cpuUsage();
  for (const b of batches) metrics.observeDecisions(b, 'stream');
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / count);
  process.stderr.write(`run ${r + 1}/${runs}: ${cpu.at(-1)!.toFixed(3)} µs/decision\n`);
}
console.log(
  JSON.stringify({
    bench: 'telemetry/decision-metrics',
    machine: machine(),
    decisions: count,
    batch: batchSize,
    rule_hits_per_decision: Number((ruleHits / count).toFixed(3)),
    runs,
    median_cpu_us_per_decision: Number(median(cpu).toFixed(3)),
    cpu_us_per_decision: cpu.map((x) => Number(x.toFixed(3))),
  }),
);
