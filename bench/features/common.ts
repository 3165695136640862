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
