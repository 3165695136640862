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

describe('DecisionEngine graph signals', () => {
  /** A feature store whose batch stays pending until the test releases it. */
  function heldFeatures() {
    const inner = new MemoryFeatureStore();
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    return {
      release: () => release(),
      store: {
        kind: 'memory' as const,
        enrich: async (t: readonly Transaction[]) => {
          await released;
          return inner.enrich(t);
        },
        addLabels: async () => {},
        close: async () => {},
      },
    };
  }

  it('reads the whole batch’s signals while its features are still being computed', async () => {
    const held = heldFeatures();
    const asked: string[] = [];
    const graph = {
      ...noGraph,
      kind: 'memory' as const,
      signalsFor: (t: Transaction) => {
        asked.push(t.transaction_id);
        return { device_cards_total: Number(t.transaction_id.slice(3)) };
      },
    };
    const engine = new DecisionEngine({
      features: held.store,
      graph,
      policy: { current: policy },
      model: { current: null },
    });
    const deciding = engine.decide(batch(5));
    await new Promise((r) => setTimeout(r, 20));
    // The features are held, yet every signal has been read: the graph does not wait for them.
    expect(asked).toEqual(['ex_0', 'ex_1', 'ex_2', 'ex_3', 'ex_4']);
    held.release();
    const results = await deciding;
    // Each score carries its own transaction's signals.
    expect(results.map((r) => r.score.graph?.['device_cards_total'])).toEqual([0, 1, 2, 3, 4]);
  });

  it('a graph that throws fails the batch with its own error, and the pending features are not left unhandled', async () => {
    const held = heldFeatures();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failingFeatures = {
        ...held.store,
        enrich: async () => {
          throw new Error('features lost');
        },
      };
      const engine = new DecisionEngine({
        features: failingFeatures,
        graph: {
          ...noGraph,
          signalsFor: () => {
            throw new Error('graph broke');
          },
        },
        policy: { current: policy },
        model: { current: null },
      });
      await expect(engine.decide(batch(2))).rejects.toThrow('graph broke');
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
