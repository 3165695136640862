// Purpose: ring detection time (connected components + community scores) on 1 million transactions (issue 6).
//
// Run: node --max-old-space-size=4096 --disable-warning=ExperimentalWarning bench/graph/rings.ts [--count 1000000] [--customers 100000] [--neo4j]
//
// Simulates --count transactions (seeded, default scenario mix with fraud rings), loads them
// into the in-process graph, then times analyze(): identity nodes and edges out of the graph,
// hub removal, union-find, ring statistics and scores; and checks the rings against the
// simulator's ground truth (cards it used in its fraud-ring scenario).
// With --neo4j (NEO4J_URI; use an EMPTY database, the analysis covers all of it) the
// transactions are written into Neo4j through the graph write path instead (load time =
// ingestion at scale), and analyze() streams the identity nodes and edges out of Neo4j, runs
// the same union-find and writes cluster_size/ring_id/ring_score back onto every Card.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Neo4jGraph } from '../../src/adapters/graph-neo4j/backend.ts';
import type { Transaction } from '../../src/core/contracts/index.ts';
import { IdentityGraph, toGraphRow } from '../../src/core/graph/index.ts';
import { createSimulator } from '../../src/services/ingestor/index.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    customers: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    neo4j: { type: 'boolean', default: false },
    writers: { type: 'string', default: '1' },
  },
});
let neo: Neo4jGraph | null = null;
if (values.neo4j) {
  const uri = process.env['NEO4J_URI'];
  if (!uri) throw new Error('--neo4j needs NEO4J_URI (an empty database: the analysis covers all of it)');
  const { Neo4jGraph } = await import('../../src/adapters/graph-neo4j/backend.ts');
  neo = new Neo4jGraph({ uri, writers: Number(values.writers), queryTimeoutMs: 600_000 });
  await neo.migrate();
}
const loadAvgBefore = +(loadavg()[0] ?? 0).toFixed(1);
const count = Number(values.count);
const sim = createSimulator({ seed: 9, customers: Number(values.customers), count, fraudRate: 0.01 });
const graph = new IdentityGraph({ maxTransactions: 0 });
const t0 = performance.now();
let batch: Transaction[] = [];
// Ground truth: cards the simulator used in its fraud-ring scenario.
const ringCards = new Set<string>();
const flush = async () => {
  if (neo) await neo.write(batch);
  else graph.write(batch.map(toGraphRow));
  batch = [];
};
for (let i = 0; i < count; i++) {
  const e = sim.next();
  if (e.scenario === 'fraud_ring') ringCards.add(e.transaction.card_id);
  batch.push(e.transaction);
  if (batch.length === 1000) await flush();
  if (i > 0 && i % (neo ? 50_000 : 250_000) === 0)
    process.stderr.write(
      `rings bench: ${i} transactions simulated and loaded (${Math.round(i / ((performance.now() - t0) / 1000))} tx/s)\n`,
    );
}
await flush();
const loadS = (performance.now() - t0) / 1000;
const runs: number[] = [];
const analyze = async () => (neo ? neo.analyze() : graph.analyze());
let last = await analyze();
for (let r = 0; r < Number(values.runs); r++) {
  const s = performance.now();
  last = await analyze();
  runs.push(performance.now() - s);
  process.stderr.write(`rings bench: analyze run ${r + 1}: ${Math.round(runs[runs.length - 1]!)} ms\n`);
}
runs.sort((a, b) => a - b);
// How well rings (score >= 0.5, the listing's top) recover the simulator's ring cards.
const flagged = new Set<string>();
for (const r of last.rings)
  if (r.score >= 0.5) for (const m of r.members) if (m.startsWith('Card:')) flagged.add(m.slice(5));
let hit = 0;
for (const c of flagged) if (ringCards.has(c)) hit++;
const stats = neo ? await neo.stats() : graph.stats();
await neo?.close();
console.log(
  JSON.stringify(
    {
      backend: neo ? 'neo4j' : 'memory',
      loadavg_1m: { before: loadAvgBefore, after: +(loadavg()[0] ?? 0).toFixed(1) },
      transactions: count,
      identity_nodes:
        stats.nodes['Card']! + stats.nodes['Device']! + stats.nodes['Customer']! + stats.nodes['IP']!,
      identity_edges:
        stats.relationships['OWNS']! + stats.relationships['USED_ON']! + stats.relationships['SEEN_FROM']!,
      components: last.components,
      rings: last.rings.length,
      top_ring: last.rings[0]
        ? { size: last.rings[0].size, cards: last.rings[0].cards, score: last.rings[0].score }
        : null,
      hubs: last.hubs.length,
      ground_truth: {
        simulator_ring_cards: ringCards.size,
        cards_in_rings_score_ge_0_5: flagged.size,
        precision: flagged.size ? +(hit / flagged.size).toFixed(3) : null,
        recall: ringCards.size ? +(hit / ringCards.size).toFixed(3) : null,
      },
      load_s: +loadS.toFixed(1),
      load_tx_per_s: Math.round(count / loadS),
      analyze_ms: {
        median: Math.round(runs[Math.floor(runs.length / 2)]!),
        min: Math.round(runs[0]!),
        runs: runs.length,
      },
    },
    null,
    1,
  ),
);
