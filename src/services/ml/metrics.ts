/**
 * Fraud-team metrics for a scored window — the same definitions as ml/training/metrics.py
 * (issue 5, item 3): ROC AUC; average precision (PR AUC); precision, recall, F1 and FPR at
 * a threshold; recall at 0.1 % and 1 % FPR; card precision@k per day averaged over days;
 * calibration (Brier score, expected calibration error over 10 equal-width bins).
 */

export interface ScoredRow {
  readonly score: number;
  readonly fraud: boolean;
  /** UTC day `YYYY-MM-DD` and card, for card precision@k; optional. */
  readonly day?: string;
  readonly card?: string;
}

export interface WindowMetrics {
  rows: number;
  positives: number;
  fraud_rate: number;
  roc_auc: number;
  average_precision: number;
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  fpr: number;
  confusion: { tp: number; fp: number; fn: number; tn: number };
  recall_at_0_1pct_fpr: number;
  recall_at_1pct_fpr: number;
  card_precision_at_k?: number;
  k?: number;
  brier: number;
  ece: number;
}

/** ROC AUC by the rank statistic, with ties given their average rank. */
export function rocAuc(rows: readonly ScoredRow[]): number {
  const pos = rows.filter((r) => r.fraud).length;
  const neg = rows.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  const sorted = [...rows].sort((a, b) => a.score - b.score);
  let rankSum = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]!.score === sorted[i]!.score) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (sorted[k]!.fraud) rankSum += avg;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Average precision as scikit-learn defines it: sum over thresholds of (R_n - R_{n-1}) P_n. */
export function averagePrecision(rows: readonly ScoredRow[]): number {
  const pos = rows.filter((r) => r.fraud).length;
  if (pos === 0) return Number.NaN;
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    // Tied scores form one threshold.
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) {
      if (sorted[j]!.fraud) tp++;
      else fp++;
      j++;
    }
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j;
  }
  return ap;
}

/**
 * Lowest threshold flagging at most `fpr` of the legitimate rows: half-way between the
 * (allowed+1)-th highest legitimate score and the next higher score, so rows tied at the
 * boundary stay unflagged even when another runtime rounds them by one float32 ulp.
 */
export function thresholdAtFpr(rows: readonly ScoredRow[], fpr: number): number {
  const neg = rows
    .filter((r) => !r.fraud)
    .map((r) => r.score)
    .sort((a, b) => b - a);
  if (neg.length === 0) return 0.5;
  const allowed = Math.floor(fpr * neg.length);
  if (allowed >= neg.length) return neg[neg.length - 1]!;
  const v = neg[allowed]!;
  let higher = Number.POSITIVE_INFINITY;
  for (const r of rows) if (r.score > v && r.score < higher) higher = r.score;
  return Number.isFinite(higher) ? (v + higher) / 2 : nextFloat32Up(v);
}

function nextFloat32Up(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer);
  if (f[0]! < x) return nextFloat32Up(f[0]!);
  if (f[0] === 0) return 1.4e-45;
  bits[0] = f[0]! > 0 ? bits[0]! + 1 : bits[0]! - 1;
  return f[0]!;
}

export function recallAtFpr(rows: readonly ScoredRow[], fpr: number): number {
  const t = thresholdAtFpr(rows, fpr);
  const pos = rows.filter((r) => r.fraud);
  return pos.length ? pos.filter((r) => r.score >= t).length / pos.length : Number.NaN;
}

/** Per day, the share of the k highest-scored cards (card score = its max) that were defrauded; mean over days. */
export function cardPrecisionAtK(rows: readonly ScoredRow[], k: number): number {
  const days = new Map<string, Map<string, { score: number; fraud: boolean }>>();
  for (const r of rows) {
    if (r.day === undefined || r.card === undefined) return Number.NaN;
    let cards = days.get(r.day);
    if (!cards) {
      cards = new Map();
      days.set(r.day, cards);
    }
    const c = cards.get(r.card);
    if (!c) cards.set(r.card, { score: r.score, fraud: r.fraud });
    else {
      c.score = Math.max(c.score, r.score);
      c.fraud ||= r.fraud;
    }
  }
  if (days.size === 0) return Number.NaN;
  let total = 0;
  for (const cards of days.values()) {
    const top = [...cards.entries()]
      .sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1))
      .slice(0, k);
    total += top.filter(([, c]) => c.fraud).length / k;
  }
  return total / days.size;
}

export function calibration(rows: readonly ScoredRow[], bins = 10): { brier: number; ece: number } {
  if (rows.length === 0) return { brier: Number.NaN, ece: Number.NaN };
  let brier = 0;
  const n = new Float64Array(bins);
  const s = new Float64Array(bins);
  const y = new Float64Array(bins);
  for (const r of rows) {
    const t = r.fraud ? 1 : 0;
    brier += (r.score - t) ** 2;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(r.score * bins)));
    n[b]! += 1;
    s[b]! += r.score;
    y[b]! += t;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++)
    if (n[b]! > 0) ece += (n[b]! / rows.length) * Math.abs(s[b]! / n[b]! - y[b]! / n[b]!);
  return { brier: brier / rows.length, ece };
}

export function evaluateScores(rows: readonly ScoredRow[], threshold: number, k = 50): WindowMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const r of rows) {
    const flagged = r.score >= threshold;
    if (flagged && r.fraud) tp++;
    else if (flagged) fp++;
    else if (r.fraud) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const hasCards = rows.length > 0 && rows.every((r) => r.day !== undefined && r.card !== undefined);
  const cal = calibration(rows);
  return {
    rows: rows.length,
    positives: tp + fn,
    fraud_rate: rows.length ? (tp + fn) / rows.length : 0,
    roc_auc: rocAuc(rows),
    average_precision: averagePrecision(rows),
    threshold,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    fpr: fp + tn ? fp / (fp + tn) : 0,
    confusion: { tp, fp, fn, tn },
    recall_at_0_1pct_fpr: recallAtFpr(rows, 0.001),
    recall_at_1pct_fpr: recallAtFpr(rows, 0.01),
    ...(hasCards ? { card_precision_at_k: cardPrecisionAtK(rows, k), k } : {}),
    brier: cal.brier,
    ece: cal.ece,
  };
}

const ROWS: [keyof WindowMetrics, string][] = [
  ['rows', 'Transactions'],
  ['positives', 'Fraud transactions'],
  ['threshold', 'Threshold'],
  ['roc_auc', 'ROC AUC'],
  ['average_precision', 'Average precision (PR AUC)'],
  ['precision', 'Precision @ threshold'],
  ['recall', 'Recall @ threshold'],
  ['f1', 'F1 @ threshold'],
  ['fpr', 'False-positive rate @ threshold'],
  ['recall_at_0_1pct_fpr', 'Recall @ 0.1 % FPR'],
  ['recall_at_1pct_fpr', 'Recall @ 1 % FPR'],
  ['card_precision_at_k', 'Card precision@k (per day, mean)'],
  ['brier', 'Brier score'],
  ['ece', 'Expected calibration error'],
];

function fmt(v: unknown): string {
  if (typeof v !== 'number') return 'n/a';
  if (Number.isNaN(v)) return 'n/a';
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** A Markdown table, one column per model or window. */
export function metricsTable(columns: Record<string, WindowMetrics>): string {
  const names = Object.keys(columns);
  const lines = [`| Metric | ${names.join(' | ')} |`, `|---|${names.map(() => '---|').join('')}`];
  for (const [key, label] of ROWS) {
    const text =
      key === 'card_precision_at_k' ? label.replace('@k', `@${columns[names[0]!]?.k ?? 'k'}`) : label;
    lines.push(`| ${text} | ${names.map((n) => fmt(columns[n]![key])).join(' | ')} |`);
  }
  return lines.join('\n');
}
