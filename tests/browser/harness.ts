/**
 * Starts the console stack in-process for the browser test and for trying the console by hand:
 * PostgreSQL (a fresh database on DATABASE_URL, else an embedded cluster in a temporary
 * directory), the in-process bus, the store ingestion consumer and the console server; plus a
 * publisher that puts simulated decisions and alerts on the bus exactly as the processor does.
 *
 *   node tests/browser/harness.ts [--port 8090] [--seed 900] [--rate 1]
 *
 * runs it until Ctrl-C, prints the console address and the demo credentials, seeds `--seed`
 * decisions over the last 30 minutes and then publishes `--rate` decisions per second.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { MemoryBus } from '../../src/adapters/bus-memory/index.ts';
import { PgStore } from '../../src/adapters/store-postgres/index.ts';
import type { Alert, EnrichedTransaction, Score } from '../../src/core/contracts/index.ts';
import { TOPICS } from '../../src/core/contracts/index.ts';
import {
  createConsoleAuth,
  type DemoAccess,
  demoBanner,
  ensureDemoAccess,
  StoreIngestion,
} from '../../src/services/console/index.ts';
import { buildConsoleServer } from '../../src/services/console/server.ts';
// A deterministic generator so screenshots and runs are reproducible.
import { mulberry32 } from '../support/prng.ts';

export interface Harness {
  readonly url: string;
  readonly store: PgStore;
  readonly bus: MemoryBus;
  readonly access: DemoAccess;
  publish(d: SimulatedDecision): Promise<{ transaction_id: string; alert_id: string | null }>;
  seed(count: number, minutes: number): Promise<void>;
  close(): Promise<void>;
}

export interface SimulatedDecision {
  card?: string;
  customer?: string;
  decision?: 'approve' | 'review' | 'block';
  score?: number;
  amount?: number;
  merchant?: string;
  country?: string;
  device?: string;
  ip?: string;
  /** Decision time in the past, ms (fills the dashboard series). Default 0. */
  agoMs?: number;
  reason?: string;
}

let counter = 0;

function build(d: SimulatedDecision) {
  counter += 1;
  const id = `tx_${Date.now().toString(36)}_${counter}`;
  const at = new Date(Date.now() - (d.agoMs ?? 0));
  const decision = d.decision ?? 'block';
  const score = d.score ?? (decision === 'block' ? 0.96 : decision === 'review' ? 0.71 : 0.04);
  const card = d.card ?? `card_${String(100000 + counter).slice(-6)}4242`;
  const tx = {
    transaction_id: id,
    timestamp: at.toISOString(),
    amount: d.amount ?? 1250.5,
    currency: 'BRL',
    card_id: card,
    merchant_id: d.merchant ?? 'm_987',
    merchant_category: 'electronics',
    customer_id: d.customer ?? `cust_${card.slice(5, 11)}`,
    merchant_country: d.country ?? 'BR',
    card_present: false,
    device_id: d.device ?? `dev_${card.slice(5, 9)}`,
    ip_address: d.ip ?? '200.160.7.21',
    status: 'pending',
  } as Alert['transaction'];
  const features = {
    tx_count_1h: decision === 'approve' ? 1 : 9,
    amount_sum_24h: decision === 'approve' ? 180.2 : 8420.75,
    amount_zscore_card_30d: decision === 'approve' ? 0.2 : 4.7,
    distinct_devices_card_24h: decision === 'approve' ? 1 : 3,
    cards_per_device_7d: decision === 'approve' ? 1 : 5,
    merchant_fraud_rate_30d: 0.012,
    seconds_since_last_tx: decision === 'approve' ? 86400 : 42,
    device_age_days: decision === 'approve' ? 210 : null,
  };
  const reason = d.reason ?? (decision === 'approve' ? 'low_risk' : 'card_testing_velocity');
  const ruleHits: Score['rule_hits'] =
    decision === 'approve'
      ? []
      : [
          {
            rule_id: 'velocity_card_1h',
            action: 'review',
            reason: 'card_testing_velocity',
            values: { tx_count_1h: 9, threshold: 5 },
          },
          {
            rule_id: 'shared_device_many_cards',
            action: decision,
            reason: 'high_risk_graph_pattern',
            values: { cards_per_device_7d: 5, device_id: tx.device_id, threshold: 3 },
          },
        ];
  const enriched: EnrichedTransaction = {
    transaction: tx,
    features,
    feature_set_version: 'fs-2025.01',
    enriched_at: at.toISOString(),
  };
  const s: Score = {
    transaction_id: id,
    score,
    model_version: 'xgb-v1.2.0',
    decision,
    reason,
    reasons: decision === 'approve' ? [reason] : [reason, 'high_risk_graph_pattern'],
    rule_hits: ruleHits,
    decided_at: at.toISOString(),
    latency_ms: 2 + (counter % 17) * 0.37,
    model_score: score,
    rule_set_version: 'rules-2025.01.3',
    feature_set_version: 'fs-2025.01',
    explanations:
      decision === 'approve'
        ? [{ feature: 'tx_count_1h', value: 1, contribution: -0.41 }]
        : [
            { feature: 'cards_per_device_7d', value: 5, contribution: 1.12 },
            { feature: 'tx_count_1h', value: 9, contribution: 0.83 },
            { feature: 'amount_zscore_card_30d', value: 4.7, contribution: 0.52 },
            { feature: 'seconds_since_last_tx', value: 42, contribution: 0.31 },
            { feature: 'merchant_fraud_rate_30d', value: 0.012, contribution: -0.08 },
          ],
  };
  const alert: Alert | null =
    decision === 'approve'
      ? null
      : {
          alert_id: `al_${id}`,
          transaction_id: id,
          card_id: card,
          customer_id: tx.customer_id,
          decision,
          score,
          reason,
          reasons: s.reasons,
          created_at: at.toISOString(),
          transaction: tx,
        };
  return { enriched, score: s, alert };
}

export async function startHarness(options: { port?: number; host?: string } = {}): Promise<Harness> {
  const cleanups: (() => Promise<void>)[] = [];
  let databaseUrl: string | null = null;
  let dataDir = '/nonexistent';
  const base = process.env['DATABASE_URL'];
  if (base) {
    const name = `fraud_browser_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'fraud-console-'));
    // The embedded server runs as the `postgres` user when we are root: it must reach the dir.
    await chmod(dataDir, 0o755);
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  }
  const store = await PgStore.open({ databaseUrl, dataDir });
  const bus = new MemoryBus({ partitions: 3 });
  const auth = createConsoleAuth(store);
  const ingestion = new StoreIngestion({ store, bus, labelFlushMs: 2_000 });
  await ingestion.start();
  const access = await ensureDemoAccess(store, auth);
  const app = await buildConsoleServer({ store, auth, bus, ingestion });
  const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });

  const publish = async (d: SimulatedDecision) => {
    const e = build(d);
    const key = e.enriched.transaction.card_id;
    await bus.publish(TOPICS.enriched, [{ key, value: JSON.stringify(e.enriched) }]);
    await bus.publish(TOPICS.scores, [{ key, value: JSON.stringify(e.score) }]);
    if (e.alert) await bus.publish(TOPICS.alerts, [{ key, value: JSON.stringify(e.alert) }]);
    return { transaction_id: e.score.transaction_id, alert_id: e.alert?.alert_id ?? null };
  };

  const seed = async (count: number, minutes: number) => {
    const rnd = mulberry32(42);
    const merchants = ['m_987', 'm_112', 'm_530', 'm_771', 'm_204'];
    const countries = ['BR', 'BR', 'BR', 'AR', 'US', 'PT'];
    for (let i = 0; i < count; i++) {
      const r = rnd();
      const decision = r < 0.9 ? 'approve' : r < 0.975 ? 'review' : 'block';
      const score =
        decision === 'approve'
          ? rnd() * 0.35
          : decision === 'review'
            ? 0.5 + rnd() * 0.3
            : 0.85 + rnd() * 0.15;
      await publish({
        decision,
        score: Math.min(score, 1),
        agoMs: Math.floor(rnd() * minutes * 60_000),
        amount: Math.round(rnd() * 300000) / 100,
        merchant: merchants[Math.floor(rnd() * merchants.length)]!,
        country: countries[Math.floor(rnd() * countries.length)]!,
        card: `card_${String(Math.floor(rnd() * 40)).padStart(4, '0')}${String(1000 + i).slice(-4)}`,
      });
    }
  };

  return {
    url,
    store,
    bus,
    access,
    publish,
    seed,
    async close() {
      try {
        await app.close();
        await ingestion.stop();
        await store.close();
        await bus.close();
      } finally {
        // The temporary database or data directory goes even if a step above failed.
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      }
    },
  };
}

/** Waits until the store has ingested `count` decisions (the consumer is asynchronous). */
export async function settled(h: Harness, count: number, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const { rows } = await h.store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM decisions');
    if (rows[0]!.n >= count) return;
    if (Date.now() > end) throw new Error(`only ${rows[0]!.n} of ${count} decisions stored after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      host: { type: 'string' },
    },
  });
  const h = await startHarness({ port: Number(values.port ?? 8090), host: values.host ?? '127.0.0.1' });
  process.stderr.write(demoBanner(h.url, h.access));
  await h.seed(Number(values.seed ?? 900), 30);
  const rate = Number(values.rate ?? 1);
  const rnd = mulberry32(7);
  const timer =
    rate > 0
      ? setInterval(() => {
          const r = rnd();
          void h.publish({
            decision: r < 0.9 ? 'approve' : r < 0.97 ? 'review' : 'block',
            score: r < 0.9 ? r * 0.3 : 0.6 + rnd() * 0.4,
          });
        }, 1000 / rate)
      : null;
  const stop = async () => {
    if (timer) clearInterval(timer);
    await h.close().catch((err: Error) => process.stderr.write(`close: ${err.message}\n`));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
