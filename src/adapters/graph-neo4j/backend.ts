/**
 * The entity graph in Neo4j 5 (`NEO4J_URI`), over Bolt with the official `neo4j-driver`.
 * Writes are batched `UNWIND … MERGE` statements, idempotent per transaction id: Transaction
 * nodes record which transactions were applied, so a replay updates no counter. Rings and
 * cluster sizes run the same pure component analysis as the embedded graph over edges
 * streamed out of Neo4j (Community edition has no Graph Data Science library).
 */
import neo4j, { type Driver, type Session } from 'neo4j-driver';
import type { Label, Transaction } from '../../core/contracts/index.ts';
import { FraudError } from '../../core/errors/index.ts';
import {
  type AnalysisResult,
  analyzeComponents,
  BARE_ID_ORDER,
  dedupeRows,
  type EntityRef,
  edgeId,
  type GraphBackend,
  type GraphPath,
  type GraphRow,
  type GraphStats,
  type GraphView,
  type IdentityEdge,
  type NeighbourhoodOptions,
  NODE_KEYS,
  type NodeLabel,
  nodeId,
  type PathOptions,
  type RelType,
  type Ring,
  type RingOptions,
  type SharedDevice,
  type SharedDeviceOptions,
  sortView,
  toGraphRow,
  type ViewEdge,
  type ViewNode,
  type WriteResult,
} from '../../core/graph/index.ts';
import { clampDepth } from '../graph-memory/index.ts';

/** Constraints and indexes created by `bin/fraud graph migrate` (all idempotent). */
export const MIGRATIONS: readonly string[] = Object.freeze([
  'CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (n:Customer) REQUIRE n.customer_id IS UNIQUE',
  'CREATE CONSTRAINT card_id IF NOT EXISTS FOR (n:Card) REQUIRE n.card_id IS UNIQUE',
  'CREATE CONSTRAINT device_id IF NOT EXISTS FOR (n:Device) REQUIRE n.device_id IS UNIQUE',
  'CREATE CONSTRAINT merchant_id IF NOT EXISTS FOR (n:Merchant) REQUIRE n.merchant_id IS UNIQUE',
  'CREATE CONSTRAINT ip_address IF NOT EXISTS FOR (n:IP) REQUIRE n.ip_address IS UNIQUE',
  'CREATE CONSTRAINT transaction_id IF NOT EXISTS FOR (n:Transaction) REQUIRE n.transaction_id IS UNIQUE',
  // Signal refresh and analyst look-ups: fraud flags, ring membership; retention by timestamp.
  'CREATE INDEX card_fraud IF NOT EXISTS FOR (n:Card) ON (n.fraud)',
  'CREATE INDEX device_fraud IF NOT EXISTS FOR (n:Device) ON (n.fraud)',
  'CREATE INDEX ip_fraud IF NOT EXISTS FOR (n:IP) ON (n.fraud)',
  'CREATE INDEX customer_fraud IF NOT EXISTS FOR (n:Customer) ON (n.fraud)',
  'CREATE INDEX card_cluster_size IF NOT EXISTS FOR (n:Card) ON (n.cluster_size)',
  'CREATE INDEX card_ring_id IF NOT EXISTS FOR (n:Card) ON (n.ring_id)',
  // No query filters USED_ON by last_seen, and the index cost every write a relationship-index
  // update (about a quarter of the commit, measured); databases migrated before lose it here.
  'DROP INDEX used_on_last_seen IF EXISTS',
  'CREATE INDEX transaction_timestamp IF NOT EXISTS FOR (n:Transaction) ON (n.timestamp)',
]);

/**
 * The batched write: a few set-based statements in ONE Neo4j transaction per writer.
 *
 * Rows are pre-aggregated in TypeScript — one row per distinct relationship, increments
 * counted over the batch's new transactions only — so each MERGE runs once per batch instead
 * of once per transaction. Measured on this machine (docs/benchmarks.md, `## Graph`), the
 * write costs what its index seeks and property writes cost, so the statements do as few as
 * possible:
 *  - the Transaction MERGE both applies the transaction and tells which ids were already
 *    applied (one index seek per transaction, not two);
 *  - each relationship statement MERGEs its two endpoint nodes itself (no separate node
 *    statements: the same seeks would be done twice);
 *  - rows are sorted by the shared endpoint's key, so concurrent writers take the locks on
 *    shared devices, merchants and IPs in the same order (fewer deadlocks, see `writers`).
 */
export const WRITE_STEPS = {
  /**
   * Applies the batch's Transaction nodes and returns the ids that were already applied
   * (replays) or that carry a confirmed-fraud label from a stub. `fresh` = the node had no
   * timestamp yet: new, or a stub a label created before its transaction arrived. MERGE locks
   * each id's unique-index entry until commit, so two writers racing on one transaction (a
   * rebalance) serialise and the second sees it applied. Rows: `TransactionRow`.
   */
  transactions: `UNWIND $rows AS r
    MERGE (t:Transaction {transaction_id: r[0]})
    WITH r, t, t.timestamp IS NULL AS fresh
    FOREACH (_ IN CASE WHEN fresh THEN [1] ELSE [] END |
      SET t.timestamp = datetime({epochMillis: toInteger(r[1])}), t.amount = r[2], t.currency = r[3],
          t.status = r[4], t.card_id = r[5], t.customer_id = r[6], t.device_id = r[7],
          t.ip_address = r[8], t.merchant_id = r[9])
    WITH r, t, fresh WHERE NOT fresh OR t.fraud = true
    RETURN r[0] AS id, fresh, t.fraud = true AS fraud`,
  /** Rows: [customer_id, card_id, first ms]. */
  owns: `UNWIND $rows AS e MERGE (cu:Customer {customer_id: e[0]}) MERGE (c:Card {card_id: e[1]})
    WITH cu, c, datetime({epochMillis: toInteger(e[2])}) AS first
    MERGE (cu)-[o:OWNS]->(c) ON CREATE SET o.since = first
    WITH o, first WHERE first < o.since
    SET o.since = first`,
  /** Rows: [card_id, device_id, first ms, last ms, new transactions]. */
  usedOn: `UNWIND $rows AS e MERGE (c:Card {card_id: e[0]}) MERGE (d:Device {device_id: e[1]})
    WITH c, d, e, datetime({epochMillis: toInteger(e[2])}) AS first, datetime({epochMillis: toInteger(e[3])}) AS last
    MERGE (c)-[u:USED_ON]->(d) ON CREATE SET u.count = 0, u.first_seen = first, u.last_seen = last
    SET u.count = u.count + toInteger(e[4]), u.last_seen = CASE WHEN last > u.last_seen THEN last ELSE u.last_seen END
    FOREACH (_ IN CASE WHEN first < u.first_seen THEN [1] ELSE [] END | SET u.first_seen = first)`,
  /** Rows: [card_id, merchant_id, last ms, new transactions, their amount, category, country]. */
  transactedAt: `UNWIND $rows AS e MERGE (c:Card {card_id: e[0]}) MERGE (m:Merchant {merchant_id: e[1]})
      ON CREATE SET m.category = e[5], m.country = e[6]
    WITH c, m, e, datetime({epochMillis: toInteger(e[2])}) AS last
    MERGE (c)-[x:TRANSACTED_AT]->(m) ON CREATE SET x.count = 0, x.amount = 0.0, x.last_seen = last
    SET x.count = x.count + toInteger(e[3]), x.amount = x.amount + e[4],
        x.last_seen = CASE WHEN last > x.last_seen THEN last ELSE x.last_seen END`,
  /** Rows: [device_id, ip_address, last ms, new transactions]. */
  seenFrom: `UNWIND $rows AS e MERGE (d:Device {device_id: e[0]}) MERGE (ip:IP {ip_address: e[1]})
    WITH d, ip, e, datetime({epochMillis: toInteger(e[2])}) AS last
    MERGE (d)-[s:SEEN_FROM]->(ip) ON CREATE SET s.count = 0, s.last_seen = last
    SET s.count = s.count + toInteger(e[3]), s.last_seen = CASE WHEN last > s.last_seen THEN last ELSE s.last_seen END`,
  /** Rows: [card_id, device_id, ip_address, customer_id]. */
  flag: `UNWIND $rows AS r
    MATCH (c:Card {card_id: r[0]}) MATCH (d:Device {device_id: r[1]})
    MATCH (ip:IP {ip_address: r[2]}) MATCH (cu:Customer {customer_id: r[3]})
    SET c.fraud = true, d.fraud = true, ip.fraud = true, cu.fraud = true`,
} as const;

/**
 * The rows the statements take are positional lists, not maps: Bolt packs a map's keys with
 * every row, so a map row sent each key string again per transaction, and Neo4j unpacked it
 * again (measured in docs/benchmarks.md, `## Graph`). The Cypher names each position once.
 */
export type TransactionRow = readonly [
  transaction_id: string,
  ts: number,
  amount: number,
  currency: string,
  status: string,
  card_id: string,
  customer_id: string,
  device_id: string,
  ip_address: string,
  merchant_id: string,
];

/** The statements of one batch after its Transaction MERGE, with their rows, in lock order. */
export function relationSteps(
  rows: readonly GraphRow[],
  fresh: ReadonlySet<string>,
  flagged: ReadonlySet<string>,
): [name: keyof typeof WRITE_STEPS, cypher: string, rows: unknown[][]][] {
  const merchants = new Map(rows.map((r) => [r.merchant_id, r]));
  const steps: [keyof typeof WRITE_STEPS, string, unknown[][]][] = [
    [
      'owns',
      WRITE_STEPS.owns,
      aggregate(rows, fresh, (r) => [r.customer_id, r.card_id]).map((e) => [e.a, e.b, e.first]),
    ],
    [
      'usedOn',
      WRITE_STEPS.usedOn,
      aggregate(rows, fresh, (r) => [r.card_id, r.device_id]).map((e) => [e.a, e.b, e.first, e.last, e.inc]),
    ],
    [
      'seenFrom',
      WRITE_STEPS.seenFrom,
      aggregate(rows, fresh, (r) => [r.device_id, r.ip_address]).map((e) => [e.a, e.b, e.last, e.inc]),
    ],
    // Last: merchants are the most shared nodes, and a lock is held until commit.
    [
      'transactedAt',
      WRITE_STEPS.transactedAt,
      aggregate(rows, fresh, (r) => [r.card_id, r.merchant_id]).map((e) => {
        const m = merchants.get(e.b) as GraphRow;
        return [e.a, e.b, e.last, e.inc, e.amount, m.merchant_category, m.merchant_country];
      }),
    ],
  ];
  // A confirmed-fraud label that arrived before its transaction flags the entities now.
  const toFlag = rows.filter((r) => flagged.has(r.transaction_id));
  if (toFlag.length > 0)
    steps.push([
      'flag',
      WRITE_STEPS.flag,
      toFlag.map((r) => [r.card_id, r.device_id, r.ip_address, r.customer_id]),
    ]);
  return steps;
}

export function transactionRows(rows: readonly GraphRow[]): TransactionRow[] {
  return rows.map((r) => [
    r.transaction_id,
    r.ts,
    r.amount,
    r.currency,
    r.status,
    r.card_id,
    r.customer_id,
    r.device_id,
    r.ip_address,
    r.merchant_id,
  ]);
}

/**
 * When a warm-up may stop: once the median of the last `window` batches is no more than 10 %
 * faster than the median of the `window` before (the write path has stopped speeding up). A
 * warm Neo4j stops after 2 × `window` batches; a cold one runs on while JIT compilation still
 * speeds the batches up (measured: from 600 to about 200 ms per 1,000 over some 25 batches).
 */
export function warmedUp(took: readonly number[], window = 5): boolean {
  if (took.length < 2 * window) return false;
  const median = (xs: readonly number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] as number;
  };
  return median(took.slice(-window)) >= 0.9 * median(took.slice(-2 * window, -window));
}

/** Labels: a stub Transaction node keeps a label that arrives before its transaction. */
export const APPLY_LABELS = `
UNWIND $labels AS l
MERGE (t:Transaction {transaction_id: l.transaction_id})
SET t.fraud = CASE WHEN t.fraud = true THEN true ELSE l.is_fraud END, t.labeled_at = l.labeled_at
WITH t, l WHERE l.is_fraud AND t.card_id IS NOT NULL
MATCH (c:Card {card_id: t.card_id}), (d:Device {device_id: t.device_id}),
      (ip:IP {ip_address: t.ip_address}), (cu:Customer {customer_id: t.customer_id})
SET c.fraud = true, d.fraud = true, ip.fraud = true, cu.fraud = true`;

interface EdgeAgg {
  a: string;
  b: string;
  first: number;
  last: number;
  inc: number;
  amount: number;
}

/**
 * One row per distinct relationship: min/max times over all rows, counts over new rows only.
 * Sorted by `b`, the endpoint writers share (device, merchant, IP; the customer for OWNS), so
 * concurrent transactions lock shared nodes in the same order.
 */
export function aggregate(
  rows: readonly GraphRow[],
  fresh: ReadonlySet<string>,
  pick: (r: GraphRow) => [string, string],
): EdgeAgg[] {
  const byPair = new Map<string, EdgeAgg>();
  for (const r of rows) {
    const [a, b] = pick(r);
    const k = `${a}\u0000${b}`;
    const isNew = fresh.has(r.transaction_id);
    const e = byPair.get(k);
    if (!e)
      byPair.set(k, { a, b, first: r.ts, last: r.ts, inc: isNew ? 1 : 0, amount: isNew ? r.amount : 0 });
    else {
      if (r.ts < e.first) e.first = r.ts;
      if (r.ts > e.last) e.last = r.ts;
      if (isNew) {
        e.inc++;
        e.amount += r.amount;
      }
    }
  }
  return [...byPair.values()].sort((x, y) => (x.b < y.b ? -1 : x.b > y.b ? 1 : x.a < y.a ? -1 : 1));
}

/**
 * Splits a batch into `n` parts by customer (FNV-1a of customer_id): a customer's cards, its
 * OWNS relationships and, mostly, its devices and IPs land in one part, so concurrent writers
 * rarely wait on each other's locks (splitting by card measured slower: a customer's cards in
 * two parts both lock the Customer node). Shared merchants and ring devices still can, and the
 * sorted rows keep the lock order the same.
 */
export function partitionByCustomer<T extends { readonly customer_id: string }>(
  rows: readonly T[],
  n: number,
): T[][] {
  if (n <= 1) return [rows.slice()];
  const parts: T[][] = Array.from({ length: n }, () => []);
  for (const r of rows) {
    let h = 0x811c9dc5;
    for (let i = 0; i < r.customer_id.length; i++) h = Math.imul(h ^ r.customer_id.charCodeAt(i), 0x01000193);
    parts[(h >>> 0) % n]!.push(r);
  }
  return parts.filter((p) => p.length > 0);
}

/** The brief's query, with its threshold as a parameter and a stable order. */
export const SHARED_DEVICES = `
MATCH (c:Card)-[:USED_ON]->(d:Device)
WITH d, collect(distinct c.card_id) AS cards
WHERE size(cards) > $moreThan
RETURN d.device_id AS device_id, cards
ORDER BY size(cards) DESC, device_id
LIMIT $limit`;

const IDENTITY_EDGES = `
MATCH (cu:Customer)-[:OWNS]->(c:Card) RETURN 'Customer:' + cu.customer_id AS a, 'Card:' + c.card_id AS b
UNION ALL
MATCH (c:Card)-[:USED_ON]->(d:Device) RETURN 'Card:' + c.card_id AS a, 'Device:' + d.device_id AS b
UNION ALL
MATCH (d:Device)-[:SEEN_FROM]->(ip:IP) RETURN 'Device:' + d.device_id AS a, 'IP:' + ip.ip_address AS b`;

const IDENTITY_NODES = `
MATCH (n:Card) RETURN 'Card:' + n.card_id AS id, n.fraud = true AS fraud
UNION ALL MATCH (n:Device) RETURN 'Device:' + n.device_id AS id, n.fraud = true AS fraud
UNION ALL MATCH (n:Customer) RETURN 'Customer:' + n.customer_id AS id, n.fraud = true AS fraud
UNION ALL MATCH (n:IP) RETURN 'IP:' + n.ip_address AS id, n.fraud = true AS fraud`;

/** Cypher expression giving a node's `Label:key` id (every node has exactly one label). */
const NODE_ID = (v: string) =>
  `labels(${v})[0] + ':' + coalesce(${v}.card_id, ${v}.customer_id, ${v}.device_id, ${v}.ip_address, ${v}.merchant_id, ${v}.transaction_id)`;

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

export interface Neo4jGraphOptions {
  readonly uri: string;
  readonly user?: string;
  readonly password?: string;
  /** Database name. Default `neo4j`. */
  readonly database?: string;
  /** Per-query timeout, ms. Default 30 000. */
  readonly queryTimeoutMs?: number;
  /** Connection acquisition timeout, ms: how long a write waits while Neo4j is down. Default 5 000. */
  readonly connectTimeoutMs?: number;
  /**
   * Concurrent write transactions per batch, on parts split by customer. Default 1 (the whole
   * batch in one transaction). A Cypher query runs on one server thread, so more writers can
   * use more server cores; on the 2 shared cores measured here, 2 writers were slower than 1
   * (docs/benchmarks.md, `## Graph`). Try 2–4 when Neo4j has cores of its own.
   */
  readonly writers?: number;
}

export function createDriver(options: Neo4jGraphOptions): Driver {
  const auth =
    options.user && options.password ? neo4j.auth.basic(options.user, options.password) : undefined;
  return neo4j.driver(options.uri, auth, {
    disableLosslessIntegers: true,
    connectionTimeout: options.connectTimeoutMs ?? 5_000,
    connectionAcquisitionTimeout: options.connectTimeoutMs ?? 5_000,
    maxTransactionRetryTime: 5_000,
  });
}

export class Neo4jGraph implements GraphBackend {
  readonly kind = 'neo4j' as const;
  readonly driver: Driver;
  private readonly database: string;
  private readonly timeout: number;
  private readonly writers: number;

  constructor(options: Neo4jGraphOptions, driver?: Driver) {
    this.driver = driver ?? createDriver(options);
    this.database = options.database ?? 'neo4j';
    this.timeout = options.queryTimeoutMs ?? 30_000;
    this.writers = Math.max(1, Math.trunc(options.writers ?? 1));
  }

  private session(mode: 'READ' | 'WRITE'): Session {
    return this.driver.session({
      database: this.database,
      defaultAccessMode: mode === 'READ' ? neo4j.session.READ : neo4j.session.WRITE,
    });
  }

  /** Runs one statement in a managed transaction (transient errors are retried by the driver). */
  private async run<T = Record<string, unknown>>(
    mode: 'READ' | 'WRITE',
    cypher: string,
    params: Record<string, unknown> = {},
  ): Promise<T[]> {
    const session = this.session(mode);
    try {
      const work = async (tx: { run: Session['run'] }) => {
        const res = await tx.run(cypher, params);
        return res.records.map((r) => r.toObject() as T);
      };
      const config = { timeout: this.timeout };
      return mode === 'READ'
        ? await session.executeRead(work, config)
        : await session.executeWrite(work, config);
    } catch (err) {
      throw wrapNeo4jError(err);
    } finally {
      await session.close();
    }
  }

  /** Streams a read query record by record (large exports). */
  private async stream(cypher: string, onRecord: (r: Record<string, unknown>) => void): Promise<void> {
    const session = this.session('READ');
    try {
      await session.executeRead(async (tx) => {
        for await (const rec of tx.run(cypher)) onRecord(rec.toObject());
      });
    } catch (err) {
      throw wrapNeo4jError(err);
    } finally {
      await session.close();
    }
  }

  async migrate(): Promise<string[]> {
    for (const statement of MIGRATIONS) {
      const session = this.session('WRITE');
      try {
        await session.run(statement);
      } catch (err) {
        throw wrapNeo4jError(err);
      } finally {
        await session.close();
      }
    }
    await this.run('READ', 'CALL db.awaitIndexes(300)');
    return [...MIGRATIONS];
  }

  /**
   * Upserts a batch, idempotent per transaction id. With `writers` > 1 the batch is split by
   * customer and the parts are written concurrently, one Neo4j transaction each: a Cypher query
   * runs on one server thread, so this is how the write uses more than one core. Each part
   * is all or nothing; a failed part fails the call, and writing the batch again is a replay
   * of the parts that landed (the graph service retries the whole batch).
   */
  async write(transactions: readonly Transaction[]): Promise<WriteResult> {
    const rows = dedupeRows(transactions.map(toGraphRow));
    if (rows.length === 0) return { rows: 0, created: 0 };
    const parts = partitionByCustomer(rows, this.writers);
    const results = await Promise.all(parts.map((part) => this.writePart(part)));
    return { rows: rows.length, created: results.reduce((n, r) => n + r, 0) };
  }

  /**
   * Warms a freshly started Neo4j up for the write path: runs the batch write on each of
   * `batches` in a transaction that is rolled back, so nothing is written. A cold JVM
   * interprets and compiles the write path for its first minute or so of work; measured here,
   * the graph service then wrote 1,000–3,600 tx/s where a warm one writes 5,000–9,000
   * (docs/benchmarks.md, `## Graph`). Stops early once `until(ms of each batch so far)` says
   * so. Returns each batch's milliseconds and how many transactions it would have created.
   * The batches should use ids of their own: their MERGEs lock what they touch until the
   * rollback.
   */
  async warmUp(
    batches: readonly (readonly Transaction[])[],
    options: { until?: (took: readonly number[]) => boolean } = {},
  ): Promise<{ ms: number; created: number }[]> {
    const took: number[] = [];
    const created: number[] = [];
    for (const batch of batches) {
      if (options.until?.(took)) break;
      const rows = dedupeRows(batch.map(toGraphRow));
      const session = this.session('WRITE');
      const started = performance.now();
      const tx = session.beginTransaction({ timeout: this.timeout });
      try {
        created.push(await this.writeSteps(tx, rows));
      } catch (err) {
        throw wrapNeo4jError(err);
      } finally {
        await tx.rollback().catch(() => {});
        await session.close();
      }
      took.push(performance.now() - started);
    }
    return took.map((ms, i) => ({ ms, created: created[i] ?? 0 }));
  }

  /** One part of a batch in one transaction; returns how many transactions were new. */
  private async writePart(rows: readonly GraphRow[]): Promise<number> {
    const session = this.session('WRITE');
    try {
      return await session.executeWrite((tx) => this.writeSteps(tx, rows), { timeout: this.timeout });
    } catch (err) {
      throw wrapNeo4jError(err);
    } finally {
      await session.close();
    }
  }

  /** The write's statements in `tx`; returns how many transactions were new. */
  private async writeSteps(tx: { run: Session['run'] }, rows: readonly GraphRow[]): Promise<number> {
    const known = await tx.run(WRITE_STEPS.transactions, { rows: transactionRows(rows) });
    const applied = new Set<string>();
    const flagged = new Set<string>();
    for (const rec of known.records) {
      if (rec.get('fresh') !== true) applied.add(rec.get('id') as string);
      if (rec.get('fraud') === true) flagged.add(rec.get('id') as string);
    }
    const fresh = new Set(rows.filter((r) => !applied.has(r.transaction_id)).map((r) => r.transaction_id));
    // Sent back to back without waiting for each result: the driver pipelines statements
    // of one transaction on its connection, and the server runs them in order (locks on
    // shared nodes are taken in the same order by every writer: customers, devices, IPs,
    // merchants, each sorted).
    await Promise.all(
      relationSteps(rows, fresh, flagged).map(([, cypher, params]) =>
        tx.run(cypher, { rows: params }).summary(),
      ),
    );
    return fresh.size;
  }

  /**
   * Retention: deletes Transaction nodes whose timestamp is more than `olderThanMs` before the
   * newest transaction in the graph (event time, so replaying history or a simulator's old
   * timestamps does not empty the graph). Entities and relationships stay: counts, first/last
   * seen, rings and signals are aggregates and do not need the transactions. The case view of
   * a pruned transaction falls back to the stored transactions, and a pruned transaction
   * replayed later is counted again: keep this longer than the Kafka retention of
   * `enriched-transactions`. Label stubs (no timestamp) are kept. Deletes in batches of
   * `batchSize` (`CALL { } IN TRANSACTIONS`), so the heap never holds the whole set.
   */
  async prune(
    olderThanMs: number,
    options: { dryRun?: boolean; batchSize?: number } = {},
  ): Promise<{ newest: string | null; cutoff: string | null; deleted: number }> {
    const [head] = await this.run<{ newest: number | null }>(
      'READ',
      `MATCH (t:Transaction) WHERE t.timestamp IS NOT NULL
       RETURN t.timestamp.epochMillis AS newest ORDER BY t.timestamp DESC LIMIT 1`,
    );
    const newest = head?.newest ?? null;
    if (newest === null) return { newest: null, cutoff: null, deleted: 0 };
    const cutoff = newest - olderThanMs;
    const params = { cutoff: neo4j.int(cutoff) };
    const where = 'MATCH (t:Transaction) WHERE t.timestamp < datetime({epochMillis: $cutoff})';
    let deleted: number;
    if (options.dryRun) {
      const [r] = await this.run<{ n: number }>('READ', `${where} RETURN count(t) AS n`, params);
      deleted = r?.n ?? 0;
    } else {
      // CALL { } IN TRANSACTIONS needs an auto-commit transaction (session.run), not a managed one.
      const session = this.session('WRITE');
      try {
        const res = await session.run(
          `${where} CALL { WITH t DETACH DELETE t } IN TRANSACTIONS OF ${Math.trunc(options.batchSize ?? 10_000)} ROWS
           RETURN count(t) AS n`,
          params,
        );
        deleted = Number(res.records[0]?.get('n') ?? 0);
      } catch (err) {
        throw wrapNeo4jError(err);
      } finally {
        await session.close();
      }
    }
    return { newest: iso(newest), cutoff: iso(cutoff), deleted };
  }

  async applyLabels(labels: readonly Label[]): Promise<void> {
    if (labels.length === 0) return;
    await this.run('WRITE', APPLY_LABELS, {
      labels: labels.map((l) => ({
        transaction_id: l.transaction_id,
        is_fraud: l.is_fraud,
        labeled_at: l.labeled_at,
      })),
    });
  }

  async sharedDevices(options: SharedDeviceOptions = {}): Promise<SharedDevice[]> {
    const rows = await this.run<SharedDevice>('READ', SHARED_DEVICES, {
      moreThan: neo4j.int(options.moreThan ?? 3),
      limit: neo4j.int(clampDepth(options.limit, 100, 100_000)),
    });
    return rows.map((r) => ({ device_id: r.device_id, cards: [...r.cards].sort() }));
  }

  /** Every identity node, edge and fraud flag, streamed out of Neo4j. */
  async exportIdentity(): Promise<{ nodes: string[]; edges: IdentityEdge[]; fraud: Set<string> }> {
    const nodes: string[] = [];
    const fraud = new Set<string>();
    const edges: IdentityEdge[] = [];
    await this.stream(IDENTITY_NODES, (r) => {
      nodes.push(r['id'] as string);
      if (r['fraud'] === true) fraud.add(r['id'] as string);
    });
    await this.stream(IDENTITY_EDGES, (r) => edges.push([r['a'] as string, r['b'] as string]));
    return { nodes, edges, fraud };
  }

  async rings(options: RingOptions & { limit?: number } = {}): Promise<Ring[]> {
    const g = await this.exportIdentity();
    return analyzeComponents(g.nodes, g.edges, g.fraud, options).rings.slice(0, options.limit ?? 100);
  }

  async analyze(options: RingOptions = {}): Promise<AnalysisResult> {
    const started = performance.now();
    const g = await this.exportIdentity();
    const r = analyzeComponents(g.nodes, g.edges, g.fraud, options);
    const rows = [...r.cardClusterSize].map(([k, n]) => ({
      k,
      n,
      ring: r.cardRing.get(k) ?? null,
      score: r.cardRingScore.get(k) ?? 0,
    }));
    for (let i = 0; i < rows.length; i += 10_000) {
      await this.run(
        'WRITE',
        `UNWIND $rows AS r MATCH (c:Card {card_id: r.k})
         SET c.cluster_size = r.n, c.ring_id = r.ring, c.ring_score = r.score`,
        { rows: rows.slice(i, i + 10_000) },
      );
    }
    return {
      rings: r.rings,
      components: r.components,
      cards: r.cardClusterSize.size,
      hubs: r.hubs,
      tookMs: Math.round(performance.now() - started),
    };
  }

  async resolve(ref: { label: NodeLabel | null; key: string }): Promise<EntityRef | null> {
    for (const label of ref.label ? [ref.label] : BARE_ID_ORDER) {
      const rows = await this.run<{ n: number }>(
        'READ',
        `MATCH (n:${label} {${NODE_KEYS[label]}: $k}) RETURN count(n) AS n`,
        { k: ref.key },
      );
      if ((rows[0]?.n ?? 0) > 0) return { label, key: ref.key };
    }
    return null;
  }

  async path(from: EntityRef, to: EntityRef, options: PathOptions = {}): Promise<GraphPath | null> {
    const depth = clampDepth(options.maxDepth, 6, 10);
    const a = `(a:${from.label} {${NODE_KEYS[from.label]}: $a})`;
    const b = `(b:${to.label} {${NODE_KEYS[to.label]}: $b})`;
    if (from.label === to.label && from.key === to.key) {
      const rows = await this.run('READ', `MATCH ${a} RETURN 1 AS ok`, { a: from.key });
      return rows.length > 0 ? { nodes: [nodeId(from.label, from.key)], rels: [], length: 0 } : null;
    }
    if (depth === 0) return null;
    const rows = await this.run<{ nodes: string[]; rels: RelType[] }>(
      'READ',
      `MATCH ${a}, ${b}
       MATCH p = shortestPath((a)-[:OWNS|USED_ON|SEEN_FROM*..${depth}]-(b))
       RETURN [n IN nodes(p) | ${NODE_ID('n')}] AS nodes, [r IN relationships(p) | type(r)] AS rels`,
      { a: from.key, b: to.key },
    );
    const row = rows[0];
    return row ? { nodes: row.nodes, rels: row.rels, length: row.rels.length } : null;
  }

  async neighbourhood(transactionId: string, options: NeighbourhoodOptions = {}): Promise<GraphView | null> {
    const hops = clampDepth(options.hops, 1, 3);
    const limit = clampDepth(options.limit, 200, 5000);
    const head = await this.run<{
      t: {
        amount: number;
        currency: string;
        status: string;
        ts: number;
        fraud: boolean | null;
        merchant_id: string;
      };
      m: { category: string | null; country: string | null } | null;
    }>(
      'READ',
      `MATCH (t:Transaction {transaction_id: $id}) WHERE t.timestamp IS NOT NULL
       OPTIONAL MATCH (m:Merchant {merchant_id: t.merchant_id})
       RETURN t {.amount, .currency, .status, .fraud, .merchant_id, ts: t.timestamp.epochMillis} AS t,
              m {.category, .country} AS m`,
      { id: transactionId },
    );
    const h = head[0];
    if (!h) return null;
    const ranked = await this.run<{ id: string; dist: number; fraud: boolean }>(
      'READ',
      `MATCH (t:Transaction {transaction_id: $id})
       MATCH (c:Card {card_id: t.card_id}), (cu:Customer {customer_id: t.customer_id}),
             (d:Device {device_id: t.device_id}), (ip:IP {ip_address: t.ip_address})
       UNWIND [c, cu, d, ip] AS s
       MATCH p = (s)-[:OWNS|USED_ON|SEEN_FROM*0..${hops}]-(n)
       WITH n, min(length(p)) AS dist
       RETURN ${NODE_ID('n')} AS id, dist, coalesce(n.fraud, false) AS fraud
       ORDER BY dist, id LIMIT 50000`,
      { id: transactionId },
    );
    ranked.sort((a, b) => a.dist - b.dist || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const room = Math.max(0, limit - 2);
    const kept = ranked.slice(0, room);
    const keep = new Set(kept.map((r) => r.id));
    const keysOf = (label: string) =>
      kept.filter((r) => r.id.startsWith(`${label}:`)).map((r) => r.id.slice(label.length + 1));
    const txNode = nodeId('Transaction', transactionId);
    const merchantNode = nodeId('Merchant', h.t.merchant_id);
    const nodes: ViewNode[] = [
      {
        id: txNode,
        label: 'Transaction',
        key: transactionId,
        fraud: h.t.fraud === true,
        properties: {
          amount: h.t.amount,
          currency: h.t.currency,
          status: h.t.status,
          timestamp: iso(h.t.ts),
        },
      },
      {
        id: merchantNode,
        label: 'Merchant',
        key: h.t.merchant_id,
        fraud: false,
        properties: { category: h.m?.category ?? null, country: h.m?.country ?? null },
      },
    ];
    for (const r of kept) {
      const i = r.id.indexOf(':');
      nodes.push({
        id: r.id,
        label: r.id.slice(0, i) as NodeLabel,
        key: r.id.slice(i + 1),
        fraud: r.fraud,
        properties: {},
      });
    }
    const rels = await this.run<{
      a: string;
      type: RelType;
      b: string;
      count: number | null;
      amount: number | null;
      first: number | null;
      last: number | null;
      since: number | null;
    }>(
      'READ',
      `UNWIND $cards AS k MATCH (cu:Customer)-[r:OWNS]->(c:Card {card_id: k}) WHERE cu.customer_id IN $customers
         RETURN 'Customer:' + cu.customer_id AS a, 'OWNS' AS type, 'Card:' + k AS b, null AS count, null AS amount,
                null AS first, null AS last, r.since.epochMillis AS since
       UNION ALL
       UNWIND $cards AS k MATCH (c:Card {card_id: k})-[r:USED_ON]->(d:Device) WHERE d.device_id IN $devices
         RETURN 'Card:' + k AS a, 'USED_ON' AS type, 'Device:' + d.device_id AS b, r.count AS count, null AS amount,
                r.first_seen.epochMillis AS first, r.last_seen.epochMillis AS last, null AS since
       UNION ALL
       UNWIND $devices AS k MATCH (d:Device {device_id: k})-[r:SEEN_FROM]->(ip:IP) WHERE ip.ip_address IN $ips
         RETURN 'Device:' + k AS a, 'SEEN_FROM' AS type, 'IP:' + ip.ip_address AS b, r.count AS count, null AS amount,
                null AS first, r.last_seen.epochMillis AS last, null AS since
       UNION ALL
       UNWIND $cards AS k MATCH (c:Card {card_id: k})-[r:TRANSACTED_AT]->(m:Merchant {merchant_id: $merchant})
         RETURN 'Card:' + k AS a, 'TRANSACTED_AT' AS type, 'Merchant:' + m.merchant_id AS b, r.count AS count,
                r.amount AS amount, null AS first, r.last_seen.epochMillis AS last, null AS since`,
      {
        cards: keysOf('Card'),
        customers: keysOf('Customer'),
        devices: keysOf('Device'),
        ips: keysOf('IP'),
        merchant: h.t.merchant_id,
      },
    );
    const edges: ViewEdge[] = [];
    const txEntities = await this.run<{ ids: string[] }>(
      'READ',
      `MATCH (t:Transaction {transaction_id: $id})
       RETURN ['Card:' + t.card_id, 'Customer:' + t.customer_id, 'Device:' + t.device_id, 'IP:' + t.ip_address] AS ids`,
      { id: transactionId },
    );
    for (const id of [...(txEntities[0]?.ids ?? []), merchantNode]) {
      if (id === merchantNode || keep.has(id)) {
        edges.push({
          id: edgeId(txNode, 'INVOLVES', id),
          type: 'INVOLVES',
          source: txNode,
          target: id,
          properties: {},
        });
      }
    }
    for (const r of rels) {
      let properties: ViewEdge['properties'];
      if (r.type === 'OWNS') properties = { since: iso(r.since) };
      else if (r.type === 'USED_ON')
        properties = { count: r.count, first_seen: iso(r.first), last_seen: iso(r.last) };
      else if (r.type === 'SEEN_FROM') properties = { count: r.count, last_seen: iso(r.last) };
      else
        properties = {
          count: r.count,
          amount: Math.round((r.amount ?? 0) * 100) / 100,
          last_seen: iso(r.last),
        };
      edges.push({ id: edgeId(r.a, r.type, r.b), type: r.type, source: r.a, target: r.b, properties });
    }
    return sortView(nodes, edges, ranked.length > room);
  }

  async stats(): Promise<GraphStats> {
    const nodes: Record<string, number> = {};
    const relationships: Record<string, number> = {};
    for (const label of ['Card', 'Customer', 'Device', 'IP', 'Merchant', 'Transaction']) {
      const [r] = await this.run<{ n: number }>('READ', `MATCH (n:${label}) RETURN count(n) AS n`);
      nodes[label] = r?.n ?? 0;
    }
    for (const type of ['OWNS', 'USED_ON', 'TRANSACTED_AT', 'SEEN_FROM']) {
      const [r] = await this.run<{ n: number }>('READ', `MATCH ()-[r:${type}]->() RETURN count(r) AS n`);
      relationships[type] = r?.n ?? 0;
    }
    return { nodes, relationships };
  }

  /**
   * `bin/fraud graph query`: any Cypher in a READ transaction, so the server refuses writes
   * ("Writing in read access mode not allowed"). Values come back as plain JSON.
   */
  async query(cypher: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
    const rows = await this.run('READ', cypher, params);
    return rows.map((r) => toPlain(r) as Record<string, unknown>);
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/** Neo4j values (nodes, relationships, temporal, integers) as plain JSON. */
export function toPlain(v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (Array.isArray(v)) return v.map(toPlain);
  if (neo4j.isInt(v)) return (v as { toNumber(): number }).toNumber();
  if (typeof v !== 'object') return v;
  const o = v as Record<string, unknown> & { constructor?: { name?: string } };
  const kind = o.constructor?.name;
  if (kind === 'Node') return { labels: o['labels'], properties: toPlain(o['properties']) };
  if (kind === 'Relationship') return { type: o['type'], properties: toPlain(o['properties']) };
  if (kind === 'Path') return { segments: toPlain(o['segments']) };
  if (kind === 'PathSegment')
    return { start: toPlain(o['start']), relationship: toPlain(o['relationship']), end: toPlain(o['end']) };
  if (
    kind &&
    kind !== 'Object' &&
    typeof (o as { toString?: unknown }).toString === 'function' &&
    /Date|Time|Duration|Point/.test(kind)
  ) {
    return String(o);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = toPlain(x);
  return out;
}

/** Maps driver errors onto the catalogue: unreachable = retryable, Cypher errors = request errors. */
export function wrapNeo4jError(err: unknown): Error {
  if (err instanceof FraudError) return err;
  const e = err as { code?: string; message?: string; retriable?: boolean };
  const code = e.code ?? '';
  if (
    code === 'ServiceUnavailable' ||
    code === 'SessionExpired' ||
    code.startsWith('Neo.TransientError') ||
    e.retriable
  ) {
    return new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', `neo4j: ${e.message ?? code}`, { cause: err });
  }
  if (code.startsWith('Neo.ClientError')) {
    return new FraudError('FRAUD_REQUEST_INVALID', `neo4j: ${e.message ?? code}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
