import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '../../../src/adapters/features-memory/index.ts';
import {
  BRIEF_EXAMPLE_TRANSACTION,
  type Contribution,
  type Transaction,
} from '../../../src/core/contracts/index.ts';
import type { DecisionPolicy } from '../../../src/core/decision/index.ts';
import type { FeatureVector, ModelScorer } from '../../../src/ports/index.ts';
import { DecisionEngine } from '../../../src/services/decision-engine/index.ts';

// Blocks what the (fake) model scores at 0.9, approves the rest.
const policy: DecisionPolicy = {
  version: 'test-policy',
  decide: (facts) => {
    const block = (facts.modelScore ?? 0) >= 0.5;
    return {
      decision: block ? 'block' : 'approve',
      score: facts.modelScore ?? 0,
      reasons: [block ? 'ml_score_high' : 'low_risk'],
      ruleHits: [],
      shadowHits: [],
      missingSignals: [],
    };
  },
};

/** A model that flags even-numbered transactions (by amount) and records its explanation calls. */
function fakeModel(explainMany: ModelScorer['explainMany']): ModelScorer & { calls: number[] } {
  const calls: number[] = [];
  return {
    version: 'fake-1',
    calls,
    score: async (vectors) => Float64Array.from(vectors, (_, i) => (i % 2 === 0 ? 0.9 : 0.1)),
    explainMany: async (vectors, top) => {
      calls.push(vectors.length);
      return explainMany(vectors, top);
    },
    close: async () => {},
  };
}

const noGraph = {
  kind: 'none' as const,
  signalsFor: () => undefined,
  observe: async () => {},
  close: async () => {},
};
const batch = (n: number): Transaction[] =>
  Array.from({ length: n }, (_, i) => ({
    ...BRIEF_EXAMPLE_TRANSACTION,
    transaction_id: `ex_${i}`,
    card_id: `card_${i}`,
  }));
const contribution = (v: FeatureVector): Contribution[] => [
  { feature: 'amount', value: v[0] ?? null, contribution: 1.5 },
];

describe('DecisionEngine explanations', () => {
  it('explains every review and block, no approval, in one call per batch', async () => {
    const model = fakeModel(async (vectors) => vectors.map(contribution));
    const engine = new DecisionEngine({
      features: new MemoryFeatureStore(),
      graph: noGraph,
      policy: { current: policy },
      model: { current: model },
    });
    const results = await engine.decide(batch(7));
    expect(model.calls).toEqual([4]);
    for (const [i, r] of results.entries()) {
      if (i % 2 === 0) {
        expect(r.score.decision).toBe('block');
        expect(r.score.explanations).toEqual([
          expect.objectContaining({ feature: 'amount', contribution: 1.5 }),
        ]);
      } else {
        expect(r.score.decision).toBe('approve');
        expect(r.score.explanations).toBeUndefined();
      }
    }
  });

  it('a failing explainer leaves the decisions standing, without explanations', async () => {
    const model = fakeModel(async () => {
      throw new Error('explainer down');
    });
    const engine = new DecisionEngine({
      features: new MemoryFeatureStore(),
      graph: noGraph,
      policy: { current: policy },
      model: { current: model },
    });
    const results = await engine.decide(batch(4));
    expect(results.map((r) => r.score.decision)).toEqual(['block', 'approve', 'block', 'approve']);
    expect(results.every((r) => r.score.explanations === undefined)).toBe(true);
    expect(results.every((r) => r.score.missing_signals === undefined)).toBe(true);
  });
});

describe('DecisionEngine.decideBatch', () => {
  it('settles the decisions without waiting for the explanations, which land on the scores later', async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const model = fakeModel(async (vectors) => {
      await gate;
      return vectors.map(contribution);
    });
    const engine = new DecisionEngine({
      features: new MemoryFeatureStore(),
      graph: noGraph,
      policy: { current: policy },
      model: { current: model },
    });
    const { results, explained } = await engine.decideBatch(batch(4));
    expect(results.map((r) => r.score.decision)).toEqual(['block', 'approve', 'block', 'approve']);
    expect(results.every((r) => r.score.explanations === undefined)).toBe(true);
    release();
    await explained;
    expect(results.map((r) => r.score.explanations?.length ?? 0)).toEqual([1, 0, 1, 0]);
  });
});
