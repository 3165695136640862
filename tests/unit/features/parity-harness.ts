import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Label, Transaction } from '../../../src/core/contracts/index.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../../src/core/features/index.ts';
import type { FeatureStore } from '../../../src/ports/index.ts';
import { replayHistory } from '../../../src/services/backfill/index.ts';
import { createSimulator } from '../../../src/services/ingestor/index.ts';
import { type History, rng, toJsonl, toLabelsCsv } from './fixtures.ts';

/**
 * The parity proof (issue #3, item 5), shared by the unit lane (memory store) and the
 * integration lane (real Redis): the same history goes through the ONLINE path, used the way
 * the processor uses it, and through the OFFLINE backfill; every vector must be identical.
 */

/** A simulated history from the platform's simulator (`bin/fraud simulate`), labels by labeled_at. */
export function simulatedHistory(count: number, seed: number, spanDays = 40): History {
  const sim = createSimulator({
    seed,
    count,
    customers: Math.max(50, Math.floor(count / 40)),
    spanDays,
    fraudRate: 0.03,
  });
  const transactions: Transaction[] = [];
  const labels: Label[] = [];
  for (let i = 0; i < count; i++) {
    const e = sim.next();
    transactions.push(e.transaction);
    if (e.label) labels.push(e.label);
  }
  labels.sort((a, b) => Date.parse(a.labeled_at) - Date.parse(b.labeled_at));
  return { transactions, labels };
}

/**
 * Online: micro-batches of 1..maxBatch transactions in arrival order (as the processor polls
 * them), labels delivered as they arrive — i.e. by `labeled_at`, each before the first batch
 * that reaches its `labeled_at` (some deliberately much earlier: visibility is by event time).
 */
export async function replayOnline(
  store: FeatureStore,
  h: History,
  seed: number,
  maxBatch = 64,
): Promise<Map<string, Float64Array>> {
  const r = rng(seed);
  const out = new Map<string, Float64Array>();
  let li = 0;
  let i = 0;
  while (i < h.transactions.length) {
    const batch = h.transactions.slice(i, i + 1 + Math.floor(r() * maxBatch));
    i += batch.length;
    let maxT = 0;
    for (const t of batch) maxT = Math.max(maxT, Date.parse(t.timestamp));
    // Deliver every label due by the end of this batch, plus, now and then, a few early ones.
    const early = r() < 0.1 ? 3 : 0;
    const due: Label[] = [];
    while (li < h.labels.length && Date.parse(h.labels[li]!.labeled_at) <= maxT) due.push(h.labels[li++]!);
    for (let k = 0; k < early && li < h.labels.length; k++) due.push(h.labels[li++]!);
    if (due.length > 0) await store.addLabels(due);
    const vectors = await store.enrich(batch);
    batch.forEach((t, k) => {
      if (!out.has(t.transaction_id)) out.set(t.transaction_id, vectors[k]!);
    });
  }
  return out;
}

/** Offline: the history and labels as files, through the backfill library. */
export async function replayOffline(h: History): Promise<Map<string, Float64Array>> {
  const dir = mkdtempSync(join(tmpdir(), 'fraud-parity-'));
  const input = join(dir, 'history.jsonl');
  const labels = join(dir, 'labels.csv');
  writeFileSync(input, toJsonl(h.transactions));
  writeFileSync(labels, toLabelsCsv(h.labels));
  const out = new Map<string, Float64Array>();
  for await (const item of replayHistory({ input, labels }))
    out.set(item.transaction.transaction_id, item.vector);
  return out;
}

/**
 * Exact tolerance: 0. Both paths run the same core functions over the same rows in the same
 * order, so every value must be bit-identical (NaN = NaN). Returns the number of values compared.
 */
export function assertIdentical(
  online: Map<string, Float64Array>,
  offline: Map<string, Float64Array>,
): number {
  if (online.size !== offline.size)
    throw new Error(`online has ${online.size} vectors, offline ${offline.size}`);
  let compared = 0;
  for (const [id, a] of online) {
    const b = offline.get(id);
    if (!b) throw new Error(`offline has no vector for ${id}`);
    for (let k = 0; k < FEATURE_COUNT; k++) {
      if (!Object.is(a[k], b[k]))
        throw new Error(`${id} ${FEATURE_NAMES[k]}: online ${a[k]} ≠ offline ${b[k]}`);
      compared++;
    }
  }
  return compared;
}

/** How many values are neither 0 nor missing: a parity over zeros would prove nothing. */
export function informative(vectors: Map<string, Float64Array>): number {
  let n = 0;
  for (const v of vectors.values()) for (const x of v) if (x !== 0 && !Number.isNaN(x)) n++;
  return n;
}
