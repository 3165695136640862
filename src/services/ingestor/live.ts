import type { Label } from '../../core/contracts/label.ts';
import type { EventBus } from '../../ports/event-bus.ts';
import { compareLabels } from './labels-csv.ts';
import { type Simulator, type SimulatorStats, transactionJson } from './simulator.ts';

/** Options of the live feed that `bin/fraud simulate` (Kafka) and `bin/fraud up` (in-process) share. */
export interface LiveFeedOptions {
  readonly bus: EventBus;
  readonly simulator: Simulator;
  /** Transactions per second, paced by the wall clock. */
  readonly rate: number;
  /** Stop after this many transactions. Default: unbounded. */
  readonly count?: number;
  /** Stop after this many ms. Default: unbounded. */
  readonly durationMs?: number;
  /** Default `transactions`. */
  readonly topic?: string;
  /** Default `labels`. */
  readonly labelsTopic?: string;
  /** Aborting stops the feed after the current batch. */
  readonly signal?: AbortSignal;
  /** Pause between batches in ms. Default 10 (batches of rate/100 at steady state). */
  readonly tickMs?: number;
  /** Called after every batch with the transactions sent so far. */
  readonly onTick?: (sent: number) => void;
  /** Wall clock (for tests). Default Date.now. */
  readonly now?: () => number;
}

export interface LiveFeedResult {
  readonly sent: number;
  readonly labelsSent: number;
  /** Labels whose `labeled_at` had not come when the feed stopped (never published). */
  readonly labelsPending: number;
  readonly elapsedMs: number;
  readonly stats: SimulatorStats;
}

/**
 * Publishes simulated transactions keyed by `card_id` at `rate` tx/s, stamped with the wall
 * clock, and each label to the labels topic (keyed by `transaction_id`) only once its
 * `labeled_at` has passed: ground truth is never early, as a chargeback is never early.
 * Each batch is awaited before the next, so a slow broker slows the feed (back-pressure)
 * instead of growing a queue; the feed then catches up towards the target rate.
 */
export async function runLiveFeed(o: LiveFeedOptions): Promise<LiveFeedResult> {
  const now = o.now ?? Date.now;
  const topic = o.topic ?? 'transactions';
  const labelsTopic = o.labelsTopic ?? 'labels';
  const tickMs = o.tickMs ?? 10;
  const pending: Label[] = []; // sorted by labeled_at
  const start = now();
  const deadline = o.durationMs === undefined ? Number.POSITIVE_INFINITY : start + o.durationMs;
  let sent = 0;
  let labelsSent = 0;
  while (!o.signal?.aborted) {
    const t = now();
    if (t >= deadline || (o.count !== undefined && sent >= o.count)) break;
    let due = Math.floor(((t - start) / 1000) * o.rate) - sent + 1;
    if (o.count !== undefined) due = Math.min(due, o.count - sent);
    if (due > 0) {
      const messages = new Array(due);
      for (let k = 0; k < due; k++) {
        const e = o.simulator.next(t);
        messages[k] = { key: e.transaction.card_id, value: transactionJson(e.transaction), timestamp: t };
        if (e.label) insertSorted(pending, e.label);
      }
      await o.bus.publish(topic, messages);
      sent += due;
    }
    const nowIso = new Date(now()).toISOString();
    let ready = 0;
    while (ready < pending.length && pending[ready]!.labeled_at <= nowIso) ready++;
    if (ready > 0) {
      const batch = pending.splice(0, ready);
      await o.bus.publish(
        labelsTopic,
        batch.map((l) => ({ key: l.transaction_id, value: JSON.stringify(l) })),
      );
      labelsSent += batch.length;
    }
    o.onTick?.(sent);
    await new Promise((r) => setTimeout(r, tickMs));
  }
  return {
    sent,
    labelsSent,
    labelsPending: pending.length,
    elapsedMs: now() - start,
    stats: o.simulator.stats(),
  };
}

function insertSorted(items: Label[], item: Label): void {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareLabels(items[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  items.splice(lo, 0, item);
}
