import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
// The contract validators compile at load (~0.3 s): imported when a replay needs them, so the
// threaded backfill starts its reader without waiting for them here.
import { type Transaction, UTC_TIMESTAMP_PATTERN } from '../../core/contracts/transaction.ts';
import {
  eventTime,
  FEATURE_COUNT,
  FEATURE_SET_VERSION,
  FeatureEngine,
  type FeatureEngineStats,
} from '../../core/features/index.ts';
import { backfillHeader, backfillRow } from './csv.ts';
import { lineChunks, lines } from './lines.ts';
import { runPipeline, type ThreadCpu } from './pipeline.ts';

export { BACKFILL_ID_COLUMNS, backfillHeader, backfillRow, featureCell } from './csv.ts';

/*
 * Offline backfill (issue #3): "computes, for every historical transaction, exactly what the
 * online path would have computed at that moment: point-in-time correct, with no future data
 * and no label before its labeled_at. It reuses the same core code. It must handle at least
 * 2 million transactions, streaming rather than loading everything."
 *
 * It runs the very `FeatureEngine` the memory store runs, over the history in file order
 * (= arrival order). Labels are all handed to the engine up front: visibility is decided by
 * event time (a fraud counts for a transaction at t only if labeled_at ≤ t), so giving them
 * early is exact. Only fraud labels are kept in memory (a few per thousand transactions).
 */

/** A line of the input (or labels) that was rejected, with its 1-based line number. */
export interface BadLine {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface ReplayOptions {
  /** History JSONL path (one `transactions` contract record per line), or lines/chunks. */
  readonly input: string | AsyncIterable<string | Buffer>;
  /** Labels CSV path (`transaction_id,is_fraud,labeled_at[,scenario]`). */
  readonly labels?: string;
  /** Allowed lateness of the engine in ms (default 5 minutes, as online). */
  readonly allowedLatenessMs?: number;
  /** Called for every rejected line; the replay skips it and goes on. Default: ignore. */
  readonly onBadLine?: (bad: BadLine) => void;
  /** A batch is yielded once it holds at least this many transactions (default 1024). */
  readonly batchSize?: number;
}

/** One replayed transaction: its point-in-time vector, as online would have computed it. */
export interface ReplayItem {
  readonly transaction: Transaction;
  readonly vector: Float64Array;
  /** 1-based line number in the input. */
  readonly line: number;
}

export interface ReplaySummary {
  lines: number;
  transactions: number;
  badLines: number;
  labels: number;
  fraudLabels: number;
  badLabelLines: number;
  engine: FeatureEngineStats;
}

/** Handle on a running replay, for its counters. */
export class Replay {
  readonly summary: ReplaySummary;
  readonly engine: FeatureEngine;
  constructor(engine: FeatureEngine) {
    this.engine = engine;
    this.summary = {
      lines: 0,
      transactions: 0,
      badLines: 0,
      labels: 0,
      fraudLabels: 0,
      badLabelLines: 0,
      engine: engine.stats(),
    };
  }
}

const TIMESTAMP = new RegExp(UTC_TIMESTAMP_PATTERN);

/** Reads a labels CSV; returns the number of labels read. Bad lines are reported and skipped. */
export async function readLabels(
  path: string,
  onLabel: (transactionId: string, isFraud: boolean, labeledAtMs: number) => void,
  onBadLine: (bad: BadLine) => void = () => {},
): Promise<{ labels: number; bad: number }> {
  let n = 0;
  let labels = 0;
  let bad = 0;
  const reject = (line: number, reason: string) => {
    bad++;
    onBadLine({ file: path, line, reason });
  };
  for await (const raw of lines(path)) {
    n++;
    if (n === 1) {
      const header = raw.trim().split(',');
      if (header[0] !== 'transaction_id' || header[1] !== 'is_fraud' || header[2] !== 'labeled_at') {
        throw new Error(
          `${path}:1: labels header must start with transaction_id,is_fraud,labeled_at (got '${raw}')`,
        );
      }
      continue;
    }
    if (raw.trim() === '') continue;
    const cols = raw.split(',');
    const id = cols[0]?.trim() ?? '';
    const flag = cols[1]?.trim().toLowerCase();
    const at = cols[2]?.trim() ?? '';
    if (id === '') {
      reject(n, 'transaction_id is empty');
      continue;
    }
    const isFraud = flag === 'true' || flag === '1' ? true : flag === 'false' || flag === '0' ? false : null;
    if (isFraud === null) {
      reject(n, `is_fraud must be true/false/1/0, got '${cols[1] ?? ''}'`);
      continue;
    }
    if (!TIMESTAMP.test(at)) {
      reject(n, `labeled_at must be an ISO-8601 UTC timestamp, got '${at}'`);
      continue;
    }
    labels++;
    onLabel(id, isFraud, eventTime(at));
  }
  return { labels, bad };
}

/** Hands every label of a labels CSV to the engine up front (visibility is by `labeled_at`), counting them. */
async function loadLabels(
  path: string,
  engine: FeatureEngine,
  summary: ReplaySummary,
  onBad: (bad: BadLine) => void,
): Promise<void> {
  const r = await readLabels(
    path,
    (id, isFraud, at) => {
      if (isFraud) summary.fraudLabels++;
      engine.addLabel(id, isFraud, at);
    },
    onBad,
  );
  summary.labels = r.labels;
  summary.badLabelLines = r.bad;
}

/**
 * Replays a history point-in-time, in batches (the fast path for the CSV writer, the rules
 * backtest and ML batch scoring). Each vector is a fresh array the caller may keep.
 */
export async function* replayHistoryBatches(
  options: ReplayOptions,
  handle: Replay = new Replay(
    new FeatureEngine({
      allowedLatenessMs: options.allowedLatenessMs,
      pendingLabelCapacity: Infinity,
      indexAll: false,
    }),
  ),
): AsyncGenerator<ReplayItem[]> {
  const { engine, summary } = handle;
  const onBad = options.onBadLine ?? (() => {});
  const { checkTransaction } = await import('../../core/contracts/validate.ts');
  if (options.labels !== undefined) await loadLabels(options.labels, engine, summary, onBad);
  const file = typeof options.input === 'string' ? options.input : '<input>';
  const size = options.batchSize ?? 1024;
  let batch: ReplayItem[] = [];
  let n = 0;
  for await (const chunk of lineChunks(options.input)) {
    for (const raw of chunk) {
      n++;
      if (raw.length === 0 || raw.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        summary.badLines++;
        onBad({ file, line: n, reason: `not JSON: ${(err as Error).message}` });
        continue;
      }
      const parsed = checkTransaction(value);
      if (!parsed.ok) {
        summary.badLines++;
        onBad({ file, line: n, reason: parsed.error.message });
        continue;
      }
      const vector = engine.enrich(parsed.transaction, new Float64Array(FEATURE_COUNT));
      summary.transactions++;
      batch.push({ transaction: parsed.transaction, vector, line: n });
    }
    summary.lines = n;
    // Yield per input chunk (≈1 MB) or sooner if the batch is full, so memory stays flat.
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  summary.lines = n;
  if (batch.length > 0) yield batch;
  summary.engine = engine.stats();
}

/**
 * The backfill engine as a library: an async iterator of `{transaction, vector}` in input
 * order, each vector exactly what the online store computed for it at that moment.
 */
export async function* replayHistory(options: ReplayOptions, handle?: Replay): AsyncGenerator<ReplayItem> {
  for await (const batch of replayHistoryBatches(options, handle)) yield* batch;
}

export interface BackfillOptions extends ReplayOptions {
  /** Output CSV path. */
  readonly out: string;
  /** Progress callback, about once a second. */
  readonly onProgress?: (summary: ReplaySummary, elapsedMs: number) => void;
  /**
   * Read/validate and format/write on a worker thread beside the engine (default true
   * when `input` is a file path; a stream input always runs on the calling thread). The
   * output is byte-identical either way.
   */
  readonly threads?: boolean;
}

export interface BackfillResult extends ReplaySummary {
  readonly featureSetVersion: string;
  readonly elapsedMs: number;
  readonly out: string;
  /** CPU seconds per thread when the backfill ran threaded (engine = the calling thread). */
  readonly threadCpu?: ThreadCpu;
}

/** Streams the history to a features CSV (one row per valid transaction, input order). */
export async function backfillToCsv(options: BackfillOptions): Promise<BackfillResult> {
  const started = performance.now();
  const handle = new Replay(
    new FeatureEngine({
      allowedLatenessMs: options.allowedLatenessMs,
      pendingLabelCapacity: Infinity,
      indexAll: false,
    }),
  );
  if (typeof options.input === 'string' && options.threads !== false) {
    return backfillThreaded(options, options.input, handle, started);
  }
  const ws = createWriteStream(options.out, { highWaterMark: 1 << 20 });
  const failed = new Promise<never>((_, reject) => ws.once('error', reject));
  failed.catch(() => {});
  const write = async (s: string) => {
    if (!ws.write(s)) await Promise.race([once(ws, 'drain'), failed]);
  };
  await write(`${backfillHeader()}\n`);
  let lastProgress = started;
  for await (const batch of replayHistoryBatches(options, handle)) {
    let chunk = '';
    for (const item of batch) chunk += `${backfillRow(item.transaction, item.vector)}\n`;
    await write(chunk);
    const now = performance.now();
    if (options.onProgress && now - lastProgress >= 1000) {
      lastProgress = now;
      options.onProgress(handle.summary, now - started);
    }
  }
  ws.end();
  await Promise.race([once(ws, 'finish'), failed]);
  return {
    ...handle.summary,
    engine: handle.engine.stats(),
    featureSetVersion: FEATURE_SET_VERSION,
    elapsedMs: performance.now() - started,
    out: options.out,
  };
}

async function backfillThreaded(
  options: BackfillOptions,
  input: string,
  handle: Replay,
  started: number,
): Promise<BackfillResult> {
  const { engine, summary } = handle;
  const onBad = options.onBadLine ?? (() => {});
  const labels = options.labels;
  let lastProgress = started;
  const r = await runPipeline(engine, input, options.out, {
    prepare: async () => {
      if (labels !== undefined) await loadLabels(labels, engine, summary, onBad);
    },
    onBadLine: (line, reason) => {
      summary.badLines++;
      onBad({ file: input, line, reason });
    },
    onChunk: (lines, transactions) => {
      summary.lines = lines;
      summary.transactions = transactions;
      const now = performance.now();
      if (options.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        options.onProgress(summary, now - started);
      }
    },
  });
  summary.lines = r.lines;
  summary.transactions = r.transactions;
  return {
    ...summary,
    threadCpu: r.cpu,
    engine: engine.stats(),
    featureSetVersion: FEATURE_SET_VERSION,
    elapsedMs: performance.now() - started,
    out: options.out,
  };
}
