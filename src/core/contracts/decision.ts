import { type Static, Type } from '@sinclair/typebox';
import { TransactionSchema } from './transaction.ts';

export const DECISIONS = ['approve', 'review', 'block'] as const;
export type Decision = (typeof DECISIONS)[number];
export const DecisionSchema = Type.Union(DECISIONS.map((d) => Type.Literal(d)));

const Scalar = Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]);

/** One rule that fired, with the values that made it fire (issue: rules engine). */
export const RuleHitSchema = Type.Object(
  {
    rule_id: Type.String(),
    action: Type.String({ description: 'approve | review | block | score' }),
    reason: Type.String(),
    score_contribution: Type.Optional(Type.Number()),
    shadow: Type.Optional(
      Type.Boolean({ description: 'Shadow rules are recorded but never change a decision.' }),
    ),
    values: Type.Record(Type.String(), Scalar),
  },
  { additionalProperties: false },
);
export type RuleHit = Static<typeof RuleHitSchema>;

/** A feature's signed contribution to the model score (TreeSHAP for tree models). */
export const ContributionSchema = Type.Object(
  { feature: Type.String(), value: Type.Union([Type.Number(), Type.Null()]), contribution: Type.Number() },
  { additionalProperties: false },
);
export type Contribution = Static<typeof ContributionSchema>;

/**
 * The `scores` topic: the brief's format
 *   { "transaction_id": "tx_0001", "score": 0.87, "model_version": "v1.2.0",
 *     "decision": "block", "reason": "high_risk_graph_pattern" }
 * plus the ordered `reasons[]`, `rule_hits[]`, `decided_at` and `latency_ms`, and the versions
 * that make every decision reproducible.
 */
export const ScoreSchema = Type.Object(
  {
    transaction_id: Type.String(),
    score: Type.Number({ minimum: 0, maximum: 1, description: 'Final risk score in [0,1].' }),
    model_version: Type.String({ description: 'Model that produced the ML score, or `none`.' }),
    decision: DecisionSchema,
    reason: Type.String({ description: 'The primary reason: reasons[0].' }),
    reasons: Type.Array(Type.String(), { description: 'All reasons, most decisive first.' }),
    rule_hits: Type.Array(RuleHitSchema),
    decided_at: Type.String({ format: 'date-time' }),
    latency_ms: Type.Number({ minimum: 0, description: 'From receipt by the decision engine to decision.' }),
    model_score: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    rule_set_version: Type.Optional(Type.String()),
    feature_set_version: Type.Optional(Type.String()),
    explanations: Type.Optional(Type.Array(ContributionSchema)),
    graph: Type.Optional(Type.Record(Type.String(), Scalar)),
    shadow: Type.Optional(
      Type.Object(
        {
          rule_hits: Type.Optional(Type.Array(RuleHitSchema)),
          challenger: Type.Optional(
            Type.Object({ model_version: Type.String(), score: Type.Number(), decision: DecisionSchema }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    missing_signals: Type.Optional(
      Type.Array(Type.String(), { description: 'Signals that were unavailable or stale for this decision.' }),
    ),
  },
  { $id: 'score', title: 'Score', additionalProperties: false },
);
export type Score = Static<typeof ScoreSchema>;

/** The `alerts` topic: one alert for every review or block decision. */
export const AlertSchema = Type.Object(
  {
    alert_id: Type.String(),
    transaction_id: Type.String(),
    card_id: Type.String(),
    customer_id: Type.String(),
    decision: Type.Union([Type.Literal('review'), Type.Literal('block')]),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    reason: Type.String(),
    reasons: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    transaction: TransactionSchema,
  },
  { $id: 'alert', title: 'Alert', additionalProperties: false },
);
export type Alert = Static<typeof AlertSchema>;
