import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Decision } from '../../core/contracts/index.ts';
import { FraudError } from '../../core/errors/index.ts';
import { FEATURE_NAMES } from '../../core/features/index.ts';
import type { ModelScorer } from '../../ports/index.ts';
import { type BadLine, readLabels, replayHistoryBatches } from '../backfill/index.ts';
import { evaluateScores, type ScoredRow, type WindowMetrics } from './metrics.ts';

/** Half-open event-time window [from, until) in epoch ms; null = unbounded. */
export interface TimeWindow {
  readonly from: number | null;
  readonly until: number | null;
}

export function inWindow(t: number, w: TimeWindow): boolean {
  return (w.from === null || t >= w.from) && (w.until === null || t < w.until);
}

/** A CLI date (`2025-02-17`) or ISO timestamp as epoch ms, UTC. */
export function parseInstant(flag: string, value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || !/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) {
    throw new FraudError(
      'FRAUD_USAGE',
      `--${flag} must be a date (YYYY-MM-DD) or an ISO-8601 timestamp with a zone, got '${value}'`,
    );
  }
  return t;
}

export interface Thresholds {
  readonly review: number;
  readonly block: number;
}

export function decide(score: number, t: Thresholds): Decision {
  return score >= t.block ? 'block' : score >= t.review ? 'review' : 'approve';
}

export const SCORES_HEADER = 'transaction_id,score,decision,timestamp,card_id,model_version';

export interface ScoreHistoryOptions {
  readonly history: string;
  readonly labels?: string;
  readonly models: readonly { readonly model: ModelScorer; readonly thresholds: Thresholds }[];
  readonly window: TimeWindow;
  /** Scores CSV of the first model (`transaction_id,score,decision,timestamp,card_id,model_version`). */
  readonly out?: string;
  readonly onBadLine?: (bad: BadLine) => void;
  readonly onProgress?: (done: number, scored: number) => void;
  /** Called with each scored batch (row metadata + one score array per model). */
  readonly onScored?: (
    rows: readonly { id: string; timestamp: string; card: string }[],
    scores: Float64Array[],
  ) => void;
}

export interface ScoreHistorySummary {
  transactions: number;
  scored: number;
  badLines: number;
  decisions: Record<Decision, number>;
  elapsedMs: number;
  scoringMs: number;
}

/**
 * Batch scoring / backtest (issue 5, item 6): replays the history point-in-time with the
 * feature engineer's backfill engine (labels visible only from their labeled_at), scores every
 * transaction of the window with each model, and writes the first model's scores.
 */
export async function scoreHistory(options: ScoreHistoryOptions): Promise<ScoreHistorySummary> {
  const started = performance.now();
  const summary: ScoreHistorySummary = {
    transactions: 0,
    scored: 0,
    badLines: 0,
    decisions: { approve: 0, review: 0, block: 0 },
    elapsedMs: 0,
    scoringMs: 0,
  };
  const ws = options.out ? createWriteStream(options.out, { highWaterMark: 1 << 20 }) : null;
  const failed = ws ? new Promise<never>((_, reject) => ws.once('error', reject)) : null;
  failed?.catch(() => {});
  const write = async (s: string) => {
    if (ws && !ws.write(s)) await Promise.race([once(ws, 'drain'), failed!]);
  };
  await write(`${SCORES_HEADER}\n`);
  const first = options.models[0];
  for await (const batch of replayHistoryBatches({
    input: options.history,
    labels: options.labels,
    batchSize: 2048,
    onBadLine: (bad) => {
      summary.badLines++;
      options.onBadLine?.(bad);
    },
  })) {
    summary.transactions += batch.length;
    const picked = batch.filter((item) => inWindow(Date.parse(item.transaction.timestamp), options.window));
    if (picked.length > 0) {
      const vectors = picked.map((p) => p.vector);
      const t0 = performance.now();
      const scores = await Promise.all(options.models.map((m) => m.model.score(vectors)));
      summary.scoringMs += performance.now() - t0;
      if (first) {
        let chunk = '';
        for (let i = 0; i < picked.length; i++) {
          const tx = picked[i]!.transaction;
          const s = scores[0]![i]!;
          const d = decide(s, first.thresholds);
          summary.decisions[d]++;
          chunk += `${tx.transaction_id},${s},${d},${tx.timestamp},${tx.card_id},${first.model.version}\n`;
        }
        await write(chunk);
      }
      options.onScored?.(
        picked.map((p) => ({
          id: p.transaction.transaction_id,
          timestamp: p.transaction.timestamp,
          card: p.transaction.card_id,
        })),
        scores,
      );
      summary.scored += picked.length;
    }
    options.onProgress?.(summary.transactions, summary.scored);
  }
  if (ws) {
    ws.end();
    await Promise.race([once(ws, 'finish'), failed!]);
  }
  summary.elapsedMs = performance.now() - started;
  return summary;
}

/** Latest label per transaction (by labeled_at), optionally only those known before `asOf`. */
export async function readLabelMap(
  path: string,
  asOf: number | null = null,
  onBadLine?: (b: BadLine) => void,
) {
  const latest = new Map<string, { fraud: boolean; at: number }>();
  await readLabels(
    path,
    (id, fraud, at) => {
      if (asOf !== null && at >= asOf) return;
      const prev = latest.get(id);
      if (!prev || at >= prev.at) latest.set(id, { fraud, at });
    },
    onBadLine,
  );
  return latest;
}

export interface ScoreFileRow {
  readonly transactionId: string;
  readonly score: number;
  readonly decision: string;
  readonly timestamp?: string;
  readonly card?: string;
}

/** Reads a scores CSV (`transaction_id,score,decision[,timestamp,card_id,…]`). */
export async function readScoresCsv(path: string, onBadLine?: (b: BadLine) => void): Promise<ScoreFileRow[]> {
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const rows: ScoreFileRow[] = [];
  let header: string[] | null = null;
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() === '') continue;
    const cols = line.split(',');
    if (header === null) {
      header = cols.map((c) => c.trim());
      if (header[0] !== 'transaction_id' || header[1] !== 'score' || header[2] !== 'decision') {
        throw new FraudError(
          'FRAUD_USAGE',
          `${path}:1: scores header must start with transaction_id,score,decision`,
        );
      }
      continue;
    }
    const score = Number(cols[1]);
    if (!cols[0] || !Number.isFinite(score) || score < 0 || score > 1) {
      onBadLine?.({ file: path, line: n, reason: `score must be a number in [0,1], got '${cols[1] ?? ''}'` });
      continue;
    }
    const ts = header.indexOf('timestamp');
    const card = header.indexOf('card_id');
    rows.push({
      transactionId: cols[0],
      score,
      decision: cols[2] ?? '',
      ...(ts >= 0 && cols[ts] ? { timestamp: cols[ts] } : {}),
      ...(card >= 0 && cols[card] ? { card: cols[card] } : {}),
    });
  }
  return rows;
}

/**
 * `bin/fraud evaluate`: joins scores with labels (every label in the file: evaluation looks back
 * after the label delay) and computes the metrics. The threshold is the one the scores were
 * decided with: a row counts as flagged when its decision is review or block, unless a
 * threshold is given.
 */
export async function evaluateScoresFile(options: {
  scores: string;
  labels: string;
  threshold?: number;
  k?: number;
  asOf?: number | null;
}): Promise<{ metrics: WindowMetrics; unlabeledPositives: number; threshold: number; badLines: BadLine[] }> {
  const bad: BadLine[] = [];
  const [rows, labels] = await Promise.all([
    readScoresCsv(options.scores, (b) => bad.push(b)),
    readLabelMap(options.labels, options.asOf ?? null, (b) => bad.push(b)),
  ]);
  let threshold = options.threshold;
  if (threshold === undefined) {
    // The lowest flagged score is the review threshold the scores were decided with.
    let lowest = Number.POSITIVE_INFINITY;
    for (const r of rows) if (r.decision !== 'approve' && r.score < lowest) lowest = r.score;
    threshold = Number.isFinite(lowest) ? lowest : 1;
  }
  const scored: ScoredRow[] = rows.map((r) => ({
    score: r.score,
    fraud: labels.get(r.transactionId)?.fraud ?? false,
    ...(r.timestamp && r.card ? { day: r.timestamp.slice(0, 10), card: r.card } : {}),
  }));
  const seen = new Set(rows.map((r) => r.transactionId));
  let unlabeledPositives = 0;
  for (const [id, l] of labels) if (l.fraud && !seen.has(id)) unlabeledPositives++;
  return {
    metrics: evaluateScores(scored, threshold, options.k ?? 50),
    unlabeledPositives,
    threshold,
    badLines: bad,
  };
}

/** Rows of a features CSV (from the backfill) in a window, vectors in catalogue order. */
export async function readFeaturesCsv(
  path: string,
  window: TimeWindow,
  catalogue: readonly string[] = FEATURE_NAMES,
): Promise<{ ids: string[]; timestamps: string[]; cards: string[]; vectors: Float64Array[] }> {
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const out = {
    ids: [] as string[],
    timestamps: [] as string[],
    cards: [] as string[],
    vectors: [] as Float64Array[],
  };
  let map: Int32Array | null = null;
  for await (const line of rl) {
    if (line === '') continue;
    const cols = line.split(',');
    if (map === null) {
      const position = new Map(catalogue.map((n, i) => [n, i]));
      map = Int32Array.from(cols.slice(5), (n) => position.get(n) ?? -1);
      continue;
    }
    const t = Date.parse(cols[1]!);
    if (!inWindow(t, window)) continue;
    const v = new Float64Array(catalogue.length).fill(Number.NaN);
    for (let j = 0; j < map.length; j++) {
      const p = map[j]!;
      const cell = cols[5 + j];
      if (p >= 0 && cell !== undefined && cell !== '') v[p] = Number(cell);
    }
    out.ids.push(cols[0]!);
    out.timestamps.push(cols[1]!);
    out.cards.push(cols[2]!);
    out.vectors.push(v);
  }
  return out;
}
