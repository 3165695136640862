// Purpose: graph ingestion throughput into real Neo4j, in transactions/s with batching (issue 6).
//
// Run: NEO4J_URI=bolt://127.0.0.1:7687 node --disable-warning=ExperimentalWarning bench/graph/ingest.ts [--count 20000] [--batch 1000] [--warm 0] [--writers 1] [--in-flight 2] [--analyze]
//
// Simulates --warm + --count transactions (seeded; ids get a run prefix so the shared database
// only grows). The first --warm are written untimed, so the measured ones are new transactions
// of cards, devices and merchants that mostly exist already (steady state; --warm 0 = every
// entity new too). Then measures (1) the graph service end to end — enriched-transactions
// records on the in-process bus, parse + validate, UNWIND/MERGE batch, commit — for the
// --count new transactions, (2) a full replay of the same records by a new consumer group
// (idempotent: 0 created), and (3) with --analyze, the ring analysis over the whole database
// (edges streamed out of Neo4j). Each phase also reports the CPU this process (the graph
// service's client side) and Neo4j spent per 1,000 transactions (Linux /proc; Neo4j's pid is
// found by its command line, or NEO4J_PID when several run).
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { MemoryBus } from '../../src/adapters/bus-memory/index.ts';
import { Neo4jGraph } from '../../src/adapters/graph-neo4j/backend.ts';
import { TOPICS, type Transaction } from '../../src/core/contracts/index.ts';
import { GraphService } from '../../src/services/graph-service/index.ts';
import { createSimulator } from '../../src/services/ingestor/index.ts';
import { underRunPrefix } from '../../tests/support/run-prefix.ts';
import { cpuMs, pidsWith } from '../support/proc-cpu.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    customers: { type: 'string', default: '10000' },
    warm: { type: 'string', default: '0' },
    writers: { type: 'string', default: '1' },
    'in-flight': { type: 'string', default: '2' },
    analyze: { type: 'boolean', default: false },
  },
});
const uri = process.env['NEO4J_URI'];
if (!uri) throw new Error('NEO4J_URI is required (bin/fraud infra up neo4j)');
const count = Number(values.count);
const batchSize = Number(values.batch);
const p = `b${Date.now().toString(36)}_`;
const warm = Number(values.warm);
const loadBefore = +(loadavg()[0] ?? 0).toFixed(1);
const sim = createSimulator({
  seed: 3,
  customers: Number(values.customers),
  count: warm + count,
  fraudRate: 0.02,
});
const bus = new MemoryBus({ partitions: 6 });
const warmUp: Transaction[] = [];
const messages = [];
for (let i = 0; i < warm + count; i++) {
  const tx = underRunPrefix(sim.next().transaction, p);
  if (i < warm) {
    warmUp.push(tx);
    continue;
  }
  messages.push({
    key: tx.card_id,
    value: JSON.stringify({
      transaction: tx,
      features: {},
      feature_set_version: 'bench',
      enriched_at: tx.timestamp,
    }),
  });
}
await bus.publish(TOPICS.enriched, messages);
const graph = new Neo4jGraph({ uri, writers: Number(values.writers) });
await graph.migrate();
for (let i = 0; i < warmUp.length; i += batchSize) await graph.write(warmUp.slice(i, i + batchSize));

const neo4jPids = process.env['NEO4J_PID'] ? [Number(process.env['NEO4J_PID'])] : pidsWith('org.neo4j');
const neo4jPid = neo4jPids.length === 1 ? neo4jPids[0] : undefined;
if (neo4jPid === undefined)
  process.stderr.write(`Neo4j CPU not measured: ${neo4jPids.length} Neo4j processes (set NEO4J_PID)\n`);

async function drain(groupId: string) {
  const service = new GraphService({
    bus,
    backend: graph,
    groupId,
    batchSize,
    inFlight: Number(values['in-flight']),
  });
  const start = performance.now();
  const client0 = process.cpuUsage();
  const neo4j0 = cpuMs(neo4jPid);
  await service.start();
  let lastNote = start;
  while (service.stats.written < count || service.stats.pending > 0) {
    await new Promise((r) => setTimeout(r, 20));
    if (performance.now() - lastNote > 5000) {
      lastNote = performance.now();
      process.stderr.write(`ingest bench ${groupId}: ${service.stats.written}/${count}\n`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const client = process.cpuUsage(client0);
  const neo4jMs = neo4j0 === null ? null : (cpuMs(neo4jPid) ?? neo4j0) - neo4j0;
  await service.stop();
  const per1000 = (ms: number) => +((ms * 1000) / count).toFixed(1);
  return {
    seconds: +seconds.toFixed(2),
    tx_per_s: Math.round(count / seconds),
    cpu_ms_per_1000: {
      client: per1000((client.user + client.system) / 1000),
      neo4j: neo4jMs === null ? null : per1000(neo4jMs),
    },
    created: service.stats.created,
    retries: service.stats.retries,
  };
}

const first = await drain('bench-first');
const replay = await drain('bench-replay');
let analysis = null;
if (values.analyze) {
  const r = await graph.analyze();
  analysis = { rings: r.rings.length, cards: r.cards, components: r.components, took_ms: r.tookMs };
}
const stats = await graph.stats();
await graph.close();
await bus.close();
console.log(
  JSON.stringify(
    {
      loadavg_1m: { before: loadBefore, after: +(loadavg()[0] ?? 0).toFixed(1) },
      count,
      warm,
      batch: batchSize,
      writers: Number(values.writers),
      in_flight: Number(values['in-flight']),
      first,
      replay,
      analysis,
      database: stats.nodes,
    },
    null,
    1,
  ),
);
