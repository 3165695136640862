import { randomUUID } from 'node:crypto';
import type {
  Alert,
  Contribution,
  EnrichedTransaction,
  Score,
  Transaction,
} from '../../core/contracts/index.ts';
import type { DecisionFacts, DecisionPolicy } from '../../core/decision/index.ts';
import { FEATURE_SET_VERSION, featuresToRecord } from '../../core/features/index.ts';
import type {
  FeatureStore,
  FeatureVector,
  GraphSignalSource,
  GraphSignals,
  ModelScorer,
} from '../../ports/index.ts';

/** Something whose current value can be swapped atomically (hot reload of rules and models). */
export interface Holder<T> {
  readonly current: T;
}

export interface DecisionEngineDeps {
  readonly features: FeatureStore;
  readonly graph: GraphSignalSource;
  readonly policy: Holder<DecisionPolicy>;
  /** Champion model; `current` null when none is loaded (decisions fall back to rules + review). */
  readonly model: Holder<ModelScorer | null>;
  /** Challenger model scored in shadow: recorded on the score, never decides. */
  readonly challenger?: Holder<ModelScorer | null>;
  /** Top contributions attached to review/block decisions. Default 5. */
  readonly explainTop?: number;
  readonly now?: () => number;
}

/** Everything one decided transaction produces, ready for the `enriched-transactions`, `scores` and `alerts` topics. */
export interface DecisionResult {
  readonly transaction: Transaction;
  readonly features: FeatureVector;
  /** The `enriched-transactions` record as an object (built on first use: the hot path serialises from `features`). */
  readonly enriched: EnrichedTransaction;
  readonly score: Score;
  readonly alert: Alert | null;
}

/** A decided batch whose review and block explanations may still be computing. */
export interface DecidedBatch {
  readonly results: DecisionResult[];
  /** Resolves once the explanations are on the scores; never rejects (explanations are advisory). */
  readonly explained: Promise<void>;
}

class Decided implements DecisionResult {
  readonly transaction: Transaction;
  readonly features: FeatureVector;
  readonly score: Score;
  readonly alert: Alert | null;
  #enriched: EnrichedTransaction | undefined;

  constructor(transaction: Transaction, features: FeatureVector, score: Score, alert: Alert | null) {
    this.transaction = transaction;
    this.features = features;
    this.score = score;
    this.alert = alert;
  }

  get enriched(): EnrichedTransaction {
    this.#enriched ??= {
      transaction: this.transaction,
      features: featuresToRecord(this.features),
      feature_set_version: FEATURE_SET_VERSION,
      enriched_at: this.score.decided_at,
    };
    return this.#enriched;
  }
}

/**
 * The decision pipeline for a batch of valid transactions: features → graph signals → model →
 * policy (rules + lists + thresholds) → score and alert. The stream processor, the synchronous
 * API and the replay tools all go through here, so they cannot disagree.
 *
 * Ordering: transactions are enriched in array order, which the processor keeps equal to
 * offset order per partition, so each card's features see its history in order.
 */
export class DecisionEngine {
  private readonly deps: DecisionEngineDeps;
  private readonly now: () => number;

  constructor(deps: DecisionEngineDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  /**
   * @param receivedAt epoch ms at which each transaction entered the platform (for `latency_ms`);
   *   defaults to the start of this call.
   */
  async decide(
    transactions: readonly Transaction[],
    receivedAt?: readonly number[],
  ): Promise<DecisionResult[]> {
    const batch = await this.decideBatch(transactions, receivedAt);
    await batch.explained;
    return batch.results;
  }

  /**
   * `decide` without waiting for the explanations: they are computed on the model's explanation
   * thread while the caller goes on (the stream processor decides its next batch meanwhile and
   * waits for them only to produce). The decisions themselves are final when this resolves.
   */
  async decideBatch(
    transactions: readonly Transaction[],
    receivedAt?: readonly number[],
  ): Promise<DecidedBatch> {
    if (transactions.length === 0) return { results: [], explained: Promise.resolve() };
    const started = this.now();
    // Read both holders once: one batch is decided by one rule set and one model version.
    const policy = this.deps.policy.current;
    const model = this.deps.model.current;
    const challenger = this.deps.challenger?.current ?? null;

    const enriching = this.deps.features.enrich(transactions);
    // The batch's graph signals while the feature store works (on its own thread, or Redis).
    let signals: (GraphSignals | undefined)[];
    try {
      signals = transactions.map((t) => this.deps.graph.signalsFor(t));
    } catch (err) {
      enriching.catch(() => {}); // the graph's error is the one to report
      throw err;
    }
    const vectors = await enriching;
    const modelScores = model ? await scoreSafely(model, vectors) : null;
    const challengerScores = challenger ? await scoreSafely(challenger, vectors) : null;

    const decidedAtMs = this.now();
    const decidedAt = new Date(decidedAtMs).toISOString();
    const results: DecisionResult[] = new Array(transactions.length);
    const explain: number[] = [];
    for (let i = 0; i < transactions.length; i++) {
      const transaction = transactions[i]!;
      const vector = vectors[i]!;
      const modelScore = modelScores ? modelScores[i]! : null;
      const facts: DecisionFacts = {
        transaction,
        features: vector,
        modelScore,
        graph: signals[i],
      };
      const outcome = policy.decide(facts);
      const missing = [...outcome.missingSignals];
      if (model && modelScores === null && !missing.includes('model')) missing.push('model');

      const score: Score = {
        transaction_id: transaction.transaction_id,
        score: round(outcome.score),
        model_version: model?.version ?? 'none',
        decision: outcome.decision,
        reason: outcome.reasons[0] ?? 'no_reason',
        reasons: outcome.reasons,
        rule_hits: outcome.ruleHits,
        decided_at: decidedAt,
        latency_ms: Math.max(0, decidedAtMs - (receivedAt?.[i] ?? started)),
        model_score: modelScore === null ? null : round(modelScore),
        rule_set_version: policy.version,
        feature_set_version: FEATURE_SET_VERSION,
      };
      if (facts.graph) score.graph = { ...facts.graph };
      if (missing.length > 0) score.missing_signals = missing;
      if (outcome.decision !== 'approve' && model && modelScores) explain.push(i);
      if (outcome.shadowHits.length > 0 || challengerScores) {
        score.shadow = {};
        if (outcome.shadowHits.length > 0) score.shadow.rule_hits = outcome.shadowHits;
        if (challenger && challengerScores) {
          // The challenger is judged by the same policy with its score swapped in: what it *would* have decided.
          const alt = policy.decide({ ...facts, modelScore: challengerScores[i]! });
          score.shadow.challenger = {
            model_version: challenger.version,
            score: round(challengerScores[i]!),
            decision: alt.decision,
          };
        }
      }

      const alert: Alert | null =
        outcome.decision === 'approve'
          ? null
          : {
              alert_id: randomUUID(),
              transaction_id: transaction.transaction_id,
              card_id: transaction.card_id,
              customer_id: transaction.customer_id,
              decision: outcome.decision,
              score: score.score,
              reason: score.reason,
              reasons: score.reasons,
              created_at: decidedAt,
              transaction,
            };
      results[i] = new Decided(transaction, vector, score, alert);
    }
    let explained = Promise.resolve();
    if (model && explain.length > 0) {
      // One call per batch: the model explains them on another thread meanwhile.
      explained = explainSafely(
        model,
        explain.map((i) => vectors[i]!),
        this.deps.explainTop ?? 5,
      ).then((top) => {
        if (top) for (let j = 0; j < explain.length; j++) results[explain[j]!]!.score.explanations = top[j]!;
      });
    }
    return { results, explained };
  }
}

// A failing model must never stop decisions: the policy sees `modelScore: null` and falls
// back to rules and human review, and the score records `missing_signals: ['model']`.
async function scoreSafely(
  model: ModelScorer,
  vectors: readonly FeatureVector[],
): Promise<Float64Array | null> {
  try {
    return await model.score(vectors);
  } catch {
    return null;
  }
}

// Explanations are advisory: without them the decision still stands.
async function explainSafely(
  model: ModelScorer,
  vectors: readonly FeatureVector[],
  top: number,
): Promise<Contribution[][] | null> {
  try {
    return await model.explainMany(vectors, top);
  } catch {
    return null;
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
