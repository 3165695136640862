import type { Decision, RuleHit, Transaction } from '../contracts/index.ts';

/** Everything known about one transaction at decision time. */
export interface DecisionFacts {
  readonly transaction: Transaction;
  /** Epoch ms used for list expiry; default `Date.now()` (backtests pass the event time). */
  readonly now?: number;
  /** Feature vector in catalogue order (`core/features`); NaN = missing. */
  readonly features: Float64Array;
  /** Champion model probability, or null when no model is loaded or it failed. */
  readonly modelScore: number | null;
  /** Graph signals, or undefined when missing or stale. */
  readonly graph: Readonly<Record<string, number | null>> | undefined;
}

export interface DecisionOutcome {
  readonly decision: Decision;
  /** Final risk score in [0,1]. */
  readonly score: number;
  /** Most decisive first; never empty. */
  readonly reasons: string[];
  readonly ruleHits: RuleHit[];
  readonly shadowHits: RuleHit[];
  /** Signals that were missing, so a reviewer knows what the decision could not see. */
  readonly missingSignals: string[];
}

/**
 * A compiled, immutable decision policy: rule set + lists + score thresholds. Swapping the
 * active policy is one reference assignment, so a decision never mixes two versions.
 */
export interface DecisionPolicy {
  /** Recorded as `rule_set_version` on every score. */
  readonly version: string;
  decide(facts: DecisionFacts): DecisionOutcome;
}

export interface Thresholds {
  /** Score at or above which a transaction goes to review. */
  readonly review: number;
  /** Score at or above which it is blocked. */
  readonly block: number;
}
