import { describe, expect, it } from 'vitest';
import { BRIEF_EXAMPLE_TRANSACTION, type Transaction } from '../../../src/core/contracts/index.ts';
import { compilePolicy, type DecisionFacts } from '../../../src/core/decision/index.ts';
import { type ListEntry, ListStore } from '../../../src/core/lists/index.ts';
import type { Catalogue } from '../../../src/core/rules/index.ts';

const catalogue: Catalogue = { featureNames: ['card_txn_count_1h'], graphSignals: null };
const ADDED = '2026-01-01T00:00:00Z';

function facts(over: Partial<Transaction> = {}, extra: Partial<DecisionFacts> = {}): DecisionFacts {
  return {
    transaction: { ...BRIEF_EXAMPLE_TRANSACTION, ...over },
    features: Float64Array.from([2]),
    modelScore: 0.1,
    graph: { device_cards_24h: 1 },
    ...extra,
  };
}

const RULES = `
label: t1
policy:
  thresholds: { review: 0.5, block: 0.9 }
rules:
  - id: velocity
    priority: 100
    when: { feature.card_txn_count_1h: { gte: 10 } }
    action: block
    reason: card_testing_velocity
  - id: ring
    priority: 90
    when: { graph.device_cards_24h: { gt: 3 } }
    action: review
    reason: shared_device
  - id: big_cnp
    when: { all: [ { tx.card_present: false }, { tx.amount: { gte: 1000 } } ] }
    action: score
    contribution: 0.3
    reason: large_card_not_present
  - id: night
    when: { tx.hour_utc: { lt: 6 } }
    action: score
    contribution: 0.2
    reason: night_time
  - id: trusted_merchant
    priority: 200
    when: { tx.merchant_id: m_trusted }
    action: approve
    reason: trusted_merchant
`;

function policy(source = RULES, entries: ListEntry[] = []) {
  return compilePolicy(source, 'p.yaml', { catalogue, lists: new ListStore(entries) });
}

describe('decision policy', () => {
  it('approves low risk with reason low_risk and records the version', () => {
    const p = policy();
    const out = p.decide(facts({ amount: 10 }));
    expect(out).toMatchObject({
      decision: 'approve',
      reasons: ['low_risk'],
      ruleHits: [],
      missingSignals: [],
    });
    expect(out.score).toBeCloseTo(0.1);
    expect(p.version).toMatch(/^t1\+[0-9a-f]{12}$/);
  });

  it('thresholds the model score plus score contributions', () => {
    const p = policy();
    // 0.3 model + 0.3 large CNP = 0.6 → review, driven by the score rule
    const out = p.decide(facts({}, { modelScore: 0.3 }));
    expect(out.decision).toBe('review');
    expect(out.score).toBeCloseTo(0.6);
    expect(out.reasons[0]).toBe('large_card_not_present');
    expect(out.ruleHits[0]).toMatchObject({ rule_id: 'big_cnp', score_contribution: 0.3 });
    const high = p.decide(facts({ amount: 10 }, { modelScore: 0.95 }));
    expect(high).toMatchObject({ decision: 'block', reasons: ['high_model_score'] });
  });

  it('blocks on a terminal rule, raises the score to the block threshold, reasons most decisive first', () => {
    const out = policy().decide(
      facts({ timestamp: '2025-01-29T03:00:00Z' }, { features: Float64Array.from([12]) }),
    );
    expect(out.decision).toBe('block');
    expect(out.score).toBe(0.9);
    expect(out.reasons).toEqual(['card_testing_velocity', 'large_card_not_present', 'night_time']);
    expect(out.ruleHits.map((h) => h.rule_id)).toEqual(['velocity', 'big_cnp', 'night']);
    expect(out.ruleHits[0]!.values).toEqual({ 'feature.card_txn_count_1h': 12 });
  });

  it('names high_risk_graph_pattern when graph signals drive the decision', () => {
    const out = policy().decide(facts({ amount: 10 }, { graph: { device_cards_24h: 5 } }));
    expect(out.decision).toBe('review');
    expect(out.reasons).toEqual(['shared_device', 'high_risk_graph_pattern']);
  });

  it('lets the highest-priority terminal rule decide, and reviews when an approve rule meets a block-level score', () => {
    const p = policy();
    const trusted = p.decide(facts({ merchant_id: 'm_trusted' }, { features: Float64Array.from([12]) }));
    expect(trusted.decision).toBe('approve');
    expect(trusted.reasons[0]).toBe('trusted_merchant');
    const disagree = p.decide(facts({ merchant_id: 'm_trusted' }, { modelScore: 0.97 }));
    expect(disagree.decision).toBe('review');
    expect(disagree.reasons.slice(0, 2)).toEqual(['signals_disagree', 'trusted_merchant']);
  });

  it('falls back to human review when the model score is missing', () => {
    const out = policy().decide(facts({ amount: 10 }, { modelScore: null, graph: undefined }));
    expect(out).toMatchObject({
      decision: 'review',
      reasons: ['model_unavailable'],
      missingSignals: ['model', 'graph'],
    });
    const strict = policy(RULES.replace('policy:', 'policy:\n  missing_graph: review\n'));
    expect(strict.decide(facts({ amount: 10 }, { graph: undefined })).reasons).toEqual(['graph_unavailable']);
    const lax = policy(RULES.replace('policy:', 'policy:\n  missing_model: ignore\n'));
    expect(lax.decide(facts({ amount: 10 }, { modelScore: null })).decision).toBe('approve');
  });

  it('short-circuits an allow-list hit to approve with the reason recorded', () => {
    const p = policy(RULES, [{ kind: 'allow', entity: 'card', value: 'card_1234', added_at: ADDED }]);
    const out = p.decide(facts({}, { features: Float64Array.from([50]), modelScore: 0.99 }));
    expect(out.decision).toBe('approve');
    expect(out.reasons).toEqual(['allow_list_card']);
    expect(out.ruleHits).toEqual([
      {
        rule_id: 'list.allow.card',
        action: 'approve',
        reason: 'allow_list_card',
        values: { 'tx.card_id': 'card_1234' },
      },
    ]);
  });

  it('blocks a deny-list hit, ignores expired entries', () => {
    const p = policy(RULES, [
      { kind: 'deny', entity: 'ip', value: '200.160.0.1', added_at: ADDED },
      {
        kind: 'deny',
        entity: 'device',
        value: 'dev_old',
        added_at: ADDED,
        expires_at: '2026-02-01T00:00:00Z',
      },
    ]);
    const out = p.decide(facts({ amount: 10 }));
    expect(out.decision).toBe('block');
    expect(out.reasons[0]).toBe('deny_list_ip');
    expect(out.ruleHits[0]).toMatchObject({
      rule_id: 'list.deny.ip',
      values: { 'tx.ip_address': '200.160.0.1' },
    });
    const expired = p.decide(
      facts(
        { amount: 10, ip_address: '10.0.0.1', device_id: 'dev_old' },
        { now: Date.parse('2026-03-01T00:00:00Z') },
      ),
    );
    expect(expired.decision).toBe('approve');
    const live = p.decide(
      facts(
        { amount: 10, ip_address: '10.0.0.1', device_id: 'dev_old' },
        { now: Date.parse('2026-01-15T00:00:00Z') },
      ),
    );
    expect(live.reasons[0]).toBe('deny_list_device');
  });

  it('shadow rules and shadow sets are recorded but never change a decision', () => {
    const shadowRule = RULES.replace(
      '    reason: card_testing_velocity',
      '    reason: card_testing_velocity\n    shadow: true',
    );
    const inputs: DecisionFacts[] = [];
    for (let i = 0; i < 200; i++) {
      inputs.push(
        facts(
          {
            amount: (i * 37) % 3000,
            card_present: i % 3 === 0,
            timestamp: `2025-01-29T${String(i % 24).padStart(2, '0')}:00:00Z`,
          },
          {
            features: Float64Array.from([i % 20]),
            modelScore: (i % 10) / 10,
            graph: { device_cards_24h: i % 6 },
          },
        ),
      );
    }
    // The same set minus the rule under test must decide exactly as the set with it in shadow.
    const without = policy(RULES.replace(/ {2}- id: velocity[\s\S]*?reason: card_testing_velocity\n/, ''));
    const withShadow = policy(shadowRule);
    let shadowHits = 0;
    for (const f of inputs) {
      const a = without.decide(f);
      const b = withShadow.decide(f);
      expect({ ...b, shadowHits: [] }).toEqual({ ...a, shadowHits: [] });
      shadowHits += b.shadowHits.length;
      for (const h of b.shadowHits) expect(h).toMatchObject({ rule_id: 'velocity', shadow: true });
    }
    expect(shadowHits).toBeGreaterThan(10);

    const wholeSet = policy(`shadow: true\n${RULES}`);
    const baseline = policy('label: empty\nrules: []\n');
    for (const f of inputs) {
      const a = baseline.decide(f);
      const b = wholeSet.decide(f);
      expect([b.decision, b.score, b.reasons]).toEqual([a.decision, a.score, a.reasons]);
      expect(b.ruleHits).toEqual([]);
    }
    expect(inputs.some((f) => wholeSet.decide(f).shadowHits.length > 0)).toBe(true);
  });

  it('skips disabled rules', () => {
    const p = policy(
      RULES.replace(
        '    reason: card_testing_velocity',
        '    reason: card_testing_velocity\n    enabled: false',
      ),
    );
    expect(p.decide(facts({ amount: 10 }, { features: Float64Array.from([50]) })).decision).toBe('approve');
  });
});
