// Purpose: extra latency graph signals add to a decision (issue 6: p99 ≤ 1 ms) — signalsFor() on the in-process cache.
//
// Run: node --disable-warning=ExperimentalWarning bench/graph/signals.ts [--history 200000] [--tx 50000] [--customers 20000]
//
// Builds the cache from a seeded simulated history (the simulator's default scenario mix,
// including fraud rings), applies its fraud labels and runs the ring analysis, then times
// signalsFor() for the next --tx simulated transactions one by one, exactly as the decision
// engine calls it (before observe()). Reports p50/p99/p99.9/max per call, and observe()
// cost per transaction in batches of 500 (the processor's post-decision update).
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { IdentityGraph, toGraphRow } from '../../src/core/graph/index.ts';
import { createSimulator } from '../../src/services/ingestor/simulator.ts';

const { values } = parseArgs({
  options: {
    history: { type: 'string', default: '200000' },
    tx: { type: 'string', default: '50000' },
    customers: { type: 'string', default: '20000' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: node --disable-warning=ExperimentalWarning bench/graph/signals.ts [--history N] [--tx N] [--customers N]\n' +
      'Per-call signalsFor() latency (p50/p99/p99.9/max) on the in-process cache, then write() cost per transaction.\n' +
      'CPU per transaction of signalsFor() + observe() as the processor calls them: bench/graph/observe.ts.',
  );
  process.exit(0);
}
const nHistory = Number(values.history);
const nTx = Number(values.tx);
const sim = createSimulator({
  seed: 5,
  customers: Number(values.customers),
  count: nHistory + nTx,
  fraudRate: 0.02,
});
const graph = new IdentityGraph({ maxTransactions: 1_000_000 });
const t0 = performance.now();
let batch = [];
const labels = [];
for (let i = 0; i < nHistory; i++) {
  const e = sim.next();
  batch.push(toGraphRow(e.transaction));
  if (e.label) labels.push(e.label);
  if (batch.length === 500) {
    graph.write(batch);
    batch = [];
  }
}
graph.write(batch);
graph.applyLabels(labels);
const analysis = graph.analyze();
const built = performance.now() - t0;

const probes = Array.from({ length: nTx }, () => sim.next().transaction);
const times = new Float64Array(nTx);
let sink = 0;
for (let i = 0; i < nTx; i++) {
  const p = probes[i]!;
  const s = performance.now();
  const sig = graph.signalsFor(p);
  times[i] = performance.now() - s;
  sink += sig.device_cards_total;
}
const observeStart = performance.now();
for (let i = 0; i < nTx; i += 500) graph.write(probes.slice(i, i + 500).map(toGraphRow));
const observeUs = ((performance.now() - observeStart) * 1000) / nTx;

times.sort();
const q = (x: number) => times[Math.min(nTx - 1, Math.floor(x * nTx))]! * 1000;
const s = graph.stats();
console.log(
  JSON.stringify(
    {
      loadavg_1m: +(loadavg()[0] ?? 0).toFixed(1),
      history: nHistory,
      probes: nTx,
      graph: s.nodes,
      rings: analysis.rings.length,
      build_s: +(built / 1000).toFixed(1),
      signals_us: {
        p50: +q(0.5).toFixed(2),
        p99: +q(0.99).toFixed(2),
        p999: +q(0.999).toFixed(2),
        max: +(times[nTx - 1]! * 1000).toFixed(1),
      },
      observe_us_per_tx: +observeUs.toFixed(2),
      sink,
    },
    null,
    1,
  ),
);
