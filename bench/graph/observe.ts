// Purpose: CPU the in-process graph costs the live decision per transaction (issue 6) — signalsFor() before each decision plus observe() after each batch, as the processor calls them.
//
// Run: node --disable-warning=ExperimentalWarning bench/graph/observe.ts [--history 200000] [--tx 100000] [--batch 500] [--customers 20000] [--slices 10] [--write-only]
//
// Builds the embedded decision-side graph (MemoryGraph with the platform's transaction bound)
// from a seeded simulated history with fraud rings and labels, runs the ring analysis, then
// replays the next --tx simulated transactions in batches of --batch: signalsFor() for each
// transaction, then observe() for the batch. CPU time (process.cpuUsage, user+system) is
// summed per phase over --slices equal slices; the figures are the median slice, in µs per
// transaction, so a burst from a neighbour on a shared machine moves one slice, not the result.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { MemoryGraph } from '../../src/adapters/graph-memory/index.ts';
import { EMBEDDED_MAX_TRANSACTIONS } from '../../src/adapters/graph-neo4j/index.ts';
import { createSimulator } from '../../src/services/ingestor/simulator.ts';

const { values } = parseArgs({
  options: {
    history: { type: 'string', default: '200000' },
    tx: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '500' },
    customers: { type: 'string', default: '20000' },
    slices: { type: 'string', default: '10' },
    'write-only': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: node --disable-warning=ExperimentalWarning bench/graph/observe.ts [--history N] [--tx N] [--batch N] [--customers N] [--slices N] [--write-only]\n' +
      '--write-only: observe() alone, without signalsFor() first (the graph service and backfill write path).',
  );
  process.exit(0);
}
const nHistory = Number(values.history);
const nTx = Number(values.tx);
const batchSize = Number(values.batch);
const nSlices = Number(values.slices);
const sim = createSimulator({
  seed: 5,
  customers: Number(values.customers),
  count: nHistory + nTx,
  fraudRate: 0.02,
});
const graph = new MemoryGraph({ maxTransactions: EMBEDDED_MAX_TRANSACTIONS });
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const buildStart = cpuMs();
let batch = [];
const labels = [];
for (let i = 0; i < nHistory; i++) {
  const e = sim.next();
  batch.push({ transaction: e.transaction });
  if (e.label) labels.push(e.label);
  if (batch.length === batchSize) {
    await graph.observe(batch);
    batch = [];
  }
}
await graph.observe(batch);
await graph.addLabels(labels);
const analysis = await graph.analyze();
const buildMs = cpuMs() - buildStart;

// Pre-generated, so the simulator's own cost stays out of the measurement.
const probes = Array.from({ length: nTx }, () => ({ transaction: sim.next().transaction }));
const perSlice = Math.ceil(nTx / nSlices);
const signalsMs = new Float64Array(nSlices);
const observeMs = new Float64Array(nSlices);
const counted = new Float64Array(nSlices);
let sink = 0;
for (let i = 0; i < nTx; i += batchSize) {
  const slice = Math.min(nSlices - 1, Math.floor(i / perSlice));
  const b = probes.slice(i, i + batchSize);
  const t0 = cpuMs();
  if (!values['write-only'])
    for (const e of b) sink += graph.signalsFor(e.transaction)?.card_cluster_size ?? 0;
  const t1 = cpuMs();
  await graph.observe(b);
  const t2 = cpuMs();
  signalsMs[slice] = (signalsMs[slice] as number) + (t1 - t0);
  observeMs[slice] = (observeMs[slice] as number) + (t2 - t1);
  counted[slice] = (counted[slice] as number) + b.length;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const usPerTx = (ms: Float64Array) => Array.from(ms, (v, k) => (v * 1000) / ((counted[k] as number) || 1));
const sig = usPerTx(signalsMs);
const obs = usPerTx(observeMs);
const both = sig.map((v, k) => v + (obs[k] as number));
const r2 = (x: number) => +x.toFixed(2);
const s = await graph.stats();
console.log(
  JSON.stringify(
    {
      loadavg_1m: +(loadavg()[0] ?? 0).toFixed(2),
      history: nHistory,
      tx: nTx,
      batch: batchSize,
      write_only: values['write-only'],
      graph: s.nodes,
      rings: analysis.rings.length,
      build_cpu_s: +(buildMs / 1000).toFixed(1),
      cpu_us_per_tx: {
        signals: r2(median(sig)),
        observe: r2(median(obs)),
        total: r2(median(both)),
      },
      // Means over all slices (the first includes JIT warm-up): periodic costs such as a
      // major GC land in a few slices, which the median would hide.
      cpu_us_per_tx_mean: { signals: r2(mean(sig)), observe: r2(mean(obs)), total: r2(mean(both)) },
      signals_by_slice: sig.map(r2),
      observe_by_slice: obs.map(r2),
      sink,
    },
    null,
    1,
  ),
);
