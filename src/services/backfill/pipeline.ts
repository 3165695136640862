import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { FEATURE_COUNT, type FeatureEngine } from '../../core/features/index.ts';
import { backfillHeader } from './csv.ts';

/*
 * The backfill on two threads, one per core (issue #3: "Backfill runs at ≥ 100,000
 * transactions/s on this machine", which has 2 cores). The feature engine is sequential by
 * nature (each vector depends on every earlier transaction), so it stays on the calling
 * thread, in input order. Reading, parsing and validating happen before it, and number
 * formatting and writing after it, on one I/O worker thread (a reader and a writer, each on
 * its own port). With a third thread the engine would share its core now and then; measured
 * under load, two and three threads were within noise, with two using less CPU. The output
 * is byte for byte the single-threaded one.
 *
 *   reader (I/O): lines → JSON.parse → contract check → engine fields + CSV id cells + bad lines
 *   engine:       fields → FeatureEngine.enrichReduced → one Float64Array per chunk
 *   writer (I/O): id cells + vectors → CSV bytes → file
 *
 * Every hand-over is bounded (a few chunks of about 1 MB in flight), so memory stays flat.
 */

export interface ParseWorkerData {
  readonly input: string;
  readonly maxInFlight: number;
}

export interface CsvWorkerData {
  readonly out: string;
  readonly header: string;
  readonly width: number;
}

export interface IoWorkerData {
  readonly reader: ParseWorkerData;
  readonly writer: CsvWorkerData;
  readonly readerPort: MessagePort;
  readonly writerPort: MessagePort;
}

/** A chunk of the input, read and validated by the reader thread. */
export interface ParsedBatch {
  readonly kind: 'batch';
  /** Lines read so far (1-based number of this chunk's last line). */
  readonly lines: number;
  readonly count: number;
  /**
   * Per good transaction, the strings the engine keys its state by: transaction_id, card_id,
   * customer_id, merchant_id, merchant_category, device_id, ip_address. Strings cross threads
   * as plain copies, far cheaper than parsing JSON twice.
   */
  readonly ids: string[];
  /**
   * Per good transaction: event time (ms), hash53(transaction_id), amount, country code,
   * card_present (1/0), i.e. what `FeatureEngine.enrichReduced` takes.
   */
  readonly numbers: Float64Array;
  /** CSV id cells of the good lines, each followed by '\n'. */
  readonly prefixes: string;
  readonly bad: { line: number; reason: string }[];
}

export interface VectorBatch {
  readonly kind: 'rows';
  readonly prefixes: string;
  /** count × width feature values, row after row. */
  readonly vectors: Float64Array;
}

type Cpu = { user: number; system: number };
type ReaderMessage = ParsedBatch | { kind: 'end'; lines: number } | { kind: 'error'; message: string };
type WriterMessage = { kind: 'ack' } | { kind: 'finished'; cpu: Cpu } | { kind: 'error'; message: string };

/** CPU seconds each thread spent (user + system), for the summary and the benchmark. */
export interface ThreadCpu {
  /** The I/O worker: reading, parsing, validating, formatting, writing. */
  readonly io: number;
  readonly engine: number;
}

const seconds = (c: Cpu) => (c.user + c.system) / 1e6;

export interface PipelineHooks {
  /** Runs once the threads are starting, before the first chunk is enriched (labels). */
  prepare?(): Promise<void>;
  onBadLine(line: number, reason: string): void;
  /** After each chunk: lines read so far and transactions enriched so far. */
  onChunk(lines: number, transactions: number): void;
}

/** A queue of a port's messages consumed with `await next()`; fails when the worker dies. */
function inbox<T>(port: MessagePort, worker: Worker): { next(): Promise<T> } {
  const queue: T[] = [];
  let waiting: ((m: T) => void) | null = null;
  let failure: Error | null = null;
  let failWaiting: ((e: Error) => void) | null = null;
  port.on('message', (m: T) => {
    if (waiting) {
      const w = waiting;
      waiting = null;
      failWaiting = null;
      w(m);
    } else queue.push(m);
  });
  const fail = (err: Error) => {
    failure ??= err;
    if (failWaiting) {
      const f = failWaiting;
      waiting = null;
      failWaiting = null;
      f(failure);
    }
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`backfill worker exited (code ${code})`)));
  return {
    next() {
      if (queue.length > 0) return Promise.resolve(queue.shift()!);
      if (failure) return Promise.reject(failure);
      return new Promise<T>((resolve, reject) => {
        waiting = resolve;
        failWaiting = reject;
      });
    },
  };
}

/** Runs the three-thread backfill of `input` (a file) into `out` with `engine`. */
export async function runPipeline(
  engine: FeatureEngine,
  input: string,
  out: string,
  hooks: PipelineHooks,
): Promise<{ lines: number; transactions: number; cpu: ThreadCpu }> {
  const cpu0 = process.threadCpuUsage();
  const maxInFlight = 4;
  const toReader = new MessageChannel();
  const toWriter = new MessageChannel();
  const io = new Worker(new URL('./io-worker.ts', import.meta.url), {
    workerData: {
      reader: { input, maxInFlight },
      writer: { out, header: backfillHeader(), width: FEATURE_COUNT },
      readerPort: toReader.port2,
      writerPort: toWriter.port2,
    } satisfies IoWorkerData,
    transferList: [toReader.port2, toWriter.port2],
  });
  const reader = toReader.port1;
  const writer = toWriter.port1;
  const fromReader = inbox<ReaderMessage>(reader, io);
  const fromWriter = inbox<WriterMessage>(writer, io);
  let transactions = 0;
  let lines = 0;
  let writing = 0;
  const width = FEATURE_COUNT;
  const scratch = new Float64Array(width);
  const writerAck = async (): Promise<void> => {
    const m = await fromWriter.next();
    if (m.kind === 'error') throw new Error(`cannot write ${out}: ${m.message}`);
    if (m.kind !== 'ack') throw new Error(`backfill writer: unexpected ${m.kind}`);
    writing--;
  };
  try {
    // The threads load their modules and the reader starts reading meanwhile.
    await hooks.prepare?.();
    for (;;) {
      const m = await fromReader.next();
      if (m.kind === 'error') throw new Error(`cannot read ${input}: ${m.message}`);
      if (m.kind === 'end') {
        lines = m.lines;
        break;
      }
      for (const b of m.bad) hooks.onBadLine(b.line, b.reason);
      const vectors = new Float64Array(m.count * width);
      const { ids, numbers } = m;
      for (let i = 0; i < m.count; i++) {
        const j = i * 7;
        const k = i * 5;
        engine.enrichReduced(
          ids[j]!,
          numbers[k]!,
          numbers[k + 1]!,
          numbers[k + 2]!,
          numbers[k + 3]!,
          numbers[k + 4] === 1,
          ids[j + 1]!,
          ids[j + 2]!,
          ids[j + 3]!,
          ids[j + 4]!,
          ids[j + 5]!,
          ids[j + 6]!,
          scratch,
        );
        vectors.set(scratch, i * width);
      }
      transactions += m.count;
      lines = m.lines;
      reader.postMessage('ack');
      while (writing >= maxInFlight) await writerAck();
      writing++;
      const rows: VectorBatch = { kind: 'rows', prefixes: m.prefixes, vectors };
      writer.postMessage(rows, [vectors.buffer]);
      hooks.onChunk(lines, transactions);
    }
    while (writing > 0) await writerAck();
    writer.postMessage({ kind: 'end' });
    const last = await fromWriter.next();
    if (last.kind === 'error') throw new Error(`cannot write ${out}: ${last.message}`);
    if (last.kind !== 'finished') throw new Error(`backfill writer: unexpected ${last.kind}`);
    const engineCpu = seconds(process.threadCpuUsage(cpu0));
    return {
      lines,
      transactions,
      cpu: { io: seconds(last.cpu), engine: engineCpu },
    };
  } finally {
    reader.close();
    writer.close();
    await io.terminate();
  }
}
