import type { ListEntity, ListKind } from '../lists/index.ts';

/**
 * The rule language as data: the normalised form of a rule set file, after validation.
 * Every node carries its source position (`pos`) so compile-time problems can still name a
 * line; `pos` is left out of the content hash so re-indenting a file keeps its version.
 */
export interface Pos {
  readonly line: number;
  readonly column: number;
}

export const RULE_ACTIONS = ['approve', 'review', 'block', 'score'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

export const COMPARISONS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte'] as const;
export type Comparison = (typeof COMPARISONS)[number];

export type Literal = number | string | boolean;

/** The right-hand side of a comparison: a constant, or another field scaled (`amount > 5 × avg`). */
export type Operand =
  | { readonly const: Literal }
  | { readonly field: string; readonly times: number; readonly plus: number };

export type Condition =
  | { readonly op: 'all' | 'any'; readonly of: readonly Condition[]; readonly pos: Pos }
  | { readonly op: 'not'; readonly of: Condition; readonly pos: Pos }
  | {
      readonly op: 'cmp';
      readonly cmp: Comparison;
      readonly field: string;
      readonly value: Operand;
      readonly pos: Pos;
    }
  | {
      readonly op: 'in' | 'not_in';
      readonly field: string;
      readonly values: readonly Literal[];
      readonly pos: Pos;
    }
  | {
      readonly op: 'between';
      readonly field: string;
      readonly low: number;
      readonly high: number;
      readonly pos: Pos;
    }
  | {
      readonly op: 'is_null' | 'is_missing';
      readonly field: string;
      readonly value: boolean;
      readonly pos: Pos;
    }
  | {
      readonly op: 'list';
      readonly kind: ListKind;
      readonly entities: readonly ListEntity[];
      readonly pos: Pos;
    };

export interface RuleSpec {
  readonly id: string;
  readonly description: string;
  readonly when: Condition;
  readonly action: RuleAction;
  /** For `action: score`: added to the risk score, in [-1, 1]. */
  readonly contribution: number;
  readonly reason: string;
  /** Higher first. Among terminal actions the highest-priority hit decides. Default 0. */
  readonly priority: number;
  readonly enabled: boolean;
  /** Evaluated and recorded, never changes a decision. */
  readonly shadow: boolean;
  readonly tags: readonly string[];
  readonly pos: Pos;
}

export const MISSING_POLICIES = ['review', 'ignore'] as const;
export type MissingPolicy = (typeof MISSING_POLICIES)[number];

/** How rule actions, the model score and list hits combine into one decision. */
export interface PolicySpec {
  /** Final score at or above which a transaction goes to review / is blocked. Default 0.5 / 0.9. */
  readonly thresholds: { readonly review: number; readonly block: number };
  /** No model score: `review` (default) sends otherwise-approved transactions to a human. */
  readonly missing_model: MissingPolicy;
  /** Graph signals missing or stale: `ignore` (default; recorded in missing_signals) or `review`. */
  readonly missing_graph: MissingPolicy;
  /** An approve rule while the score is at block level: `review` (default) or `ignore` (approve). */
  readonly disagreement: MissingPolicy;
  /** Built-in list handling: allow → approve (short-circuit), deny → block. */
  readonly lists: { readonly allow: 'approve' | 'ignore'; readonly deny: 'block' | 'review' | 'ignore' };
}

export const DEFAULT_POLICY: PolicySpec = Object.freeze({
  thresholds: Object.freeze({ review: 0.5, block: 0.9 }),
  missing_model: 'review',
  missing_graph: 'ignore',
  disagreement: 'review',
  lists: Object.freeze({ allow: 'approve', deny: 'block' }),
});

export interface RuleSetSpec {
  /** Set name, e.g. `default`. */
  readonly name: string;
  /** Human label, e.g. `2026-11-26.2`; the version is `<label>+<content hash>`. */
  readonly label: string;
  readonly description: string;
  /** The whole set in shadow mode: every rule is recorded, none changes a decision. */
  readonly shadow: boolean;
  readonly policy: PolicySpec;
  readonly rules: readonly RuleSpec[];
}

/** Cost bounds: a rule set can never make a decision slow or a validation unbounded. */
export const LIMITS = Object.freeze({
  /** The set travels whole in one Kafka record: stay under the broker's default 1 MB limit. */
  maxSourceBytes: 900 * 1024,
  maxRules: 2000,
  /** Nesting depth of all/any/not. */
  maxDepth: 12,
  /** Condition nodes per rule. */
  maxNodesPerRule: 256,
  maxInValues: 10_000,
  /** Errors reported before giving up. */
  maxIssues: 100,
});
