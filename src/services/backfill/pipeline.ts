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
 *   reader (I/O): bytes → lines → contract check → numbers + entity ids (+ id cells, kept)
 *   engine:       numbers + ids → FeatureEngine.enrichIds → one Float64Array per chunk
 *   writer (I/O): kept id cells + vectors → CSV bytes → file
 *
 * Only typed arrays cross between the threads (moved, not copied), except the few
 * transaction ids a pending label may be waiting for. Every hand-over is bounded (a few
 * chunks of about 1 MB in flight), so memory stays flat.
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
   * Per good transaction (NUMBERS = 5): event time (ms), hash53(transaction_id), amount,
   * country code, card_present (1/0), i.e. what `FeatureEngine.enrichIds` takes.
   */
  readonly numbers: Float64Array<ArrayBuffer>;
  /** Per good transaction (IDS = 6): its entities' ids, ENTITY_KINDS order. */
  readonly ids: Int32Array<ArrayBuffer>;
  /** The ids first seen in this batch: (kind, id, hash53 of the name) triples. */
  readonly defs: Float64Array;
  /** Rows (ascending) whose transaction id the engine needs (a label may be pending), and the ids. */
  readonly flaggedRows: number[];
  readonly flaggedIds: string[];
  readonly bad: { line: number; reason: string }[];
}

export interface VectorBatch {
  readonly kind: 'rows';
  readonly count: number;
  /** count × width feature values, row after row (the array may be longer). */
  readonly vectors: Float64Array<ArrayBuffer>;
}

type Cpu = { user: number; system: number };
type ReaderMessage = ParsedBatch | { kind: 'end'; lines: number } | { kind: 'error'; message: string };
const NUMBERS = 5;
const IDS = 6;
type WriterMessage =
  | { kind: 'ack'; vectors: Float64Array<ArrayBuffer> }
  | { kind: 'finished'; cpu: Cpu }
  | { kind: 'error'; message: string };

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
  /** Vector buffers back from the writer, reused (the writer uses only `count` rows). */
  const spare: Float64Array<ArrayBuffer>[] = [];
  const writerAck = async (): Promise<void> => {
    const m = await fromWriter.next();
    if (m.kind === 'error') throw new Error(`cannot write ${out}: ${m.message}`);
    if (m.kind !== 'ack') throw new Error(`backfill writer: unexpected ${m.kind}`);
    spare.push(m.vectors);
    writing--;
  };
  try {
    // The threads load their modules and the reader starts reading meanwhile; its first batch
    // waits for the pending-label filter, which exists once the labels are loaded.
    await hooks.prepare?.();
    reader.postMessage({ kind: 'filter', bits: engine.pendingFilter() });
    for (;;) {
      const m = await fromReader.next();
      if (m.kind === 'error') throw new Error(`cannot read ${input}: ${m.message}`);
      if (m.kind === 'end') {
        lines = m.lines;
        break;
      }
      for (const b of m.bad) hooks.onBadLine(b.line, b.reason);
      const { numbers, ids, defs, flaggedRows, flaggedIds } = m;
      for (let d = 0; d < defs.length; d += 3) engine.defineEntity(defs[d]!, defs[d + 1]!, defs[d + 2]!);
      let vectors = spare.pop();
      if (vectors === undefined || vectors.length < m.count * width) {
        vectors = new Float64Array(Math.max(m.count, 4096) * width);
      }
      let f = 0;
      let nextFlagged = flaggedRows.length > 0 ? flaggedRows[0]! : -1;
      for (let i = 0; i < m.count; i++) {
        let transactionId: string | undefined;
        if (i === nextFlagged) {
          transactionId = flaggedIds[f++]!;
          nextFlagged = f < flaggedRows.length ? flaggedRows[f]! : -1;
        }
        const j = i * IDS;
        const k = i * NUMBERS;
        engine.enrichIds(
          transactionId,
          numbers[k]!,
          numbers[k + 1]!,
          numbers[k + 2]!,
          numbers[k + 3]!,
          numbers[k + 4] === 1,
          ids[j]!,
          ids[j + 1]!,
          ids[j + 2]!,
          ids[j + 3]!,
          ids[j + 4]!,
          ids[j + 5]!,
          scratch,
        );
        vectors.set(scratch, i * width);
      }
      transactions += m.count;
      lines = m.lines;
      // The input arrays go back to the reader to be filled again.
      reader.postMessage({ kind: 'ack', numbers, ids }, [numbers.buffer, ids.buffer]);
      while (writing >= maxInFlight) await writerAck();
      writing++;
      const rows: VectorBatch = { kind: 'rows', count: m.count, vectors };
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
