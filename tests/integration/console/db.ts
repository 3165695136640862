import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Alert, EnrichedTransaction, Score } from '../../../src/core/contracts/index.ts';

/** DATABASE_URL is required: these tests claim to test PostgreSQL, so they never skip. */
export function databaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url) {
    throw new Error(
      'DATABASE_URL is not set: the console integration tests need a real PostgreSQL ' +
        '(e.g. eval "$(bin/fraud infra up postgres)", which exports DATABASE_URL=postgres://fraud@127.0.0.1:5432/fraud)',
    );
  }
  return url;
}

/** A fresh, uniquely named database on the server of DATABASE_URL; `drop()` removes it. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(databaseUrl());
  const name = `fraud_console_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

let seq = 0;
/** A contract-valid transaction, score and alert for one card. */
export function fraudEvent(
  opts: {
    card?: string;
    customer?: string;
    score?: number;
    decision?: 'review' | 'block';
    amount?: number;
  } = {},
) {
  seq += 1;
  const id = `tx_it_${Date.now().toString(36)}_${seq}`;
  const transaction = {
    transaction_id: id,
    timestamp: new Date().toISOString(),
    amount: opts.amount ?? 1250.5,
    currency: 'BRL',
    card_id: opts.card ?? 'card_1234',
    merchant_id: 'm_987',
    merchant_category: 'retail',
    customer_id: opts.customer ?? 'cust_555',
    merchant_country: 'BR',
    card_present: false,
    device_id: 'dev_111',
    ip_address: '200.160.0.1',
    status: 'pending',
  };
  const decision = opts.decision ?? 'block';
  const score: Score = {
    transaction_id: id,
    score: opts.score ?? 0.93,
    model_version: 'v1.2.0',
    decision,
    reason: 'high_risk_graph_pattern',
    reasons: ['high_risk_graph_pattern', 'velocity_1h'],
    rule_hits: [
      {
        rule_id: 'velocity_1h',
        action: 'review',
        reason: 'velocity_1h',
        values: { tx_count_1h: 9, threshold: 5 },
      },
    ],
    decided_at: new Date().toISOString(),
    latency_ms: 4.2,
    model_score: 0.91,
    rule_set_version: 'rules-7',
    feature_set_version: 'fs-1',
    explanations: [{ feature: 'tx_count_1h', value: 9, contribution: 0.31 }],
  };
  const enriched: EnrichedTransaction = {
    transaction: transaction as EnrichedTransaction['transaction'],
    features: { tx_count_1h: 9, amount_zscore: 3.1, device_age_days: null },
    feature_set_version: 'fs-1',
    enriched_at: new Date().toISOString(),
  };
  const alert: Alert = {
    alert_id: `al_${id}`,
    transaction_id: id,
    card_id: transaction.card_id,
    customer_id: transaction.customer_id,
    decision,
    score: score.score,
    reason: score.reason,
    reasons: score.reasons,
    created_at: new Date().toISOString(),
    transaction: transaction as Alert['transaction'],
  };
  return { transaction, enriched, score, alert };
}
