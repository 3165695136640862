// Purpose: where a graph write batch spends its time inside Neo4j (issue 6): each statement of
// WRITE_STEPS run one after the other in one transaction, then the commit, timed per batch.
//
// Run: NEO4J_URI=bolt://127.0.0.1:7687 node --disable-warning=ExperimentalWarning bench/graph/write-steps.ts [--count 20000] [--batch 1000] [--warm 20000] [--customers 10000] [--skip-transactions]
//
// Writes --warm simulated transactions untimed (so most entities exist, the steady state), then
// --count new ones in batches of --batch. Unlike the graph service, the statements are not
// pipelined, so each one's time is its own. --skip-transactions leaves out the Transaction
// MERGE (what the write would cost without per-transaction nodes; not idempotent).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import neo4j from 'neo4j-driver';
import {
  Neo4jGraph,
  relationSteps,
  transactionRows,
  WRITE_STEPS,
} from '../../src/adapters/graph-neo4j/backend.ts';
import { toGraphRow } from '../../src/core/graph/model.ts';
import { createSimulator } from '../../src/services/ingestor/index.ts';
import { underRunPrefix } from '../../tests/support/run-prefix.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    warm: { type: 'string', default: '20000' },
    customers: { type: 'string', default: '10000' },
    'skip-transactions': { type: 'boolean', default: false },
  },
});
const uri = process.env['NEO4J_URI'];
if (!uri) throw new Error('NEO4J_URI is required (bin/fraud infra up neo4j)');
const [count, batch, warm] = [Number(values.count), Number(values.batch), Number(values.warm)];
// A run prefix keeps every run's entities and transactions new in a shared database.
const p = `w${Date.now().toString(36)}_`;
const sim = createSimulator({
  seed: 3,
  customers: Number(values.customers),
  count: warm + count,
  fraudRate: 0.02,
});
const txs = Array.from({ length: warm + count }, () => underRunPrefix(sim.next().transaction, p));
const auth =
  process.env['NEO4J_USER'] && process.env['NEO4J_PASSWORD']
    ? neo4j.auth.basic(process.env['NEO4J_USER'], process.env['NEO4J_PASSWORD'])
    : undefined;
const graph = new Neo4jGraph({
  uri,
  ...(auth ? { user: process.env['NEO4J_USER'], password: process.env['NEO4J_PASSWORD'] } : {}),
});
await graph.migrate();
for (let i = 0; i < warm; i += batch) {
  await graph.write(txs.slice(i, i + batch));
  process.stderr.write(`\rwarm-up ${Math.min(i + batch, warm)}/${warm}`);
}
process.stderr.write('\n');
const driver = neo4j.driver(uri, auth);
const ms: Record<string, number> = {};
const add = (k: string, v: number) => {
  ms[k] = (ms[k] ?? 0) + v;
};
const started = performance.now();
for (let i = warm; i < warm + count; i += batch) {
  const rows = txs.slice(i, i + batch).map(toGraphRow);
  const session = driver.session();
  const tx = session.beginTransaction();
  let t = performance.now();
  if (!values['skip-transactions']) {
    await tx.run(WRITE_STEPS.transactions, { rows: transactionRows(rows) });
    add('transactions', performance.now() - t);
  }
  const fresh = new Set(rows.map((r) => r.transaction_id));
  const steps = relationSteps(rows, fresh, new Set());
  for (const [name, cypher, params] of steps) {
    t = performance.now();
    await tx.run(cypher, { rows: params });
    add(name, performance.now() - t);
  }
  t = performance.now();
  await tx.commit();
  add('commit', performance.now() - t);
  await session.close();
  process.stderr.write(`\rmeasured ${i + batch - warm}/${count}`);
}
process.stderr.write('\n');
const seconds = (performance.now() - started) / 1000;
const batches = count / batch;
console.log(
  JSON.stringify(
    {
      count,
      batch,
      warm,
      skip_transactions: values['skip-transactions'],
      tx_per_s: Math.round(count / seconds),
      ms_per_batch: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, +(v / batches).toFixed(1)])),
    },
    null,
    1,
  ),
);
await driver.close();
await graph.close();
