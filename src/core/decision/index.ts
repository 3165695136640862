export { CompiledPolicy, GRAPH_REASON } from './policy.ts';
export type { DecisionFacts, DecisionOutcome, DecisionPolicy, Thresholds } from './types.ts';

import type { Decision } from '../contracts/index.ts';
import type { DecisionPolicy, Thresholds } from './types.ts';

/**
 * Model-thresholds-only policy, for tests and for a processor started without any rule set:
 * human review is the fallback when there is no model score. Production uses the compiled
 * rule set policy (`loadDecisionPolicy` in `services/rules-engine`).
 */
export function baselinePolicy(thresholds: Thresholds = { review: 0.5, block: 0.9 }): DecisionPolicy {
  return {
    version: 'baseline',
    decide(facts) {
      const missingSignals: string[] = [];
      if (facts.modelScore === null) missingSignals.push('model');
      if (facts.graph === undefined) missingSignals.push('graph');
      if (facts.modelScore === null) {
        return {
          decision: 'review',
          score: 0.5,
          reasons: ['model_unavailable'],
          ruleHits: [],
          shadowHits: [],
          missingSignals,
        };
      }
      const s = facts.modelScore;
      const decision: Decision =
        s >= thresholds.block ? 'block' : s >= thresholds.review ? 'review' : 'approve';
      const reason = decision === 'approve' ? 'low_risk' : 'high_model_score';
      return { decision, score: s, reasons: [reason], ruleHits: [], shadowHits: [], missingSignals };
    },
  };
}
export { compilePolicy, type PolicyCompiler, type PolicyDeps, policyCompiler } from './compile-policy.ts';
