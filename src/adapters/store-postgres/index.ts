import pg from 'pg';
import type { Principal, Role, UserRole } from '../../core/auth/index.ts';
import {
  type CaseOutcome,
  type CasePriority,
  type CaseStatus,
  canTransition,
  casePriority,
  caseQueue,
  labelForOutcome,
  slaDueAt,
  slaState,
} from '../../core/cases/index.ts';
import type { Alert, EnrichedTransaction, Label, Score } from '../../core/contracts/index.ts';
import { FraudError } from '../../core/errors/index.ts';
import { namedFeatures } from '../../core/features/index.ts';
import {
  checkEntry,
  type ListEntity,
  type ListEntry,
  type ListKind,
  type ListPersistence,
} from '../../core/lists/index.ts';
import { type EmbeddedHandle, startEmbeddedPostgres } from './embedded.ts';
import { migrate } from './migrate.ts';

export { startEmbeddedPostgres } from './embedded.ts';
export { loadMigrations, migrate } from './migrate.ts';

/** The channel every console instance LISTENs on to push live updates (SSE) to browsers. */
export const NOTIFY_CHANNEL = 'fraud_console';

export interface StoreOptions {
  /** `DATABASE_URL`. Null: the embedded PostgreSQL under `dataDir`. */
  readonly databaseUrl: string | null;
  /** Data directory for the embedded cluster (`FRAUD_DATA_DIR`, default `.data/`). */
  readonly dataDir: string;
  /** Pool size. Default 10. */
  readonly poolSize?: number;
  /** Progress messages (embedded start, migrations). Default: none. */
  readonly log?: (message: string) => void;
}

/** Who did something, for the audit trail. */
export interface Actor {
  readonly name: string;
  readonly role: Role | 'system';
  readonly ip?: string | null;
  readonly requestId?: string | null;
}

export interface AuditEntry {
  readonly action: string;
  readonly targetType?: string | null;
  readonly targetId?: string | null;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface NewAlertEvent {
  readonly type: 'alert';
  readonly alert_id: string;
  readonly transaction_id: string;
  readonly case_id: number;
  readonly case_opened: boolean;
  readonly decision: 'review' | 'block';
  readonly score: number;
  readonly reason: string;
  readonly card_id: string;
  readonly customer_id: string;
  readonly merchant_id: string;
  readonly merchant_country: string;
  readonly amount: number;
  readonly currency: string;
  readonly created_at: string;
}

export interface CaseChangeEvent {
  readonly type: 'case';
  readonly case_id: number;
  readonly status: CaseStatus;
  readonly outcome: CaseOutcome | null;
  readonly assignee: string | null;
}

/** A case's labels reached the `labels` topic (the outbox published them). */
export interface LabelsPublishedEvent {
  readonly type: 'labels';
  readonly case_id: number;
}

export type ConsoleEvent = NewAlertEvent | CaseChangeEvent | LabelsPublishedEvent;

export interface IngestBatch {
  readonly transactions?: readonly EnrichedTransaction[];
  readonly decisions?: readonly Score[];
  readonly alerts?: readonly Alert[];
  /** Labels from the `labels` topic, with the message key (the card). */
  readonly labels?: readonly { readonly key: string | null; readonly label: Label }[];
}

export interface IngestResult {
  readonly transactions: number;
  readonly decisions: number;
  readonly labels: number;
  readonly alerts: readonly NewAlertEvent[];
}

export interface AlertFilter {
  decision?: 'review' | 'block';
  reason?: string;
  min_score?: number;
  max_score?: number;
  merchant_id?: string;
  country?: string;
  from?: string;
  to?: string;
  case_status?: CaseStatus;
  case_id?: number;
  limit?: number;
}

export interface CaseFilter {
  status?: CaseStatus;
  queue?: string;
  assignee?: string;
  priority?: number;
  limit?: number;
}

export interface CaseRow {
  case_id: number;
  status: CaseStatus;
  queue: string;
  priority: CasePriority;
  assignee: string | null;
  card_id: string;
  customer_id: string;
  opened_at: Date;
  updated_at: Date;
  sla_due_at: Date;
  closed_at: Date | null;
  closed_by: string | null;
  outcome: CaseOutcome | null;
  alert_count: number;
  max_score: number;
  sla_age_seconds: number;
  sla_breached: boolean;
}

export interface Neighbourhood {
  nodes: { id: string; kind: string; label: string; fraud?: boolean; center?: boolean }[];
  edges: { source: string; target: string; kind: string; count: number }[];
}

const { Pool, types } = pg;
// numeric and bigint arrive as strings by default; every value we store fits a double.
const parseNumber = (v: string) => Number(v);
const typeParser = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 1700 || oid === 20) return parseNumber;
    return types.getTypeParser(oid, format);
  },
};

function iso(d: Date | string): string {
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function withSla(row: Omit<CaseRow, 'sla_age_seconds' | 'sla_breached'>, now = new Date()): CaseRow {
  const s = slaState(row, now);
  return { ...row, sla_age_seconds: s.age_seconds, sla_breached: s.breached };
}

/**
 * The PostgreSQL store behind the console: the same code runs on the embedded cluster and on
 * any PostgreSQL given by `DATABASE_URL`. Migrations run at open.
 */
export class PgStore {
  readonly pool: pg.Pool;
  readonly url: string;
  readonly embedded: boolean;
  readonly #embedded: EmbeddedHandle | null;
  #onClose: () => void = () => {};

  private constructor(pool: pg.Pool, url: string, embedded: EmbeddedHandle | null) {
    this.pool = pool;
    this.url = url;
    this.embedded = embedded !== null;
    this.#embedded = embedded;
  }

  static async open(options: StoreOptions): Promise<PgStore> {
    const log = options.log ?? (() => {});
    const embedded = options.databaseUrl ? null : await startEmbeddedPostgres(options.dataDir, log);
    const url = options.databaseUrl ?? embedded!.url;
    const pool = new Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      types: typeParser,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    let closing = false;
    pool.on('error', (err) => {
      if (!closing) log(`postgres pool: ${err.message}`);
    });
    // A client in use whose connection drops (a database restart, or the embedded server
    // stopping first when Ctrl-C reaches the whole process group) emits 'error' besides failing
    // its query, and pg-pool only listens while a client is idle: without this the event
    // crashed the process. The failed query is what the caller sees and handles.
    pool.on('connect', (client) => {
      client.on('error', (err) => {
        if (!closing) log(`postgres connection: ${err.message}`);
      });
    });
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => undefined);
      await embedded?.stop();
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `PostgreSQL at ${redactUrl(url)} is unreachable: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const applied = await migrate(pool);
    if (applied.length) log(`applied migrations ${applied.join(', ')}`);
    const store = new PgStore(pool, url, embedded);
    store.#onClose = () => {
      closing = true;
    };
    return store;
  }

  async close(): Promise<void> {
    this.#onClose();
    await this.pool.end();
    await this.#embedded?.stop();
  }

  /** Runs `fn` in one transaction. */
  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  // ---------------------------------------------------------------- stream ingestion

  /**
   * Writes one batch from the stream in one transaction: transactions + features, decisions,
   * then alerts (which open or join cases). Every insert is `ON CONFLICT DO NOTHING` keyed by
   * `transaction_id`, so a redelivered batch (at-least-once) changes nothing; only alerts that
   * were really new open cases and are announced.
   */
  async ingest(batch: IngestBatch): Promise<IngestResult> {
    return this.tx(async (c) => {
      // One row per transaction_id: an upsert may not touch the same row twice in one statement.
      const byId = new Map<string, Record<string, unknown>>();
      for (const a of batch.alerts ?? []) {
        byId.set(a.transaction_id, { ...a.transaction, features: null, feature_set_version: null });
      }
      for (const e of batch.transactions ?? []) {
        byId.set(e.transaction.transaction_id, {
          ...e.transaction,
          // Stored by name for the case view; a vector of a feature set this build does not
          // know is kept as recorded.
          features: namedFeatures(e.features, e.feature_set_version) ?? e.features,
          feature_set_version: e.feature_set_version,
        });
      }
      const txRows = [...byId.values()];
      let transactions = 0;
      if (txRows.length) {
        const r = await c.query(
          `INSERT INTO transactions (transaction_id, event_time, card_id, customer_id, merchant_id, merchant_country,
             amount, currency, device_id, ip_address, payload, features, feature_set_version)
           SELECT x->>'transaction_id', (x->>'timestamp')::timestamptz, x->>'card_id', x->>'customer_id',
             x->>'merchant_id', x->>'merchant_country', (x->>'amount')::numeric, x->>'currency', x->>'device_id',
             x->>'ip_address', x - 'features' - 'feature_set_version', x->'features', x->>'feature_set_version'
           FROM jsonb_array_elements($1::jsonb) x
           ON CONFLICT (transaction_id) DO UPDATE SET
             features = COALESCE(transactions.features, EXCLUDED.features),
             feature_set_version = COALESCE(transactions.feature_set_version, EXCLUDED.feature_set_version)
           WHERE transactions.features IS NULL AND EXCLUDED.features IS NOT NULL`,
          [JSON.stringify(txRows)],
        );
        transactions = r.rowCount ?? 0;
      }
      let decisions = 0;
      if (batch.decisions?.length) {
        const r = await c.query(
          `INSERT INTO decisions (transaction_id, decided_at, decision, score, model_score, model_version,
             rule_set_version, feature_set_version, reason, reasons, rule_hits, explanations, graph,
             missing_signals, latency_ms, payload)
           SELECT s->>'transaction_id', (s->>'decided_at')::timestamptz, s->>'decision', (s->>'score')::float8,
             (s->>'model_score')::float8, s->>'model_version', s->>'rule_set_version', s->>'feature_set_version',
             s->>'reason', ARRAY(SELECT jsonb_array_elements_text(s->'reasons')), s->'rule_hits', s->'explanations',
             s->'graph', CASE WHEN s ? 'missing_signals' THEN ARRAY(SELECT jsonb_array_elements_text(s->'missing_signals')) END,
             (s->>'latency_ms')::float8, s
           FROM jsonb_array_elements($1::jsonb) s
           ON CONFLICT (transaction_id) DO NOTHING`,
          [JSON.stringify(batch.decisions)],
        );
        decisions = r.rowCount ?? 0;
      }
      let labels = 0;
      if (batch.labels?.length) {
        // Already on the topic, so stored as published: the outbox never sends them again. A
        // label without a source is recorded as an import. Our own verdicts come back here too
        // and are dropped by the unique (transaction_id, source, labeled_at).
        const r = await c.query(
          `INSERT INTO labels (transaction_id, is_fraud, labeled_at, source, labeled_by, scenario, card_id, published_at)
           SELECT l->>'transaction_id', (l->>'is_fraud')::boolean, (l->>'labeled_at')::timestamptz,
             coalesce(l->>'source', 'import'), l->>'labeled_by', l->>'scenario', x->>'key', now()
           FROM jsonb_array_elements($1::jsonb) x CROSS JOIN LATERAL (SELECT x->'label' AS l) y
           ON CONFLICT DO NOTHING`,
          [JSON.stringify(batch.labels)],
        );
        labels = r.rowCount ?? 0;
      }
      const events: NewAlertEvent[] = [];
      if (batch.alerts?.length) {
        const inserted = await c.query<{ alert_id: string }>(
          `INSERT INTO alerts (alert_id, transaction_id, card_id, customer_id, merchant_id, merchant_country, amount,
             currency, decision, score, reason, reasons, created_at, transaction)
           SELECT a->>'alert_id', a->>'transaction_id', a->>'card_id', a->>'customer_id', a#>>'{transaction,merchant_id}',
             a#>>'{transaction,merchant_country}', (a#>>'{transaction,amount}')::numeric, a#>>'{transaction,currency}',
             a->>'decision', (a->>'score')::float8, a->>'reason', ARRAY(SELECT jsonb_array_elements_text(a->'reasons')),
             (a->>'created_at')::timestamptz, a->'transaction'
           FROM jsonb_array_elements($1::jsonb) a
           ON CONFLICT DO NOTHING
           RETURNING alert_id`,
          [JSON.stringify(batch.alerts)],
        );
        const fresh = new Set(inserted.rows.map((r) => r.alert_id));
        // Input order, so two alerts of one card in one batch join the case the first opened.
        for (const a of batch.alerts) {
          if (!fresh.has(a.alert_id)) continue;
          fresh.delete(a.alert_id);
          events.push(await this.#attachToCase(c, a));
        }
        for (const e of events)
          await c.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, JSON.stringify(e)]);
      }
      return { transactions, decisions, labels, alerts: events };
    });
  }

  /** "Alerts open cases, or are attached to the open case of the same card or customer." */
  async #attachToCase(c: pg.PoolClient, a: Alert): Promise<NewAlertEvent> {
    // Alerts are partitioned by card, so two consumers can race only on a shared customer:
    // transaction-scoped locks on both keys make the find-or-open atomic.
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1)), pg_advisory_xact_lock(hashtext($2))', [
      `card:${a.card_id}`,
      `customer:${a.customer_id}`,
    ]);
    const facts = { decision: a.decision, score: a.score, amount: a.transaction.amount };
    const priority = casePriority(facts);
    const open = await c.query<{ case_id: number }>(
      `SELECT case_id FROM cases WHERE status <> 'closed' AND (card_id = $1 OR customer_id = $2)
       ORDER BY (card_id = $1) DESC, opened_at LIMIT 1`,
      [a.card_id, a.customer_id],
    );
    let caseId: number;
    let opened = false;
    if (open.rows[0]) {
      caseId = open.rows[0].case_id;
      // A worse alert raises the case's priority (and moves it to the block queue); never lowers it.
      await c.query(
        `UPDATE cases SET alert_count = alert_count + 1, max_score = greatest(max_score, $2),
           priority = least(priority, $3), queue = CASE WHEN $4 = 'blocked' THEN 'blocked' ELSE queue END,
           sla_due_at = least(sla_due_at, $5), updated_at = now()
         WHERE case_id = $1`,
        [caseId, a.score, priority, caseQueue(facts), slaDueAt(new Date(), priority)],
      );
    } else {
      const now = new Date();
      const r = await c.query<{ case_id: number }>(
        `INSERT INTO cases (queue, priority, card_id, customer_id, opened_at, sla_due_at, alert_count, max_score)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING case_id`,
        [caseQueue(facts), priority, a.card_id, a.customer_id, now, slaDueAt(now, priority), a.score],
      );
      caseId = r.rows[0]!.case_id;
      opened = true;
    }
    await c.query('UPDATE alerts SET case_id = $1 WHERE alert_id = $2', [caseId, a.alert_id]);
    return {
      type: 'alert',
      alert_id: a.alert_id,
      transaction_id: a.transaction_id,
      case_id: caseId,
      case_opened: opened,
      decision: a.decision,
      score: a.score,
      reason: a.reason,
      card_id: a.card_id,
      customer_id: a.customer_id,
      merchant_id: a.transaction.merchant_id,
      merchant_country: a.transaction.merchant_country,
      amount: a.transaction.amount,
      currency: a.transaction.currency,
      created_at: a.created_at,
    };
  }

  // ---------------------------------------------------------------- alerts and cases (read)

  async listAlerts(f: AlertFilter = {}): Promise<Record<string, unknown>[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (f.decision) add('a.decision = ?', f.decision);
    if (f.reason) add('? = ANY (a.reasons)', f.reason);
    if (f.min_score !== undefined) add('a.score >= ?', f.min_score);
    if (f.max_score !== undefined) add('a.score <= ?', f.max_score);
    if (f.merchant_id) add('a.merchant_id = ?', f.merchant_id);
    if (f.country) add('a.merchant_country = ?', f.country);
    if (f.from) add('a.created_at >= ?', f.from);
    if (f.to) add('a.created_at < ?', f.to);
    if (f.case_status) add('c.status = ?', f.case_status);
    if (f.case_id) add('a.case_id = ?', f.case_id);
    args.push(Math.min(Math.max(f.limit ?? 100, 1), 500));
    const { rows } = await this.pool.query(
      `SELECT a.alert_id, a.transaction_id, a.case_id, c.status AS case_status, c.assignee, a.card_id, a.customer_id,
         a.merchant_id, a.merchant_country, a.amount, a.currency, a.decision, a.score, a.reason, a.reasons,
         a.created_at, a.transaction->>'device_id' AS device_id, a.transaction->>'ip_address' AS ip_address
       FROM alerts a LEFT JOIN cases c USING (case_id)
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY a.created_at DESC, a.alert_id DESC LIMIT $${args.length}`,
      args,
    );
    return rows;
  }

  async listCases(f: CaseFilter = {}): Promise<CaseRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (f.status) add('status = ?', f.status);
    if (f.queue) add('queue = ?', f.queue);
    if (f.assignee) add('assignee = ?', f.assignee);
    if (f.priority) add('priority = ?', f.priority);
    args.push(Math.min(Math.max(f.limit ?? 100, 1), 500));
    const { rows } = await this.pool.query(
      `SELECT * FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY (status = 'closed'), priority, opened_at LIMIT $${args.length}`,
      args,
    );
    const now = new Date();
    return rows.map((r) => withSla(r, now));
  }

  async getCaseRow(
    caseId: number,
    client: pg.PoolClient | pg.Pool = this.pool,
    lock = false,
  ): Promise<CaseRow> {
    const { rows } = await client.query(
      `SELECT * FROM cases WHERE case_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [caseId],
    );
    if (!rows[0]) throw new FraudError('FRAUD_NOT_FOUND', `case ${caseId} does not exist`);
    return withSla(rows[0]);
  }

  /** Everything the case view shows, in one call. */
  async getCase(caseId: number): Promise<Record<string, unknown>> {
    const row = await this.getCaseRow(caseId);
    const [alerts, notes, labels, history] = await Promise.all([
      this.pool.query(
        `SELECT a.alert_id, a.transaction_id, a.decision, a.score, a.reason, a.reasons, a.created_at, a.transaction,
           t.features, t.feature_set_version, d.rule_hits, d.explanations, d.model_version, d.model_score,
           d.rule_set_version, d.graph, d.missing_signals, d.latency_ms, d.decided_at
         FROM alerts a LEFT JOIN transactions t USING (transaction_id) LEFT JOIN decisions d USING (transaction_id)
         WHERE a.case_id = $1 ORDER BY a.created_at`,
        [caseId],
      ),
      this.pool.query(
        'SELECT note_id, author, body, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at',
        [caseId],
      ),
      this.pool.query(
        `SELECT l.transaction_id, l.is_fraud, l.labeled_at, l.source, l.labeled_by, l.published_at
         FROM labels l WHERE l.case_id = $1 ORDER BY l.labeled_at`,
        [caseId],
      ),
      this.cardHistory(row.card_id, 20),
    ]);
    return { ...row, alerts: alerts.rows, notes: notes.rows, labels: labels.rows, card_history: history };
  }

  /** The card's most recent transactions with their decisions and newest label. */
  async cardHistory(cardId: string, limit = 20): Promise<Record<string, unknown>[]> {
    const { rows } = await this.pool.query(
      `SELECT t.transaction_id, t.event_time AS timestamp, t.amount, t.currency, t.merchant_id, t.merchant_country,
         t.device_id, t.ip_address, t.card_id, t.customer_id, d.decision, d.score, d.reason, l.is_fraud
       FROM transactions t LEFT JOIN decisions d USING (transaction_id)
       LEFT JOIN LATERAL (SELECT is_fraud FROM labels WHERE transaction_id = t.transaction_id
                          ORDER BY labeled_at DESC LIMIT 1) l ON true
       WHERE t.card_id = $1 ORDER BY t.event_time DESC LIMIT $2`,
      [cardId, limit],
    );
    return rows;
  }

  /**
   * The card's neighbourhood from stored transactions: its devices, IPs, merchants and customer,
   * and the other cards that share a device or IP (the classic mule/ATO pattern). Used when
   * no graph service is configured.
   */
  async neighbourhood(cardId: string, perHub = 12): Promise<Neighbourhood> {
    const { rows } = await this.pool.query<{
      kind: string;
      hub: string;
      card_id: string;
      n: number;
      fraud: boolean;
    }>(
      `WITH mine AS (
         SELECT device_id, ip_address, merchant_id, customer_id FROM transactions WHERE card_id = $1
         ORDER BY event_time DESC LIMIT 500),
       hubs AS (
         SELECT 'device' AS kind, device_id AS hub FROM mine UNION
         SELECT 'ip', ip_address FROM mine UNION
         SELECT 'merchant', merchant_id FROM mine UNION
         SELECT 'customer', customer_id FROM mine)
       SELECT h.kind, h.hub, x.card_id, x.n, x.fraud FROM hubs h
       CROSS JOIN LATERAL (
         SELECT t.card_id, count(*)::int AS n,
           coalesce(bool_or(l.is_fraud), false) AS fraud
         FROM transactions t LEFT JOIN labels l ON l.transaction_id = t.transaction_id
         WHERE (h.kind = 'device' AND t.device_id = h.hub) OR (h.kind = 'ip' AND t.ip_address = h.hub)
            OR (h.kind = 'customer' AND t.customer_id = h.hub)
            OR (h.kind = 'merchant' AND t.merchant_id = h.hub AND t.card_id = $1)
         GROUP BY t.card_id ORDER BY (t.card_id = $1) DESC, count(*) DESC LIMIT $2) x`,
      [cardId, perHub],
    );
    const nodes = new Map<string, Neighbourhood['nodes'][number]>();
    const edges: Neighbourhood['edges'] = [];
    nodes.set(`card:${cardId}`, { id: `card:${cardId}`, kind: 'card', label: cardId, center: true });
    for (const r of rows) {
      const hubId = `${r.kind}:${r.hub}`;
      if (!nodes.has(hubId)) nodes.set(hubId, { id: hubId, kind: r.kind, label: r.hub });
      const cid = `card:${r.card_id}`;
      const existing = nodes.get(cid);
      if (!existing) nodes.set(cid, { id: cid, kind: 'card', label: r.card_id, fraud: r.fraud });
      else if (r.fraud) existing.fraud = true;
      edges.push({ source: cid, target: hubId, kind: r.kind, count: r.n });
    }
    return { nodes: [...nodes.values()], edges };
  }

  // ---------------------------------------------------------------- case actions (write + audit)

  async assignCase(caseId: number, assignee: string | null, actor: Actor): Promise<CaseRow> {
    return this.#caseChange(caseId, actor, 'case.assign', async (c, before) => {
      if (before.status === 'closed') throw new FraudError('FRAUD_CONFLICT', `case ${caseId} is closed`);
      if (assignee !== null) {
        const u = await c.query(
          `SELECT 1 FROM users WHERE username = $1 AND disabled_at IS NULL AND role <> 'viewer'`,
          [assignee],
        );
        if (!u.rowCount)
          throw new FraudError('FRAUD_REQUEST_INVALID', `'${assignee}' is not an active analyst or admin`);
      }
      await c.query('UPDATE cases SET assignee = $2, updated_at = now() WHERE case_id = $1', [
        caseId,
        assignee,
      ]);
    });
  }

  async setCaseStatus(caseId: number, status: 'open' | 'investigating', actor: Actor): Promise<CaseRow> {
    return this.#caseChange(caseId, actor, 'case.status', async (c, before) => {
      if (before.status === status) return;
      if (!canTransition(before.status, status)) {
        throw new FraudError('FRAUD_CONFLICT', `case ${caseId} cannot go from ${before.status} to ${status}`);
      }
      // Taking a case to investigate assigns it to whoever took it, unless someone already has it.
      await c.query(
        `UPDATE cases SET status = $2, assignee = CASE WHEN $2 = 'investigating' THEN coalesce(assignee, $3) ELSE assignee END,
           updated_at = now() WHERE case_id = $1`,
        [caseId, status, actor.name],
      );
    });
  }

  async addNote(caseId: number, body: string, actor: Actor): Promise<CaseRow> {
    return this.#caseChange(
      caseId,
      actor,
      'case.note',
      async (c) => {
        await c.query('INSERT INTO case_notes (case_id, author, body) VALUES ($1, $2, $3)', [
          caseId,
          actor.name,
          body,
        ]);
        await c.query('UPDATE cases SET updated_at = now() WHERE case_id = $1', [caseId]);
      },
      { note: body },
    );
  }

  /**
   * The verdict: closes the case with its outcome and, in the same transaction, writes one label
   * per alerted transaction to the label store (outbox for the `labels` topic) and the audit row.
   */
  async decideCase(
    caseId: number,
    outcome: CaseOutcome,
    actor: Actor,
    note?: string,
  ): Promise<{ case: CaseRow; labels: Label[] }> {
    let labels: Label[] = [];
    const row = await this.#caseChange(
      caseId,
      actor,
      'case.verdict',
      async (c, before) => {
        if (!canTransition(before.status, 'closed'))
          throw new FraudError('FRAUD_CONFLICT', `case ${caseId} is already closed`);
        await c.query(
          `UPDATE cases SET status = 'closed', outcome = $2, closed_at = now(), closed_by = $3,
           assignee = coalesce(assignee, $3), updated_at = now() WHERE case_id = $1`,
          [caseId, outcome, actor.name],
        );
        if (note)
          await c.query('INSERT INTO case_notes (case_id, author, body) VALUES ($1, $2, $3)', [
            caseId,
            actor.name,
            note,
          ]);
        const isFraud = labelForOutcome(outcome);
        if (isFraud !== null) {
          // Millisecond labeled_at: the topic carries ISO-8601 with milliseconds, so when our own
          // label comes back on `labels` it matches this row exactly and is not stored twice.
          const r = await c.query<{
            transaction_id: string;
            is_fraud: boolean;
            labeled_at: Date;
            labeled_by: string;
          }>(
            `INSERT INTO labels (transaction_id, is_fraud, labeled_at, source, labeled_by, case_id, card_id)
           SELECT transaction_id, $2, date_trunc('milliseconds', clock_timestamp()), 'analyst', $3, case_id, card_id
           FROM alerts WHERE case_id = $1
           ON CONFLICT DO NOTHING RETURNING transaction_id, is_fraud, labeled_at, labeled_by`,
            [caseId, isFraud, actor.name],
          );
          labels = r.rows.map((l) => ({
            transaction_id: l.transaction_id,
            is_fraud: l.is_fraud,
            labeled_at: iso(l.labeled_at),
            source: 'analyst' as const,
            labeled_by: l.labeled_by,
          }));
        }
      },
      { outcome, note: note ?? null },
    );
    return { case: row, labels };
  }

  async #caseChange(
    caseId: number,
    actor: Actor,
    action: string,
    change: (c: pg.PoolClient, before: CaseRow) => Promise<void>,
    extra: Record<string, unknown> = {},
  ): Promise<CaseRow> {
    return this.tx(async (c) => {
      const before = await this.getCaseRow(caseId, c, true);
      await change(c, before);
      const after = await this.getCaseRow(caseId, c);
      const pick = (r: CaseRow) => ({
        status: r.status,
        assignee: r.assignee,
        outcome: r.outcome,
        priority: r.priority,
      });
      await this.appendAudit(
        actor,
        {
          action,
          targetType: 'case',
          targetId: String(caseId),
          before: pick(before),
          after: { ...pick(after), ...extra },
        },
        c,
      );
      const event: CaseChangeEvent = {
        type: 'case',
        case_id: caseId,
        status: after.status,
        outcome: after.outcome,
        assignee: after.assignee,
      };
      await c.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, JSON.stringify(event)]);
      return after;
    });
  }

  // ---------------------------------------------------------------- labels

  async labelsFor(transactionId: string): Promise<Record<string, unknown>[]> {
    const { rows } = await this.pool.query(
      'SELECT * FROM labels WHERE transaction_id = $1 ORDER BY labeled_at DESC',
      [transactionId],
    );
    return rows;
  }

  /**
   * Publishes labels not yet on the `labels` topic, oldest first, and marks them. Rows stay
   * locked (SKIP LOCKED lets another instance take other rows) until the publish returns, so a
   * crash before the mark re-publishes them: consumers see each label at least once.
   */
  async publishPendingLabels(
    publish: (labels: readonly { key: string | null; label: Label }[]) => Promise<void>,
    limit = 500,
  ): Promise<number> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{
        label_id: number;
        transaction_id: string;
        is_fraud: boolean;
        labeled_at: Date;
        source: Label['source'];
        labeled_by: string | null;
        card_id: string | null;
        case_id: string | null;
      }>(
        `SELECT label_id, transaction_id, is_fraud, labeled_at, source, labeled_by, card_id, case_id FROM labels
         WHERE published_at IS NULL ORDER BY label_id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (!rows.length) return 0;
      await publish(
        rows.map((r) => ({
          key: r.card_id,
          label: {
            transaction_id: r.transaction_id,
            is_fraud: r.is_fraud,
            labeled_at: iso(r.labeled_at),
            ...(r.source ? { source: r.source } : {}),
            ...(r.labeled_by ? { labeled_by: r.labeled_by } : {}),
          },
        })),
      );
      await c.query('UPDATE labels SET published_at = now() WHERE label_id = ANY ($1)', [
        rows.map((r) => r.label_id),
      ]);
      // An open case view shows each label as pending until it is published, which may be long
      // after the verdict (the bus was down): it learns of the change from this event.
      const cases = new Set(rows.flatMap((r) => (r.case_id === null ? [] : [Number(r.case_id)])));
      const events = [...cases].map((case_id) =>
        JSON.stringify({ type: 'labels', case_id } satisfies LabelsPublishedEvent),
      );
      if (events.length > 0)
        await c.query('SELECT pg_notify($1, e) FROM unnest($2::text[]) AS e', [NOTIFY_CHANNEL, events]);
      return rows.length;
    });
  }

  // ---------------------------------------------------------------- lists

  /** Live entries (expired ones are hidden), in the rules engine's `ListEntry` shape. */
  async listEntries(filter: { kind?: ListKind; entity?: ListEntity } = {}): Promise<ListEntry[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM list_entries WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR entity = $2)
         AND (expires_at IS NULL OR expires_at > now())
       ORDER BY kind, entity, value`,
      [filter.kind ?? null, filter.entity ?? null],
    );
    return rows.map(toListEntry);
  }

  /** Adds or replaces one entry (validated by the rules engine's `checkEntry`), audited. */
  async upsertListEntry(
    e: {
      kind: ListKind;
      entity: ListEntity;
      value: string;
      reason?: string | null;
      expires_at?: string | null;
    },
    actor: Actor,
  ): Promise<ListEntry> {
    const issues = checkEntry({
      kind: e.kind,
      entity: e.entity,
      value: e.value,
      ...(e.expires_at ? { expires_at: e.expires_at } : {}),
      added_at: new Date().toISOString(),
    });
    if (issues.length) {
      throw new FraudError(
        'FRAUD_REQUEST_INVALID',
        `invalid list entry: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
        {
          details: issues,
        },
      );
    }
    return this.tx(async (c) => {
      const before = await c.query(
        'SELECT * FROM list_entries WHERE kind = $1 AND entity = $2 AND value = $3 FOR UPDATE',
        [e.kind, e.entity, e.value],
      );
      const { rows } = await c.query(
        `INSERT INTO list_entries (kind, entity, value, reason, added_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (kind, entity, value) DO UPDATE SET reason = EXCLUDED.reason,
           added_by = EXCLUDED.added_by, added_at = now(), expires_at = EXCLUDED.expires_at
         RETURNING *`,
        [e.kind, e.entity, e.value, e.reason ?? null, actor.name, e.expires_at ?? null],
      );
      const entry = toListEntry(rows[0]);
      await this.appendAudit(
        actor,
        {
          action: 'list.upsert',
          targetType: 'list_entry',
          targetId: `${e.kind}:${e.entity}:${e.value}`,
          before: before.rows[0] ? toListEntry(before.rows[0]) : null,
          after: entry,
        },
        c,
      );
      await c.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, JSON.stringify({ type: 'lists' })]);
      return entry;
    });
  }

  async removeListEntry(
    key: { kind: ListKind; entity: ListEntity; value: string },
    actor: Actor,
  ): Promise<boolean> {
    return this.tx(async (c) => {
      const { rows } = await c.query(
        'DELETE FROM list_entries WHERE kind = $1 AND entity = $2 AND value = $3 RETURNING *',
        [key.kind, key.entity, key.value],
      );
      if (!rows[0]) return false;
      await this.appendAudit(
        actor,
        {
          action: 'list.remove',
          targetType: 'list_entry',
          targetId: `${key.kind}:${key.entity}:${key.value}`,
          before: toListEntry(rows[0]),
          after: null,
        },
        c,
      );
      await c.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, JSON.stringify({ type: 'lists' })]);
      return true;
    });
  }

  /**
   * The rules engine's `ListPersistence` seam backed by this table: `load()` reads every live
   * entry, `save()` replaces the whole set in one transaction (audited as one `list.replace`).
   */
  listPersistence(actor: Actor = { name: 'rules-engine', role: 'system' }): ListPersistence {
    return {
      load: () => this.listEntries(),
      save: async (entries) => {
        await this.tx(async (c) => {
          const before = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM list_entries');
          await c.query('DELETE FROM list_entries');
          if (entries.length) {
            await c.query(
              `INSERT INTO list_entries (kind, entity, value, reason, added_by, added_at, expires_at)
               SELECT e->>'kind', e->>'entity', e->>'value', e->>'reason', e->>'added_by',
                 (e->>'added_at')::timestamptz, (e->>'expires_at')::timestamptz
               FROM jsonb_array_elements($1::jsonb) e
               ON CONFLICT (kind, entity, value) DO NOTHING`,
              [JSON.stringify(entries)],
            );
          }
          await this.appendAudit(
            actor,
            {
              action: 'list.replace',
              targetType: 'list',
              before: { entries: before.rows[0]!.n },
              after: { entries: entries.length },
            },
            c,
          );
          await c.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, JSON.stringify({ type: 'lists' })]);
        });
      },
    };
  }

  // ---------------------------------------------------------------- users, sessions, tokens

  async createUser(
    username: string,
    role: UserRole,
    passwordHash: string,
    actor: Actor,
  ): Promise<{ user_id: number }> {
    return this.tx(async (c) => {
      const r = await c.query<{ user_id: number }>(
        `INSERT INTO users (username, role, password_hash) VALUES ($1, $2, $3)
         ON CONFLICT (username) DO NOTHING RETURNING user_id`,
        [username, role, passwordHash],
      );
      if (!r.rows[0]) throw new FraudError('FRAUD_CONFLICT', `user '${username}' already exists`);
      await this.appendAudit(
        actor,
        { action: 'user.create', targetType: 'user', targetId: username, after: { username, role } },
        c,
      );
      return r.rows[0];
    });
  }

  async setPassword(username: string, passwordHash: string, actor: Actor): Promise<void> {
    await this.tx(async (c) => {
      const r = await c.query('UPDATE users SET password_hash = $2 WHERE username = $1', [
        username,
        passwordHash,
      ]);
      if (!r.rowCount) throw new FraudError('FRAUD_NOT_FOUND', `user '${username}' does not exist`);
      await c.query('DELETE FROM sessions WHERE user_id = (SELECT user_id FROM users WHERE username = $1)', [
        username,
      ]);
      await this.appendAudit(actor, { action: 'user.password', targetType: 'user', targetId: username }, c);
    });
  }

  async findUser(
    username: string,
  ): Promise<{ user_id: number; username: string; role: UserRole; password_hash: string } | null> {
    const { rows } = await this.pool.query(
      'SELECT user_id, username, role, password_hash FROM users WHERE username = $1 AND disabled_at IS NULL',
      [username],
    );
    return rows[0] ?? null;
  }

  async listUsers(): Promise<
    { username: string; role: UserRole; created_at: Date; disabled_at: Date | null }[]
  > {
    const { rows } = await this.pool.query(
      'SELECT username, role, created_at, disabled_at FROM users ORDER BY username',
    );
    return rows;
  }

  async countUsers(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return rows[0]!.n;
  }

  async createSession(sessionHash: string, userId: number, ttlSeconds: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO sessions (session_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [sessionHash, userId, ttlSeconds],
    );
    // Expired sessions are swept opportunistically; there is no background job to forget.
    await this.pool.query('DELETE FROM sessions WHERE expires_at < now()');
  }

  async sessionPrincipal(sessionHash: string): Promise<Principal | null> {
    const { rows } = await this.pool.query<{ user_id: number; username: string; role: UserRole }>(
      `SELECT u.user_id, u.username, u.role FROM sessions s JOIN users u USING (user_id)
       WHERE s.session_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL`,
      [sessionHash],
    );
    const u = rows[0];
    return u ? { kind: 'session', id: String(u.user_id), name: u.username, role: u.role } : null;
  }

  async deleteSession(sessionHash: string): Promise<void> {
    await this.pool.query('DELETE FROM sessions WHERE session_hash = $1', [sessionHash]);
  }

  async createToken(name: string, role: Role, tokenHash: string, actor: Actor): Promise<number> {
    return this.tx(async (c) => {
      const r = await c.query<{ token_id: number }>(
        'INSERT INTO api_tokens (name, role, token_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING token_id',
        [name, role, tokenHash, actor.name],
      );
      await this.appendAudit(
        actor,
        { action: 'token.create', targetType: 'api_token', targetId: name, after: { name, role } },
        c,
      );
      return r.rows[0]!.token_id;
    });
  }

  async revokeTokens(name: string, actor: Actor): Promise<number> {
    return this.tx(async (c) => {
      const r = await c.query(
        'UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL',
        [name],
      );
      if (r.rowCount)
        await this.appendAudit(
          actor,
          { action: 'token.revoke', targetType: 'api_token', targetId: name, after: { revoked: r.rowCount } },
          c,
        );
      return r.rowCount ?? 0;
    });
  }

  async tokenPrincipal(tokenHash: string): Promise<Principal | null> {
    const { rows } = await this.pool.query<{ token_id: number; name: string; role: Role }>(
      `UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL
       RETURNING token_id, name, role`,
      [tokenHash],
    );
    const t = rows[0];
    return t ? { kind: 'token', id: String(t.token_id), name: `token:${t.name}`, role: t.role } : null;
  }

  // ---------------------------------------------------------------- audit

  async appendAudit(actor: Actor, e: AuditEntry, client: pg.PoolClient | pg.Pool = this.pool): Promise<void> {
    await client.query(
      `INSERT INTO audit_log (actor, actor_role, action, target_type, target_id, before, after, ip, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        actor.name,
        actor.role,
        e.action,
        e.targetType ?? null,
        e.targetId ?? null,
        e.before === undefined ? null : JSON.stringify(e.before),
        e.after === undefined ? null : JSON.stringify(e.after),
        actor.ip ?? null,
        actor.requestId ?? null,
      ],
    );
  }

  async queryAudit(
    f: {
      actor?: string;
      action?: string;
      target_type?: string;
      target_id?: string;
      from?: string;
      to?: string;
      limit?: number;
    } = {},
  ) {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (f.actor) add('actor = ?', f.actor);
    if (f.action) add('action = ?', f.action);
    if (f.target_type) add('target_type = ?', f.target_type);
    if (f.target_id) add('target_id = ?', f.target_id);
    if (f.from) add('at >= ?', f.from);
    if (f.to) add('at < ?', f.to);
    args.push(Math.min(Math.max(f.limit ?? 200, 1), 100_000));
    const { rows } = await this.pool.query(
      `SELECT audit_id, at, actor, actor_role, action, target_type, target_id, before, after, ip, request_id, row_hash
       FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_id DESC LIMIT $${args.length}`,
      args,
    );
    return rows as {
      audit_id: number;
      at: Date;
      actor: string;
      actor_role: string;
      action: string;
      target_type: string | null;
      target_id: string | null;
      before: unknown;
      after: unknown;
      ip: string | null;
      request_id: string | null;
      row_hash: string;
    }[];
  }

  /** Null when the hash chain is intact, else the first audit_id that does not verify. */
  async verifyAudit(): Promise<{ rows: number; first_broken: number | null }> {
    const { rows } = await this.pool.query<{ first_broken: number | null; rows: number }>(
      'SELECT audit_log_verify() AS first_broken, (SELECT count(*)::int FROM audit_log) AS rows',
    );
    return rows[0]!;
  }

  // ---------------------------------------------------------------- consent (LGPD/GDPR)

  async recordConsent(
    c: { customer_id: string; purpose: string; granted: boolean; source: string },
    actor: Actor,
  ) {
    return this.tx(async (client) => {
      const { rows } = await client.query(
        `INSERT INTO consents (customer_id, purpose, granted, source, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [c.customer_id, c.purpose, c.granted, c.source, actor.name],
      );
      await this.appendAudit(
        actor,
        { action: 'consent.record', targetType: 'customer', targetId: c.customer_id, after: c },
        client,
      );
      return rows[0] as Record<string, unknown>;
    });
  }

  async consentsFor(customerId: string) {
    const { rows } = await this.pool.query(
      'SELECT * FROM consents WHERE customer_id = $1 ORDER BY recorded_at DESC, consent_id DESC',
      [customerId],
    );
    return rows as Record<string, unknown>[];
  }

  // ---------------------------------------------------------------- stats

  /**
   * The dashboard, computed from the store so every instance shows the same numbers: per-minute
   * transactions, decisions and alerts, latency percentiles, score histogram (20 bins), manual
   * review rate, case backlog and the active model and rule set versions.
   */
  async stats(minutes = 60) {
    const m = Math.min(Math.max(Math.trunc(minutes), 1), 24 * 60);
    const [series, alerts, totals, hist, active, backlog] = await Promise.all([
      this.pool.query(
        `SELECT date_trunc('minute', decided_at) AS minute, count(*)::int AS transactions,
           count(*) FILTER (WHERE decision = 'approve')::int AS approve,
           count(*) FILTER (WHERE decision = 'review')::int AS review,
           count(*) FILTER (WHERE decision = 'block')::int AS block,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
         FROM decisions WHERE decided_at >= now() - make_interval(mins => $1) GROUP BY 1 ORDER BY 1`,
        [m],
      ),
      this.pool.query(
        `SELECT date_trunc('minute', created_at) AS minute, count(*)::int AS alerts FROM alerts
         WHERE created_at >= now() - make_interval(mins => $1) GROUP BY 1 ORDER BY 1`,
        [m],
      ),
      this.pool.query(
        `SELECT count(*)::int AS transactions,
           count(*) FILTER (WHERE decision = 'approve')::int AS approve,
           count(*) FILTER (WHERE decision = 'review')::int AS review,
           count(*) FILTER (WHERE decision = 'block')::int AS block,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS latency
         FROM decisions WHERE decided_at >= now() - make_interval(mins => $1)`,
        [m],
      ),
      this.pool.query(
        `SELECT least(width_bucket(score, 0, 1, 20), 20) AS bin, count(*)::int AS n FROM decisions
         WHERE decided_at >= now() - make_interval(mins => $1) GROUP BY 1 ORDER BY 1`,
        [m],
      ),
      this.pool.query(
        `SELECT model_version, rule_set_version, feature_set_version, decided_at FROM decisions
         ORDER BY decided_at DESC LIMIT 1`,
      ),
      this.pool.query(
        `SELECT count(*) FILTER (WHERE status <> 'closed')::int AS open,
           count(*) FILTER (WHERE status <> 'closed' AND sla_due_at < now())::int AS sla_breached,
           count(*) FILTER (WHERE status = 'closed' AND closed_at >= now() - make_interval(mins => $1))::int AS closed_in_window
         FROM cases`,
        [m],
      ),
    ]);
    const t = totals.rows[0] as {
      transactions: number;
      approve: number;
      review: number;
      block: number;
      latency: number[] | null;
    };
    const histogram = Array.from({ length: 20 }, (_, i) => ({ from: i / 20, to: (i + 1) / 20, count: 0 }));
    for (const r of hist.rows as { bin: number; n: number }[]) {
      const i = Math.min(Math.max(r.bin - 1, 0), 19);
      histogram[i]!.count += r.n;
    }
    const alertsByMinute = new Map(
      (alerts.rows as { minute: Date; alerts: number }[]).map((r) => [r.minute.getTime(), r.alerts]),
    );
    const alertTotal = [...alertsByMinute.values()].reduce((a, b) => a + b, 0);
    return {
      window_minutes: m,
      generated_at: new Date().toISOString(),
      totals: {
        transactions: t.transactions,
        alerts: alertTotal,
        decisions: { approve: t.approve, review: t.review, block: t.block },
        manual_review_rate: t.transactions ? t.review / t.transactions : 0,
        block_rate: t.transactions ? t.block / t.transactions : 0,
        latency_ms: t.latency
          ? { p50: t.latency[0] ?? null, p95: t.latency[1] ?? null, p99: t.latency[2] ?? null }
          : { p50: null, p95: null, p99: null },
      },
      series: (
        series.rows as {
          minute: Date;
          transactions: number;
          approve: number;
          review: number;
          block: number;
          p50: number;
          p99: number;
        }[]
      ).map((r) => ({
        minute: r.minute.toISOString(),
        transactions: r.transactions,
        approve: r.approve,
        review: r.review,
        block: r.block,
        alerts: alertsByMinute.get(r.minute.getTime()) ?? 0,
        latency_p50_ms: r.p50,
        latency_p99_ms: r.p99,
      })),
      score_histogram: histogram,
      active: active.rows[0]
        ? {
            model_version: active.rows[0].model_version as string,
            rule_set_version: (active.rows[0].rule_set_version as string | null) ?? null,
            feature_set_version: (active.rows[0].feature_set_version as string | null) ?? null,
            last_decision_at: iso(active.rows[0].decided_at as Date),
          }
        : null,
      cases: backlog.rows[0] as { open: number; sla_breached: number; closed_in_window: number },
    };
  }

  /** Hit rate per rule over the window, with how many hits were later labelled fraud. */
  async ruleStats(minutes = 60) {
    const m = Math.min(Math.max(Math.trunc(minutes), 1), 7 * 24 * 60);
    const [rules, total, versions] = await Promise.all([
      this.pool.query(
        `SELECT h->>'rule_id' AS rule_id, count(*)::int AS hits, bool_or(coalesce((h->>'shadow')::boolean, false)) AS shadow,
           mode() WITHIN GROUP (ORDER BY h->>'action') AS action, mode() WITHIN GROUP (ORDER BY h->>'reason') AS reason,
           count(l.is_fraud)::int AS labelled, count(*) FILTER (WHERE l.is_fraud)::int AS labelled_fraud
         FROM decisions d CROSS JOIN LATERAL jsonb_array_elements(d.rule_hits) h
         LEFT JOIN LATERAL (SELECT is_fraud FROM labels WHERE transaction_id = d.transaction_id
                            ORDER BY labeled_at DESC LIMIT 1) l ON true
         WHERE d.decided_at >= now() - make_interval(mins => $1)
         GROUP BY 1 ORDER BY hits DESC`,
        [m],
      ),
      this.pool.query(
        `SELECT count(*)::int AS n FROM decisions WHERE decided_at >= now() - make_interval(mins => $1)`,
        [m],
      ),
      this.pool.query(
        `SELECT rule_set_version, count(*)::int AS decisions, max(decided_at) AS last_seen FROM decisions
         WHERE decided_at >= now() - make_interval(mins => $1) GROUP BY 1 ORDER BY last_seen DESC`,
        [m],
      ),
    ]);
    const n = (total.rows[0] as { n: number }).n;
    return {
      window_minutes: m,
      decisions: n,
      active_rule_set_version: (versions.rows[0]?.rule_set_version as string | undefined) ?? null,
      versions: versions.rows,
      rules: (
        rules.rows as { rule_id: string; hits: number; labelled: number; labelled_fraud: number }[]
      ).map((r) => ({
        ...r,
        hit_rate: n ? r.hits / n : 0,
        precision: r.labelled ? r.labelled_fraud / r.labelled : null,
      })),
    };
  }
}

function toListEntry(r: Record<string, unknown>): ListEntry {
  return {
    kind: r['kind'] as ListKind,
    entity: r['entity'] as ListEntity,
    value: r['value'] as string,
    ...(r['expires_at'] ? { expires_at: iso(r['expires_at'] as Date) } : {}),
    ...(r['reason'] ? { reason: r['reason'] as string } : {}),
    added_at: iso(r['added_at'] as Date),
    ...(r['added_by'] ? { added_by: r['added_by'] as string } : {}),
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

export async function openStore(options: StoreOptions): Promise<PgStore> {
  return PgStore.open(options);
}
