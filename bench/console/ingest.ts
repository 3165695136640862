// Purpose: throughput of the console store's stream ingestion (one transaction per batch of
// enriched + score + alert records, idempotent inserts), and the cost of a redelivered batch.
// Run: DATABASE_URL=postgres://… node bench/console/ingest.ts [--batches 20] [--batch 500]
//      (without DATABASE_URL: the embedded PostgreSQL in a temporary directory)
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PgStore } from '../../src/adapters/store-postgres/index.ts';
import type { Alert, EnrichedTransaction, Score } from '../../src/core/contracts/index.ts';

const { values } = parseArgs({ options: { batches: { type: 'string' }, batch: { type: 'string' } } });
const batches = Number(values.batches ?? 20);
const size = Number(values.batch ?? 500);

let dataDir = '/nonexistent';
let url: string | null = null;
let dropDb: (() => Promise<void>) | null = null;
const base = process.env['DATABASE_URL'];
if (base) {
  const name = `fraud_bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  url = u.toString();
  dropDb = async () => {
    const d = new pg.Client({ connectionString: base });
    await d.connect();
    await d.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await d.end();
  };
} else {
  dataDir = await mkdtemp(join(tmpdir(), 'fraud-bench-'));
  await chmod(dataDir, 0o755);
}
const store = await PgStore.open({ databaseUrl: url, dataDir });

function batch(b: number) {
  const transactions: EnrichedTransaction[] = [];
  const decisions: Score[] = [];
  const alerts: Alert[] = [];
  for (let i = 0; i < size; i++) {
    const id = `tx_b${b}_${i}`;
    const card = `card_${(b * size + i) % 5000}`;
    const tx = {
      transaction_id: id,
      timestamp: new Date().toISOString(),
      amount: 10 + (i % 900),
      currency: 'BRL',
      card_id: card,
      merchant_id: `m_${i % 300}`,
      merchant_category: 'retail',
      customer_id: `cust_${(b * size + i) % 4000}`,
      merchant_country: 'BR',
      card_present: false,
      device_id: `dev_${i % 2000}`,
      ip_address: '200.160.0.1',
      status: 'pending',
    } as EnrichedTransaction['transaction'];
    const alert = i % 50 === 0;
    transactions.push({
      transaction: tx,
      features: { tx_count_1h: i % 9, amount_zscore: 0.3 },
      feature_set_version: 'fs-1',
      enriched_at: tx.timestamp,
    });
    decisions.push({
      transaction_id: id,
      score: alert ? 0.93 : 0.05,
      model_version: 'v1',
      decision: alert ? 'block' : 'approve',
      reason: alert ? 'velocity' : 'low_risk',
      reasons: [alert ? 'velocity' : 'low_risk'],
      rule_hits: alert
        ? [{ rule_id: 'velocity', action: 'block', reason: 'velocity', values: { n: 9 } }]
        : [],
      decided_at: tx.timestamp,
      latency_ms: 3,
      explanations: [{ feature: 'tx_count_1h', value: i % 9, contribution: 0.1 }],
    });
    if (alert) {
      alerts.push({
        alert_id: `al_${id}`,
        transaction_id: id,
        card_id: card,
        customer_id: tx.customer_id,
        decision: 'block',
        score: 0.93,
        reason: 'velocity',
        reasons: ['velocity'],
        created_at: tx.timestamp,
        transaction: tx,
      });
    }
  }
  return { transactions, decisions, alerts };
}

const rates: number[] = [];
const redelivery: number[] = [];
for (let b = 0; b < batches; b++) {
  const data = batch(b);
  const records = data.transactions.length + data.decisions.length + data.alerts.length;
  let t = performance.now();
  await store.ingest(data);
  rates.push(records / ((performance.now() - t) / 1000));
  t = performance.now();
  await store.ingest(data); // at-least-once redelivery: must change nothing
  redelivery.push(performance.now() - t);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { rows } = await store.pool.query(
  'SELECT (SELECT count(*) FROM decisions)::int AS d, (SELECT count(*) FROM cases)::int AS c',
);
process.stdout.write(
  `${store.embedded ? 'embedded PostgreSQL 18' : 'DATABASE_URL'}: ${batches} batches of ${size} transactions ` +
    `(enriched + score, 2% alerts): median ${Math.round(median(rates))} records/s per batch transaction; ` +
    `redelivered batch median ${median(redelivery).toFixed(1)} ms; stored ${rows[0].d} decisions, ${rows[0].c} cases\n`,
);
await store.close();
await dropDb?.();
if (!url) await rm(dataDir, { recursive: true, force: true });
