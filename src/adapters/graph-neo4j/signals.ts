/**
 * Graph signals for the live decision when Neo4j is configured, WITHOUT a Neo4j round trip per
 * transaction (issue #6): `signalsFor` reads an in-process identity graph that is
 *  - updated synchronously by `observe(batch)` from this processor's own decided batches, and
 *  - refreshed every `refreshMs` from Neo4j with what other instances wrote: shared devices
 *    (2+ cards) with their cards, owners and IPs, confirmed-fraud flags, and the cluster sizes
 *    and ring scores the periodic analysis wrote onto Card nodes.
 * When the last successful refresh is older than `staleAfterMs`, `signalsFor` returns
 * `undefined` (the decision records the graph as missing and proceeds). A slow or dead Neo4j
 * therefore never slows a decision; it only ages the cache.
 */
import type { Driver } from 'neo4j-driver';
import type { Label, Transaction } from '../../core/contracts/index.ts';
import { IdentityGraph, toGraphRow } from '../../core/graph/index.ts';
import type { GraphSignalSource, GraphSignals } from '../../ports/graph-signals.ts';
import { wrapNeo4jError } from './backend.ts';

export interface Neo4jSignalOptions {
  /** Database name. Default `neo4j`. */
  readonly database?: string;
  /** Refresh period, ms. Default 30 000. 0 = no timer (call `refresh()` yourself). */
  readonly refreshMs?: number;
  /** Signals are withheld once the last good refresh is older than this, ms. Default 120 000. */
  readonly staleAfterMs?: number;
  /** Transactions remembered locally for labels. Default 1 000 000. */
  readonly maxTransactions?: number;
  /** Rows pulled per refresh query at most. Default 500 000. */
  readonly maxRows?: number;
  /** Called when a refresh fails (it is retried on the next tick). */
  readonly onError?: (err: Error) => void;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

const SHARED_DEVICE_CARDS = `
MATCH (d:Device)<-[:USED_ON]-(:Card)
WITH d, count(*) AS n WHERE n > 1
MATCH (d)<-[u:USED_ON]-(c:Card)
OPTIONAL MATCH (cu:Customer)-[:OWNS]->(c)
RETURN d.device_id AS device, c.card_id AS card, u.last_seen.epochMillis AS last,
       collect(cu.customer_id) AS owners,
       [(d)-[s:SEEN_FROM]->(ip:IP) | [ip.ip_address, s.last_seen.epochMillis]] AS ips
LIMIT $max`;

const FRAUD_FLAGS = `
MATCH (n:Card) WHERE n.fraud = true RETURN 'Card' AS label, n.card_id AS key
UNION ALL MATCH (n:Device) WHERE n.fraud = true RETURN 'Device' AS label, n.device_id AS key
UNION ALL MATCH (n:IP) WHERE n.fraud = true RETURN 'IP' AS label, n.ip_address AS key
UNION ALL MATCH (n:Customer) WHERE n.fraud = true RETURN 'Customer' AS label, n.customer_id AS key`;

const ANALYSIS = `
MATCH (c:Card) WHERE c.cluster_size > 1
RETURN c.card_id AS card, c.cluster_size AS size, coalesce(c.ring_score, 0.0) AS score, c.ring_id AS ring
LIMIT $max`;

export class Neo4jGraphSignals implements GraphSignalSource {
  readonly kind = 'neo4j' as const;
  readonly graph: IdentityGraph;
  /** Epoch ms of the last successful refresh; 0 = never. */
  lastRefresh = 0;
  refreshes = 0;
  failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;
  private readonly driver: Driver;
  private readonly ownsDriver: boolean;
  private readonly options: Neo4jSignalOptions;
  private readonly now: () => number;

  constructor(driver: Driver, options: Neo4jSignalOptions = {}, ownsDriver = true) {
    this.driver = driver;
    this.ownsDriver = ownsDriver;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.graph = new IdentityGraph({ maxTransactions: options.maxTransactions ?? 1_000_000 });
  }

  /** Starts the refresh timer (first refresh now, not awaited). */
  start(): this {
    const every = this.options.refreshMs ?? 30_000;
    void this.refresh().catch(() => {});
    if (every > 0) {
      this.timer = setInterval(() => void this.refresh().catch(() => {}), every);
      this.timer.unref();
    }
    return this;
  }

  get stale(): boolean {
    return this.now() - this.lastRefresh > (this.options.staleAfterMs ?? 120_000);
  }

  signalsFor(transaction: Transaction): GraphSignals | undefined {
    if (this.stale) return undefined;
    return this.graph.signalsFor(transaction);
  }

  async observe(batch: readonly { readonly transaction: Transaction }[]): Promise<void> {
    this.graph.write(batch.map((e) => toGraphRow(e.transaction)));
  }

  /** Confirmed-fraud labels seen by this process (Neo4j's flags arrive with the next refresh). */
  async addLabels(labels: readonly Label[]): Promise<void> {
    this.graph.applyLabels(labels);
  }

  /** Pulls the shared part of the graph from Neo4j into the local cache. One at a time. */
  refresh(): Promise<void> {
    this.inFlight ??= this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<void> {
    const max = Math.trunc(this.options.maxRows ?? 500_000);
    const session = this.driver.session({
      database: this.options.database ?? 'neo4j',
      defaultAccessMode: 'READ',
    });
    try {
      const { default: neo4j } = await import('neo4j-driver');
      const params = { max: neo4j.int(max) };
      const [shared, flags, analysis] = await session.executeRead(async (tx) => [
        (await tx.run(SHARED_DEVICE_CARDS, params)).records.map((r) => r.toObject()),
        (await tx.run(FRAUD_FLAGS)).records.map((r) => r.toObject()),
        (await tx.run(ANALYSIS, params)).records.map((r) => r.toObject()),
      ]);
      const num = (v: unknown) =>
        typeof v === 'number' ? v : neo4j.isInt(v) ? (v as { toNumber(): number }).toNumber() : Number(v);
      for (const r of shared) {
        const device = r['device'] as string;
        const card = r['card'] as string;
        this.graph.mergeEdge('USED_ON', card, device, num(r['last']));
        for (const owner of r['owners'] as string[])
          this.graph.mergeEdge('OWNS', owner, card, num(r['last']));
        for (const [ip, last] of r['ips'] as [string, unknown][])
          this.graph.mergeEdge('SEEN_FROM', device, ip, num(last));
      }
      for (const f of flags) this.graph.fraud.add(`${f['label'] as string}:${f['key'] as string}`);
      const cluster = new Map<string, number>();
      const score = new Map<string, number>();
      const ring = new Map<string, string>();
      for (const a of analysis) {
        const card = a['card'] as string;
        cluster.set(card, num(a['size']));
        if (num(a['score']) > 0) score.set(card, num(a['score']));
        if (a['ring']) ring.set(card, a['ring'] as string);
      }
      this.graph.applyAnalysis(cluster, score, ring);
      this.lastRefresh = this.now();
      this.refreshes++;
    } catch (err) {
      this.failures++;
      const e = wrapNeo4jError(err);
      this.options.onError?.(e);
      throw e;
    } finally {
      await session.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight?.catch(() => {});
    if (this.ownsDriver) await this.driver.close();
  }
}
