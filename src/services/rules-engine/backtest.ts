import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkTransaction, type Decision, type Transaction } from '../../core/contracts/index.ts';
import type { CompiledPolicy, DecisionFacts } from '../../core/decision/index.ts';
import { FraudError } from '../../core/errors/index.ts';
import { FEATURE_SET_VERSION, namedFeatures } from '../../core/features/index.ts';

/**
 * Backtest (issue 4, item 6): "replays history through the same core, with point-in-time
 * features. It reports per rule and overall: hits, the review and block rates, precision and
 * recall against labels, the false-positive rate, and the difference against the baseline set
 * (decisions that would change, with examples)."
 *
 * The same compiled policy decides as in production. Features come from an injected source:
 * either recorded with the history (`enriched-transactions` lines carry the point-in-time vector)
 * or recomputed by replaying the history in event-time order through a feature store, which
 * returns each transaction's state *before* it is applied — point-in-time by construction.
 */

/** One line of history. */
export interface HistoryRecord {
  readonly line: number;
  readonly transaction: Transaction;
  /** Recorded point-in-time features by name (enriched-transactions), if present. */
  readonly features?: Readonly<Record<string, number | null>>;
  readonly modelScore: number | null;
  readonly graph?: Readonly<Record<string, number | null>>;
}

export interface LabelRecord {
  readonly isFraud: boolean;
  /** Epoch ms the label became known; label-aware features must not see it earlier. */
  readonly labeledAt: number;
}

/** Computes point-in-time vectors for transactions given in event-time order (a FeatureStore fits). */
export interface FeatureSource {
  enrich(transactions: readonly Transaction[]): Promise<Float64Array[]>;
  addLabels?(
    labels: readonly { transaction_id: string; is_fraud: boolean; labeled_at: string }[],
  ): Promise<void>;
}

/** One transaction ready to decide: its point-in-time vector and what else was known then. */
export interface BacktestItem {
  readonly line: number;
  readonly transaction: Transaction;
  readonly vector: Float64Array;
  readonly modelScore: number | null;
  readonly graph?: Readonly<Record<string, number | null>>;
  /** The vector was recorded with the history (not recomputed). */
  readonly recorded?: boolean;
}

export interface BacktestOptions {
  readonly candidate: CompiledPolicy;
  readonly baseline?: CompiledPolicy;
  /** Batches in event-time order, from `historyBatches` or the backfill replay. */
  readonly items: AsyncIterable<readonly BacktestItem[]>;
  readonly labels?: ReadonlyMap<string, LabelRecord>;
  /** Examples kept per decision change. Default 5. */
  readonly examples?: number;
  readonly onProgress?: (done: number) => void;
}

export interface Rates {
  readonly hits: number;
  readonly hit_rate: number;
  /** Among hits, the share that is fraud (null without labels or without hits). */
  readonly precision: number | null;
  /** Among fraud, the share hit. */
  readonly recall: number | null;
  /** Among legitimate transactions, the share hit. */
  readonly false_positive_rate: number | null;
}

export interface RuleReport extends Rates {
  readonly rule_id: string;
  readonly action: string;
  readonly reason: string;
  readonly shadow: boolean;
}

export interface DecisionReport {
  readonly version: string;
  readonly counts: Record<Decision, number>;
  readonly review_rate: number;
  readonly block_rate: number;
  /** review or block. */
  readonly flagged: Rates;
  readonly blocked: Rates;
}

export interface DecisionChange {
  readonly transaction_id: string;
  readonly from: Decision;
  readonly to: Decision;
  readonly is_fraud: boolean | null;
  readonly baseline_reasons: string[];
  readonly candidate_reasons: string[];
}

export interface BacktestReport {
  readonly transactions: number;
  readonly labelled: number;
  readonly fraud: number;
  readonly from: string | null;
  readonly to: string | null;
  readonly feature_source: 'recorded' | 'replayed' | 'mixed';
  readonly model_scores: number;
  readonly candidate: DecisionReport;
  readonly rules: RuleReport[];
  readonly baseline?: DecisionReport;
  readonly diff?: {
    readonly changed: number;
    /** `from->to` → count. */
    readonly transitions: Record<string, number>;
    readonly examples: Record<string, DecisionChange[]>;
  };
  readonly elapsed_ms: number;
}

class Tally {
  hits = 0;
  fraudHits = 0;
  rates(total: number, fraud: number, legit: number, labelled: boolean): Rates {
    return {
      hits: this.hits,
      hit_rate: total === 0 ? 0 : this.hits / total,
      precision: labelled && this.hits > 0 ? this.fraudHits / this.hits : null,
      recall: labelled && fraud > 0 ? this.fraudHits / fraud : null,
      false_positive_rate: labelled && legit > 0 ? (this.hits - this.fraudHits) / legit : null,
    };
  }
}

export async function runBacktest(opts: BacktestOptions): Promise<BacktestReport> {
  const started = performance.now();
  const { candidate, baseline, labels } = opts;
  const labelled = labels !== undefined;
  const maxExamples = opts.examples ?? 5;

  const ruleTallies = new Map<string, Tally>();
  const ruleMeta = new Map<string, { action: string; reason: string; shadow: boolean }>();
  for (const r of [...candidate.ruleSet.live, ...candidate.ruleSet.shadow]) {
    ruleTallies.set(r.spec.id, new Tally());
    ruleMeta.set(r.spec.id, {
      action: r.spec.action,
      reason: r.spec.reason,
      shadow: candidate.ruleSet.shadow.includes(r),
    });
  }
  const newCounts = () => ({ approve: 0, review: 0, block: 0 }) as Record<Decision, number>;
  const cand = { counts: newCounts(), flagged: new Tally(), blocked: new Tally() };
  const base = { counts: newCounts(), flagged: new Tally(), blocked: new Tally() };
  const transitions: Record<string, number> = {};
  const examples: Record<string, DecisionChange[]> = {};
  let changed = 0;
  let fraud = 0;
  let modelScores = 0;
  let recorded = 0;
  let total = 0;
  let labelledSeen = 0;
  let first: string | null = null;
  let last: string | null = null;

  for await (const batch of opts.items) {
    for (const r of batch) {
      total++;
      first ??= r.transaction.timestamp;
      last = r.transaction.timestamp;
      if (r.recorded) recorded++;
      if (r.modelScore !== null) modelScores++;
      const facts: DecisionFacts = {
        transaction: r.transaction,
        features: r.vector,
        modelScore: r.modelScore,
        graph: r.graph,
        now: Date.parse(r.transaction.timestamp),
      };
      const label = labels?.get(r.transaction.transaction_id);
      if (label) labelledSeen++;
      const isFraud = label?.isFraud ?? false;
      if (isFraud) fraud++;
      const out = candidate.decide(facts);
      cand.counts[out.decision]++;
      count(cand, out.decision, isFraud);
      const seen = new Set<string>();
      for (const h of [...out.ruleHits, ...out.shadowHits]) {
        const t = ruleTallies.get(h.rule_id);
        if (!t || seen.has(h.rule_id)) continue;
        seen.add(h.rule_id);
        t.hits++;
        if (isFraud) t.fraudHits++;
      }
      if (baseline) {
        const b = baseline.decide(facts);
        base.counts[b.decision]++;
        count(base, b.decision, isFraud);
        if (b.decision !== out.decision) {
          changed++;
          const key = `${b.decision}->${out.decision}`;
          transitions[key] = (transitions[key] ?? 0) + 1;
          examples[key] ??= [];
          const list = examples[key];
          if (list.length < maxExamples) {
            list.push({
              transaction_id: r.transaction.transaction_id,
              from: b.decision,
              to: out.decision,
              is_fraud: label ? label.isFraud : labelled ? false : null,
              baseline_reasons: b.reasons,
              candidate_reasons: out.reasons,
            });
          }
        }
      }
    }
    opts.onProgress?.(total);
  }

  const legit = total - fraud;
  const report = (version: string, s: typeof cand): DecisionReport => ({
    version,
    counts: s.counts,
    review_rate: total === 0 ? 0 : s.counts.review / total,
    block_rate: total === 0 ? 0 : s.counts.block / total,
    flagged: s.flagged.rates(total, fraud, legit, labelled),
    blocked: s.blocked.rates(total, fraud, legit, labelled),
  });
  return {
    transactions: total,
    labelled: labelledSeen,
    fraud,
    from: first,
    to: last,
    feature_source: recorded === total ? 'recorded' : recorded === 0 ? 'replayed' : 'mixed',
    model_scores: modelScores,
    candidate: report(candidate.version, cand),
    rules: [...ruleTallies].map(([id, t]) => ({
      rule_id: id,
      ...ruleMeta.get(id)!,
      ...t.rates(total, fraud, legit, labelled),
    })),
    ...(baseline
      ? { baseline: report(baseline.version, base), diff: { changed, transitions, examples } }
      : {}),
    elapsed_ms: Math.round(performance.now() - started),
  };
}

function count(s: { flagged: Tally; blocked: Tally }, d: Decision, isFraud: boolean): void {
  if (d === 'approve') return;
  s.flagged.hits++;
  if (isFraud) s.flagged.fraudHits++;
  if (d === 'block') {
    s.blocked.hits++;
    if (isFraud) s.blocked.fraudHits++;
  }
}

// ---- input files -----------------------------------------------------------------------------

export interface HistoryLoad {
  readonly records: HistoryRecord[];
  /** Lines that were not a valid transaction, with their line number; the rest are kept. */
  readonly rejected: { line: number; message: string }[];
}

/**
 * Reads a JSONL history. Each line is a transaction (the `transactions` topic), or an object with
 * `transaction` plus optional `features` (the `enriched-transactions` topic, either form; a
 * vector must be of this build's feature set), `model_score` and `graph`. Returned in event-time order (stable), as the features must be replayed.
 */
export async function readHistory(file: string, onLine?: (n: number) => void): Promise<HistoryLoad> {
  const records: HistoryRecord[] = [];
  const rejected: { line: number; message: string }[] = [];
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let ordered = true;
  let last = '';
  for await (const text of rl) {
    line++;
    if (line % 50_000 === 0) onLine?.(line);
    if (text.trim() === '') continue;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      rejected.push({ line, message: `not JSON: ${(err as Error).message}` });
      continue;
    }
    const wrapped = typeof v === 'object' && v !== null && typeof v['transaction'] === 'object';
    const tx = checkTransaction(wrapped ? v['transaction'] : v);
    if (!tx.ok) {
      rejected.push({ line, message: tx.error.message });
      continue;
    }
    const ms = wrapped ? (v['model_score'] ?? v['score']) : undefined;
    const recorded = wrapped && typeof v['features'] === 'object' && v['features'] !== null;
    const features = recorded
      ? namedFeatures(v['features'] as Record<string, number | null>, String(v['feature_set_version']))
      : undefined;
    if (recorded && features === undefined) {
      rejected.push({
        line,
        message: `features recorded as a vector of feature set '${String(v['feature_set_version'])}'; this build names only '${FEATURE_SET_VERSION}'`,
      });
      continue;
    }
    const rec: HistoryRecord = {
      line,
      transaction: tx.transaction,
      modelScore: typeof ms === 'number' && ms >= 0 && ms <= 1 ? ms : null,
      ...(features ? { features } : {}),
      ...(wrapped && typeof v['graph'] === 'object' && v['graph'] !== null
        ? { graph: v['graph'] as Record<string, number | null> }
        : {}),
    };
    if (rec.transaction.timestamp < last) ordered = false;
    last = rec.transaction.timestamp;
    records.push(rec);
  }
  if (!ordered)
    records.sort(
      (a, b) => Date.parse(a.transaction.timestamp) - Date.parse(b.transaction.timestamp) || a.line - b.line,
    );
  return { records, rejected };
}

/**
 * Turns loaded history into decision-ready batches: recorded features are laid out in catalogue
 * order; the others are computed by replaying through `features` in event-time order. Labels are
 * fed to the feature source only once they were known (`labeled_at` ≤ the next transaction's
 * time), so label-aware features never see the future.
 */
export async function* historyBatches(
  records: readonly HistoryRecord[],
  options: {
    readonly featureNames: readonly string[];
    readonly features?: FeatureSource;
    readonly labels?: ReadonlyMap<string, LabelRecord>;
    readonly batchSize?: number;
  },
): AsyncGenerator<BacktestItem[]> {
  const batchSize = options.batchSize ?? 1000;
  const index = new Map(options.featureNames.map((n, i) => [n, i]));
  const pending = options.labels
    ? [...options.labels]
        .map(([id, l]) => ({ id, ...l }))
        // A label without labeled_at only scores the report: feeding it would leak the future.
        .filter((l) => l.labeledAt > 0)
        .sort((a, b) => a.labeledAt - b.labeledAt)
    : [];
  let nextLabel = 0;
  let batch: HistoryRecord[] = [];

  const decideReady = async (rs: readonly HistoryRecord[]): Promise<BacktestItem[]> => {
    const replay = rs.filter((r) => r.features === undefined);
    if (replay.length > 0 && !options.features) {
      throw new FraudError(
        'FRAUD_USAGE',
        `history line ${replay[0]!.line} has no recorded features and no feature source was given`,
      );
    }
    const vectors = replay.length > 0 ? await options.features!.enrich(replay.map((r) => r.transaction)) : [];
    let j = 0;
    return rs.map((r) => {
      let vector: Float64Array;
      if (r.features === undefined) vector = vectors[j++]!;
      else {
        vector = new Float64Array(options.featureNames.length).fill(Number.NaN);
        for (const [name, value] of Object.entries(r.features)) {
          const i = index.get(name);
          if (i !== undefined && typeof value === 'number') vector[i] = value;
        }
      }
      return {
        line: r.line,
        transaction: r.transaction,
        vector,
        modelScore: r.modelScore,
        ...(r.graph ? { graph: r.graph } : {}),
        recorded: r.features !== undefined,
      };
    });
  };

  for (const r of records) {
    const t = Date.parse(r.transaction.timestamp);
    if (options.features?.addLabels && nextLabel < pending.length && pending[nextLabel]!.labeledAt <= t) {
      // Flush first: the transactions before this point must not see these labels.
      if (batch.length > 0) yield await decideReady(batch);
      batch = [];
      const due: { transaction_id: string; is_fraud: boolean; labeled_at: string }[] = [];
      while (nextLabel < pending.length && pending[nextLabel]!.labeledAt <= t) {
        const l = pending[nextLabel++]!;
        due.push({
          transaction_id: l.id,
          is_fraud: l.isFraud,
          labeled_at: new Date(l.labeledAt).toISOString(),
        });
      }
      await options.features.addLabels(due);
    }
    batch.push(r);
    if (batch.length >= batchSize) {
      yield await decideReady(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield await decideReady(batch);
}

/** The part of a graph source the backtest replays (the in-process graph fits). */
export interface GraphReplaySource {
  signalsFor(transaction: Transaction): Readonly<Record<string, number | null>> | undefined;
  observe(batch: readonly { transaction: Transaction }[]): Promise<void>;
  addLabels?(
    labels: readonly { transaction_id: string; is_fraud: boolean; labeled_at: string }[],
  ): Promise<void>;
}

/**
 * Adds point-in-time graph signals to items without recorded ones, as the live path computes
 * them: each batch reads its signals, then is written to the graph (as the processor observes a
 * decided batch). Fraud labels reach the graph only once known (labeled_at ≤ the batch's time).
 */
export async function* withGraphReplay(
  items: AsyncIterable<readonly BacktestItem[]>,
  graph: GraphReplaySource,
  labels?: ReadonlyMap<string, LabelRecord>,
): AsyncGenerator<BacktestItem[]> {
  const pending = labels
    ? [...labels]
        .filter(([, l]) => l.isFraud && l.labeledAt > 0)
        .map(([id, l]) => ({
          transaction_id: id,
          is_fraud: true,
          labeled_at: new Date(l.labeledAt).toISOString(),
          at: l.labeledAt,
        }))
        .sort((a, b) => a.at - b.at)
    : [];
  let next = 0;
  for await (const batch of items) {
    const first = batch[0];
    if (first && graph.addLabels && next < pending.length) {
      const t = Date.parse(first.transaction.timestamp);
      const due: { transaction_id: string; is_fraud: boolean; labeled_at: string }[] = [];
      while (next < pending.length && pending[next]!.at <= t) {
        const { at: _at, ...label } = pending[next++]!;
        due.push(label);
      }
      if (due.length > 0) await graph.addLabels(due);
    }
    const out = batch.map((item) => {
      if (item.graph !== undefined) return item;
      const g = graph.signalsFor(item.transaction);
      return g === undefined ? item : { ...item, graph: g };
    });
    yield out;
    await graph.observe(out);
  }
}

/**
 * Reads labels: CSV with a header naming `transaction_id` and `is_fraud` (true/false/1/0) and
 * optionally `labeled_at`, or JSONL of the `labels` topic. Transactions without a label count as
 * legitimate in the report (chargebacks only ever arrive for fraud).
 */
export async function readLabels(
  file: string,
): Promise<{ labels: Map<string, LabelRecord>; rejected: { line: number; message: string }[] }> {
  const labels = new Map<string, LabelRecord>();
  const rejected: { line: number; message: string }[] = [];
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let header: string[] | null = null;
  const truth = (s: unknown): boolean | null =>
    s === true || s === 'true' || s === '1' || s === 1
      ? true
      : s === false || s === 'false' || s === '0' || s === 0
        ? false
        : null;
  for await (const text of rl) {
    line++;
    if (text.trim() === '') continue;
    let id: unknown;
    let fraud: boolean | null;
    let at: unknown;
    if (text.trimStart().startsWith('{')) {
      try {
        const v = JSON.parse(text) as Record<string, unknown>;
        id = v['transaction_id'];
        fraud = truth(v['is_fraud']);
        at = v['labeled_at'];
      } catch (err) {
        rejected.push({ line, message: `not JSON: ${(err as Error).message}` });
        continue;
      }
    } else {
      const cells = text.split(',').map((c) => c.trim());
      if (header === null) {
        header = cells.map((c) => c.toLowerCase());
        if (!header.includes('transaction_id') || !header.includes('is_fraud')) {
          throw new FraudError(
            'FRAUD_USAGE',
            `labels file ${file}: header must name transaction_id and is_fraud`,
          );
        }
        continue;
      }
      id = cells[header.indexOf('transaction_id')];
      fraud = truth(cells[header.indexOf('is_fraud')]);
      at = header.includes('labeled_at') ? cells[header.indexOf('labeled_at')] : undefined;
    }
    if (typeof id !== 'string' || id === '' || fraud === null) {
      rejected.push({ line, message: 'needs transaction_id and is_fraud (true/false/1/0)' });
      continue;
    }
    const labeledAt = typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? Date.parse(at) : 0;
    labels.set(id, { isFraud: fraud, labeledAt });
  }
  return { labels, rejected };
}

// ---- text report -----------------------------------------------------------------------------

const pct = (x: number | null) => (x === null ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`);

export function formatReport(r: BacktestReport): string {
  const out: string[] = [];
  out.push(
    `Backtest of ${r.candidate.version} over ${r.transactions} transactions (${r.from ?? '-'} .. ${r.to ?? '-'})`,
    `  labels: ${r.labelled} labelled, ${r.fraud} fraud; features: ${r.feature_source}; model scores: ${r.model_scores}`,
    '',
  );
  const dec = (name: string, d: DecisionReport) => {
    out.push(
      `${name} ${d.version}`,
      `  approve ${d.counts.approve}  review ${d.counts.review} (${pct(d.review_rate).trim()})  block ${d.counts.block} (${pct(d.block_rate).trim()})`,
      `  flagged (review+block): precision ${pct(d.flagged.precision).trim()}  recall ${pct(d.flagged.recall).trim()}  FPR ${pct(d.flagged.false_positive_rate).trim()}`,
      `  blocked:                precision ${pct(d.blocked.precision).trim()}  recall ${pct(d.blocked.recall).trim()}  FPR ${pct(d.blocked.false_positive_rate).trim()}`,
    );
  };
  dec('Candidate', r.candidate);
  out.push('', 'Per rule:');
  const w = Math.max(4, ...r.rules.map((x) => x.rule_id.length));
  out.push(`  ${'rule'.padEnd(w)}  action   ${'hits'.padStart(8)}  hit rate  precision  recall     FPR`);
  for (const x of r.rules) {
    out.push(
      `  ${x.rule_id.padEnd(w)}  ${(x.action + (x.shadow ? '*' : '')).padEnd(7)}  ${String(x.hits).padStart(8)}  ${pct(x.hit_rate)}    ${pct(x.precision)}  ${pct(x.recall)}  ${pct(x.false_positive_rate)}`,
    );
  }
  if (r.rules.some((x) => x.shadow))
    out.push('  (* shadow: evaluated and counted, never changes a decision)');
  if (r.baseline && r.diff) {
    out.push('');
    dec('Baseline', r.baseline);
    out.push('', `Diff vs baseline: ${r.diff.changed} decisions change`);
    for (const [k, n] of Object.entries(r.diff.transitions).sort((a, b) => b[1] - a[1])) {
      out.push(`  ${k.padEnd(16)} ${n}`);
      for (const e of r.diff.examples[k] ?? []) {
        out.push(
          `    ${e.transaction_id}${e.is_fraud === null ? '' : e.is_fraud ? ' (fraud)' : ' (legit)'}: ${e.baseline_reasons.join(',')} -> ${e.candidate_reasons.join(',')}`,
        );
      }
    }
  }
  out.push('', `Elapsed ${r.elapsed_ms} ms`);
  return `${out.join('\n')}\n`;
}
