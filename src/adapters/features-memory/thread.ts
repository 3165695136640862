import { Worker } from 'node:worker_threads';
import type { Label, Transaction } from '../../core/contracts/index.ts';
import { FraudError } from '../../core/errors/index.ts';
import {
  FEATURE_COUNT,
  type FeatureEngineOptions,
  type FeatureEngineStats,
} from '../../core/features/index.ts';
import type { FeatureStore, FeatureVector } from '../../ports/index.ts';
import { type EnrichRequest, encodeBatch } from './wire.ts';

export type FeatureThreadRequest =
  | EnrichRequest
  | { readonly kind: 'labels'; readonly labels: readonly Label[] }
  | { readonly kind: 'stats' };

export type FeatureThreadReply =
  | { readonly kind: 'vectors'; readonly vectors: Float64Array<ArrayBuffer> }
  | { readonly kind: 'done' }
  | { readonly kind: 'stats'; readonly stats: FeatureEngineStats }
  | { readonly kind: 'error'; readonly message: string };

interface Waiting {
  resolve(reply: FeatureThreadReply): void;
  reject(err: Error): void;
}

/**
 * The embedded feature store with its engine on a thread of its own (the default; `MemoryFeatureStore`
 * is the same engine on the caller's thread).
 *
 * The engine was about 30 % of the decision thread's work per transaction (docs/benchmarks.md,
 * Pipeline). Here it runs on the other core: the decision engine asks for a batch's features,
 * computes the batch's graph signals meanwhile, and while it waits the processor produces the
 * previous batch. On 2 cores that took a quarter of the decision thread's CPU off it, for about
 * 6 % more in all (the hand-over).
 *
 * The engine is the same code, fed the same transactions in the same order (the thread answers
 * its messages one at a time, in order), so the vectors equal `MemoryFeatureStore`'s; a test
 * holds them equal. A thread that dies takes its state with it: every call then fails, as a lost
 * Redis would, rather than carry on with features computed from nothing.
 */
export class ThreadedFeatureStore implements FeatureStore {
  readonly kind = 'memory-thread' as const;
  readonly #worker: Worker;
  /** Replies come in request order: the oldest waiter takes the next reply. */
  readonly #waiting: Waiting[] = [];
  #failure: Error | null = null;

  constructor(options: FeatureEngineOptions = {}) {
    this.#worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData: { options } });
    // Only calls in flight keep the process alive (see #call).
    this.#worker.unref();
    this.#worker.on('message', (reply: FeatureThreadReply) => {
      const w = this.#waiting.shift();
      if (this.#waiting.length === 0) this.#worker.unref();
      w?.resolve(reply);
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => this.#fail(new Error(`feature thread exited (code ${code})`)));
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = new FraudError('FRAUD_INTERNAL', `feature thread failed: ${err.message}`, {
      cause: err,
    });
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
  }

  #call(req: FeatureThreadRequest, transfer: ArrayBuffer[] = []): Promise<FeatureThreadReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (this.#waiting.length === 1) this.#worker.ref();
      this.#worker.postMessage(req, transfer);
    });
  }

  async enrich(transactions: readonly Transaction[]): Promise<FeatureVector[]> {
    if (transactions.length === 0) return [];
    const req = encodeBatch(transactions);
    const reply = await this.#call(req, [req.bytes.buffer, req.lengths.buffer, req.numbers.buffer]);
    if (reply.kind !== 'vectors') throw unexpected(reply);
    const out: FeatureVector[] = new Array(transactions.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = reply.vectors.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
    }
    return out;
  }

  async addLabels(labels: readonly Label[]): Promise<void> {
    if (labels.length === 0) return;
    const reply = await this.#call({ kind: 'labels', labels });
    if (reply.kind !== 'done') throw unexpected(reply);
  }

  /** Counters and state sizes, for metrics and tests. */
  async stats(): Promise<FeatureEngineStats> {
    const reply = await this.#call({ kind: 'stats' });
    if (reply.kind !== 'stats') throw unexpected(reply);
    return reply.stats;
  }

  async close(): Promise<void> {
    this.#failure ??= new FraudError('FRAUD_INTERNAL', 'feature store closed');
    await this.#worker.terminate();
  }
}

function unexpected(reply: FeatureThreadReply): Error {
  return reply.kind === 'error'
    ? new FraudError('FRAUD_INTERNAL', `feature thread: ${reply.message}`)
    : new FraudError('FRAUD_INTERNAL', `feature thread: unexpected reply '${reply.kind}'`);
}
