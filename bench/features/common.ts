import { MemoryFeatureStore } from '../../src/adapters/features-memory/index.ts';
import type { Label, Transaction } from '../../src/core/contracts/index.ts';
import { createSimulator } from '../../src/services/ingestor/index.ts';

/** The platform simulator's stream (same generator as `bin/fraud simulate`). */
export function simulate(count: number, seed = 7): { transactions: Transaction[]; labels: Label[] } {
  const sim = createSimulator({ seed, count });
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
 * Enriches the stream through a fresh in-memory feature store as the processor uses it
 * (micro-batches of 256 in arrival order, labels as they come due); returns the wall-clock and
 * CPU (user + system) microseconds per transaction.
 */
export async function enrichStream(
  transactions: readonly Transaction[],
  labels: readonly Label[],
): Promise<{ wallUs: number; cpuUs: number }> {
  const store = new MemoryFeatureStore();
  let li = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < transactions.length; i += 256) {
    const batch = transactions.slice(i, i + 256);
    const until = Date.parse(batch.at(-1)!.timestamp);
    const due = [];
    while (li < labels.length && Date.parse(labels[li]!.labeled_at) <= until) due.push(labels[li++]!);
    if (due.length) await store.addLabels(due);
    await store.enrich(batch);
  }
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  return {
    wallUs: ((t1 - t0) * 1000) / transactions.length,
    cpuUs: (c.user + c.system) / transactions.length,
  };
}

export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(xs: readonly number[]): number {
  return quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
}

export function machine(): string {
  const os = process.platform;
  return `${os}, node ${process.version}, ${(globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? '?'} cpus`;
}
