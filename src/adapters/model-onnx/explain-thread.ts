import { Worker } from 'node:worker_threads';
import { attributeRows, type Explainer, type ExplainJson } from './explain.ts';
import type { ExplainReply, ExplainRequest } from './explain-worker.ts';

/**
 * TreeSHAP for a batch of rows on its own thread.
 *
 * An explanation costs about as much CPU as deciding a few dozen transactions (docs/benchmarks.md,
 * "TreeSHAP"), and reviews and blocks come in bursts (card testing, rings). On the decision
 * thread they delay every record queued behind them; here they use the other core while the
 * decision thread goes on with the next batch.
 *
 * Explanations are advisory, so a dead or failing thread never fails a decision: the rows are
 * then explained in-line, as before the thread existed.
 */
export class ExplainThread {
  readonly #json: ExplainJson;
  readonly #k: number;
  /** The caller thread's explainer (built on first use by the owner), for the fallback. */
  readonly #inline: () => Explainer;
  #worker: Worker | null;
  readonly #pending = new Map<number, { resolve(r: ExplainReply): void; reject(e: Error): void }>();
  #nextId = 0;

  constructor(json: ExplainJson, inline: () => Explainer) {
    this.#json = json;
    this.#k = json.features.length;
    this.#inline = inline;
    this.#worker = this.#start();
  }

  #start(): Worker | null {
    try {
      const worker = new Worker(new URL('./explain-worker.ts', import.meta.url), {
        workerData: { json: this.#json },
      });
      // Only pending requests keep the process alive (see #send).
      worker.unref();
      worker.on('message', (reply: ExplainReply) => {
        const p = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        if (this.#pending.size === 0) worker.unref();
        p?.resolve(reply);
      });
      const fail = (err: Error) => {
        if (this.#worker !== worker) return;
        this.#worker = null;
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`explanation thread exited (code ${code})`)));
      return worker;
    } catch {
      return null;
    }
  }

  /** Contributions of `n` rows (`k` model features each, row-major), row-major too. */
  async attribute(rows: Float64Array, n: number): Promise<{ contributions: Float64Array; bias: number }> {
    const worker = this.#worker;
    if (worker !== null) {
      try {
        return await this.#send(worker, rows, n);
      } catch {
        // fall through: explain in-line
      }
    }
    return this.#attributeInline(rows, n);
  }

  #send(worker: Worker, rows: Float64Array, n: number): Promise<ExplainReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      const req: ExplainRequest = { id, rows, n };
      worker.postMessage(req);
    });
  }

  #attributeInline(rows: Float64Array, n: number): { contributions: Float64Array; bias: number } {
    return attributeRows(this.#inline(), rows, n, this.#k);
  }

  /** Whether a worker thread is serving (false after it died: rows are explained in-line). */
  get threaded(): boolean {
    return this.#worker !== null;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    // Whoever still waits gets its rows explained in-line.
    for (const p of this.#pending.values()) p.reject(new Error('explanation thread closed'));
    this.#pending.clear();
    if (worker) await worker.terminate();
  }
}
