import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFY_CHANNEL, PgStore } from '../../../src/adapters/store-postgres/index.ts';
import { validators } from '../../../src/core/contracts/index.ts';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '../../../src/core/features/index.ts';
import { fraudEvent, freshDatabase } from './db.ts';

const analyst = { name: 'ana', role: 'analyst' as const };
let store: PgStore;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await freshDatabase();
  drop = db.drop;
  store = await PgStore.open({ databaseUrl: db.url, dataDir: '/nonexistent' });
});
afterAll(async () => {
  await store?.close();
  await drop?.();
});

describe('PostgreSQL console store (DATABASE_URL)', () => {
  it('runs the versioned migrations once and records them', async () => {
    const { rows } = await store.pool.query('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows[0]).toMatchObject({ version: 1, name: 'console_store' });
    const again = await (await import('../../../src/adapters/store-postgres/index.ts')).migrate(store.pool);
    expect(again).toEqual([]);
  });

  it('ingests idempotently per transaction_id and opens one case per card', async () => {
    const a = fraudEvent({ card: 'card_idem', customer: 'cust_idem' });
    const b = fraudEvent({ card: 'card_idem', customer: 'cust_idem', decision: 'review', score: 0.6 });
    const batch = {
      transactions: [a.enriched, b.enriched],
      decisions: [a.score, b.score],
      alerts: [a.alert, b.alert],
    };
    const first = await store.ingest(batch);
    expect(first.decisions).toBe(2);
    expect(first.alerts).toHaveLength(2);
    expect(first.alerts[0]!.case_opened).toBe(true);
    expect(first.alerts[1]!.case_opened).toBe(false);
    expect(first.alerts[1]!.case_id).toBe(first.alerts[0]!.case_id);
    // At-least-once redelivery of the same batch changes nothing and announces nothing.
    const again = await store.ingest(batch);
    expect(again).toMatchObject({ decisions: 0, labels: 0, alerts: [] });
    const c = await store.getCaseRow(first.alerts[0]!.case_id);
    expect(c).toMatchObject({ status: 'open', alert_count: 2, priority: 1, queue: 'blocked' });
  });

  it("stores an enriched record's features by name, whichever form they came in", async () => {
    const values = Array.from({ length: FEATURE_NAMES.length }, (_, i) => (i % 5 === 0 ? null : i / 2));
    const vector = fraudEvent({ card: 'card_vector', customer: 'cust_vector' }).enriched;
    const unknown = fraudEvent({ card: 'card_unknown', customer: 'cust_unknown' }).enriched;
    await store.ingest({
      transactions: [
        { ...vector, features: values, feature_set_version: FEATURE_SET_VERSION },
        { ...unknown, features: [1, 2, 3], feature_set_version: 'fs-0-other' },
      ],
    });
    const features = async (id: string) =>
      (await store.pool.query('SELECT features FROM transactions WHERE transaction_id = $1', [id])).rows[0]
        ?.features;
    expect(await features(vector.transaction.transaction_id)).toEqual(
      Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, values[i]])),
    );
    // A vector this build cannot name is kept as recorded.
    expect(await features(unknown.transaction.transaction_id)).toEqual([1, 2, 3]);
  });

  it('attaches an alert to the open case of the same customer on another card', async () => {
    const a = fraudEvent({ card: 'card_c1', customer: 'cust_shared' });
    const b = fraudEvent({ card: 'card_c2', customer: 'cust_shared' });
    const r = await store.ingest({ alerts: [a.alert] });
    const r2 = await store.ingest({ alerts: [b.alert] });
    expect(r2.alerts[0]!.case_id).toBe(r.alerts[0]!.case_id);
  });

  it('closing with confirmed fraud writes labels, audits, and publishes each label once', async () => {
    const e = fraudEvent({ card: 'card_verdict', customer: 'cust_verdict' });
    const { alerts } = await store.ingest({
      transactions: [e.enriched],
      decisions: [e.score],
      alerts: [e.alert],
    });
    const caseId = alerts[0]!.case_id;
    const { labels } = await store.decideCase(caseId, 'confirmed_fraud', analyst, 'card holder confirmed');
    expect(labels).toEqual([
      expect.objectContaining({
        transaction_id: e.score.transaction_id,
        is_fraud: true,
        source: 'analyst',
        labeled_by: 'ana',
      }),
    ]);
    expect(validators.label(labels[0])).toBe(true);
    await expect(store.decideCase(caseId, 'legitimate', analyst)).rejects.toMatchObject({
      code: 'FRAUD_CONFLICT',
    });
    const audit = await store.queryAudit({ target_type: 'case', target_id: String(caseId) });
    expect(audit[0]).toMatchObject({
      actor: 'ana',
      action: 'case.verdict',
      before: { status: 'open' },
      after: { status: 'closed', outcome: 'confirmed_fraud' },
    });
    // Open case views learn that the labels left the outbox: one `labels` event per case.
    const listener = new pg.Client({ connectionString: store.url });
    await listener.connect();
    const events: unknown[] = [];
    listener.on('notification', (n) => events.push(JSON.parse(n.payload ?? 'null')));
    await listener.query(`LISTEN ${NOTIFY_CHANNEL}`);
    const published: unknown[] = [];
    await store.publishPendingLabels(async (ls) => void published.push(...ls));
    expect(published).toContainEqual({ key: 'card_verdict', label: labels[0] });
    const n = published.length;
    await store.publishPendingLabels(async (ls) => void published.push(...ls));
    expect(published).toHaveLength(n);
    await listener.query('SELECT 1'); // notifications sent before this reply have arrived
    await listener.end();
    expect(events).toContainEqual({ type: 'labels', case_id: caseId });
    expect(events.filter((e) => (e as { type: string }).type === 'labels')).toHaveLength(1);
  });

  it('an inconclusive verdict closes the case without inventing a label', async () => {
    const e = fraudEvent({ card: 'card_inc', customer: 'cust_inc' });
    const { alerts } = await store.ingest({ alerts: [e.alert] });
    const { labels, case: c } = await store.decideCase(alerts[0]!.case_id, 'inconclusive', analyst);
    expect(labels).toEqual([]);
    expect(c.status).toBe('closed');
    expect(await store.labelsFor(e.alert.transaction_id)).toEqual([]);
  });

  it('the audit log rejects UPDATE, DELETE and TRUNCATE, and its hash chain verifies', async () => {
    await store.appendAudit({ name: 'root', role: 'admin' }, { action: 'test.append' });
    await expect(store.pool.query(`UPDATE audit_log SET actor = 'mallory'`)).rejects.toThrow(/append-only/);
    await expect(store.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(store.pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    const v = await store.verifyAudit();
    expect(v.first_broken).toBeNull();
    expect(v.rows).toBeGreaterThan(1);
  });

  it('a tampered audit row (triggers disabled by the owner) is detected by the chain', async () => {
    const c = await store.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
      await c.query(
        `UPDATE audit_log SET actor = 'mallory' WHERE audit_id = (SELECT min(audit_id) FROM audit_log)`,
      );
      const { rows } = await c.query(
        'SELECT audit_log_verify() AS broken, (SELECT min(audit_id) FROM audit_log) AS first',
      );
      expect(rows[0].broken).toBe(rows[0].first);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  it('computes dashboard stats and rule hit rates from the store', async () => {
    const s = await store.stats(60);
    expect(s.totals.transactions).toBeGreaterThanOrEqual(3);
    expect(s.totals.decisions.block + s.totals.decisions.review + s.totals.decisions.approve).toBe(
      s.totals.transactions,
    );
    expect(s.totals.latency_ms.p50).toBeCloseTo(4.2);
    expect(s.score_histogram.reduce((a, b) => a + b.count, 0)).toBe(s.totals.transactions);
    expect(s.active).toMatchObject({ model_version: 'v1.2.0', rule_set_version: 'rules-7' });
    const r = await store.ruleStats(60);
    const velocity = r.rules.find((x) => x.rule_id === 'velocity_1h');
    expect(velocity?.hit_rate).toBe(1);
    expect(velocity?.labelled_fraud).toBeGreaterThanOrEqual(1);
  });

  it('builds the card neighbourhood from stored transactions', async () => {
    const a = fraudEvent({ card: 'card_n1', customer: 'cust_n1' });
    const b = fraudEvent({ card: 'card_n2', customer: 'cust_n2' });
    await store.ingest({ transactions: [a.enriched, b.enriched] });
    const g = await store.neighbourhood('card_n1');
    expect(g.nodes.find((n) => n.center)?.id).toBe('card:card_n1');
    // card_n2 shares dev_111 and the IP with card_n1.
    expect(g.edges).toContainEqual(
      expect.objectContaining({ source: 'card:card_n2', target: 'device:dev_111' }),
    );
  });

  it('list entries upsert and remove with an audit row each, and back the rules engine ListPersistence', async () => {
    const e = await store.upsertListEntry(
      { kind: 'deny', entity: 'device', value: 'dev_bad', reason: 'mule ring' },
      analyst,
    );
    expect(e).toMatchObject({
      kind: 'deny',
      entity: 'device',
      value: 'dev_bad',
      added_by: 'ana',
      reason: 'mule ring',
    });
    expect((await store.listEntries({ kind: 'deny' })).map((x) => x.value)).toContain('dev_bad');
    await expect(
      store.upsertListEntry({ kind: 'deny', entity: 'country', value: 'brazil' }, analyst),
    ).rejects.toMatchObject({
      code: 'FRAUD_REQUEST_INVALID',
    });
    expect(await store.removeListEntry({ kind: 'deny', entity: 'device', value: 'dev_bad' }, analyst)).toBe(
      true,
    );
    const audit = await store.queryAudit({ target_type: 'list_entry' });
    expect(audit.map((a) => a.action)).toEqual(['list.remove', 'list.upsert']);
    const persistence = store.listPersistence();
    const entries = [
      {
        kind: 'allow' as const,
        entity: 'card' as const,
        value: 'card_vip',
        added_at: '2025-01-29T12:00:00.000Z',
      },
      {
        kind: 'deny' as const,
        entity: 'country' as const,
        value: 'KP',
        added_at: '2025-01-29T12:00:00.000Z',
        reason: 'sanctions',
      },
    ];
    await persistence.save(entries);
    expect(await persistence.load()).toEqual(entries);
  });
});

describe('PostgreSQL console store: a connection dropped under a client in use', () => {
  it('fails that client only and keeps the process and the store alive', async () => {
    // A checked-out client (pg-pool stops listening to it) whose backend is terminated, as a
    // database restart or the embedded server stopping first on Ctrl-C would do. Before the
    // fix its unhandled 'error' event crashed the process (vitest reports it as an error).
    const held = await store.pool.connect();
    const pid = (await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const ended = new Promise<void>((res) => held.once('end', () => res()));
    const admin = new (await import('pg')).default.Client({ connectionString: store.url });
    await admin.connect();
    const r = await admin.query<{ killed: boolean }>('SELECT pg_terminate_backend($1) AS killed', [pid]);
    await admin.end();
    expect(r.rows[0]!.killed).toBe(true);
    await ended;
    held.release(true);
    // The pool replaces the dead client: the store still answers.
    const after = await store.pool.query<{ one: number }>('SELECT 1 AS one');
    expect(after.rows[0]!.one).toBe(1);
  });
});
