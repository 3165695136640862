import { describe, expect, it } from 'vitest';
import { BRIEF_EXAMPLE_TRANSACTION, type Transaction } from '../../../src/core/contracts/index.ts';
import { compilePolicy, type DecisionFacts } from '../../../src/core/decision/index.ts';
import { isFraudError } from '../../../src/core/errors/index.ts';
import { ListStore } from '../../../src/core/lists/index.ts';
import { type Catalogue, formatIssue, parseRuleSet, type RuleIssue } from '../../../src/core/rules/index.ts';

const catalogue: Catalogue = {
  featureNames: ['card_txn_count_1h', 'card_amount_avg_30d', 'card_new_device'],
  graphSignals: ['device_cards_24h', 'ring_score'],
};

function issuesOf(source: string): RuleIssue[] {
  const r = parseRuleSet(source, 'test.yaml', catalogue);
  if (r.ok) throw new Error('expected validation to fail');
  return r.issues;
}

/** One rule, action block, with the given condition YAML (indented under `when:`). */
function oneRule(when: string, extra = ''): string {
  return `rules:\n  - id: r1\n    when:\n${when
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n    action: block\n    reason: test_reason\n${extra}`;
}

function facts(
  over: Partial<Transaction> = {},
  f: number[] = [Number.NaN, Number.NaN, Number.NaN],
  extra: Partial<DecisionFacts> = {},
): DecisionFacts {
  return {
    transaction: { ...BRIEF_EXAMPLE_TRANSACTION, ...over },
    features: Float64Array.from(f),
    modelScore: 0.1,
    graph: { device_cards_24h: 1, ring_score: null },
    ...extra,
  };
}

function fires(when: string, input: DecisionFacts): boolean {
  const policy = compilePolicy(oneRule(when), 't.yaml', { catalogue, lists: new ListStore() });
  return policy.decide(input).ruleHits.some((h) => h.rule_id === 'r1');
}

describe('rule set validation', () => {
  it('accepts a valid set and applies defaults', () => {
    const r = parseRuleSet(oneRule('tx.amount: { gte: 100 }'), 'ok.yaml', catalogue);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec.rules[0]).toMatchObject({
      id: 'r1',
      priority: 0,
      enabled: true,
      shadow: false,
      action: 'block',
    });
    expect(r.spec.policy.thresholds).toEqual({ review: 0.5, block: 0.9 });
  });

  it('names the line and column of a typo in a feature name and suggests the right one', () => {
    const src = oneRule('feature.card_txn_cuont_1h: { gte: 5 }');
    const [issue, ...rest] = issuesOf(src);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ line: 4, column: 7, kind: 'unknown_field' });
    expect(issue!.message).toContain("unknown feature 'card_txn_cuont_1h'");
    expect(issue!.message).toContain("did you mean 'feature.card_txn_count_1h'");
    expect(formatIssue(issue!)).toBe(`test.yaml:4:7: ${issue!.message}`);
  });

  it('raises FRAUD_RULE_UNKNOWN_FEATURE for typos only and FRAUD_RULES_INVALID otherwise', () => {
    const deps = { catalogue, lists: new ListStore() };
    const code = (src: string) => {
      try {
        compilePolicy(src, 'x.yaml', deps);
        return 'none';
      } catch (err) {
        if (!isFraudError(err)) throw err;
        expect(err.details[0]!.field).toMatch(/^x\.yaml:\d+:\d+$/);
        return err.code;
      }
    };
    expect(code(oneRule('feature.nope: { gte: 5 }'))).toBe('FRAUD_RULE_UNKNOWN_FEATURE');
    expect(code(oneRule('graph.nope: { gte: 5 }'))).toBe('FRAUD_RULE_UNKNOWN_FEATURE');
    expect(code(oneRule('tx.amout: { gte: 5 }'))).toBe('FRAUD_RULE_UNKNOWN_FEATURE');
    expect(code(oneRule('tx.amount: { gte: "5" }'))).toBe('FRAUD_RULES_INVALID');
  });

  it('rejects unknown fields, bad types and wrong operators with positions', () => {
    const src = [
      'name: t',
      'colour: red',
      'rules:',
      '  - id: r1',
      '    when: { tx.amount: { greater: 5 } }',
      '    action: explode',
      '    reason: Bad Reason',
      '    priorty: 3',
      '  - id: r2',
      '    when: { tx.merchant_country: { gt: 5 } }',
      '    action: score',
      '    reason: r2',
    ].join('\n');
    const issues = issuesOf(src);
    const at = (line: number) => issues.filter((i) => i.line === line).map((i) => i.message);
    expect(at(2)[0]).toMatch(/unknown field 'colour' in the rule set/);
    expect(at(5)[0]).toMatch(/unknown operator 'greater'/);
    expect(at(6)[0]).toMatch(/action must be one of approve, review, block, score, got 'explode'/);
    expect(at(7)[0]).toMatch(/snake_case reason/);
    expect(at(8)[0]).toMatch(/unknown field 'priorty' in a rule/);
    expect(at(10)[0]).toMatch(/ordering needs a number field, 'tx.merchant_country' is a string/);
    expect(at(9).some((m) => m.includes("action 'score' needs a 'contribution'"))).toBe(true);
  });

  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('rules:\n  - id: r1\n    when: { tx.amount: { gte: 5 }\n');
    expect(issues[0]!.kind).toBe('syntax');
    expect(issues[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('rejects duplicate ids and bare names, pointing at the namespaced form', () => {
    const dup = `${oneRule('tx.amount: { gte: 1 }')}  - id: r1\n    when: { tx.amount: { gte: 2 } }\n    action: review\n    reason: x\n`;
    expect(issuesOf(dup)[0]!.message).toMatch(/duplicate rule id 'r1' \(first at line 2\)/);
    expect(issuesOf(oneRule('amount: { gte: 1 }'))[0]!.message).toMatch(/did you mean 'tx.amount'/);
    expect(issuesOf(oneRule('card_new_device: 1'))[0]!.message).toMatch(
      /did you mean 'feature.card_new_device'/,
    );
  });

  it('bounds cost: depth and size limits', () => {
    let deep = 'tx.amount: { gte: 1 }';
    for (let i = 0; i < 14; i++) deep = `not:\n  ${deep.split('\n').join('\n  ')}`;
    expect(issuesOf(oneRule(deep)).some((i) => i.kind === 'limit' && /deeper than 12/.test(i.message))).toBe(
      true,
    );
    const wide = `any:\n${Array.from({ length: 300 }, (_, i) => `  - tx.amount: { gte: ${i} }`).join('\n')}`;
    expect(issuesOf(oneRule(wide)).some((i) => /more than 256 nodes/.test(i.message))).toBe(true);
  });

  it('validates the policy block', () => {
    const issues = issuesOf(
      `policy:\n  thresholds: { review: 0.95, block: 0.9 }\n  missing_model: panic\n${oneRule('tx.amount: { gte: 1 }')}`,
    );
    expect(issues.map((i) => i.message).join('\n')).toMatch(
      /review \(0.95\) must not exceed thresholds.block/,
    );
    expect(issues.map((i) => i.message).join('\n')).toMatch(/missing_model must be one of review, ignore/);
  });

  it('version is label + content hash and ignores formatting', () => {
    const deps = { catalogue, lists: new ListStore() };
    const a = compilePolicy(`label: v7\n${oneRule('tx.amount: { gte: 100 }')}`, 'a.yaml', deps);
    const b = compilePolicy(`# a comment\nlabel: v7\n${oneRule('tx.amount:\n  gte: 100')}`, 'b.yaml', deps);
    const c = compilePolicy(`label: v7\n${oneRule('tx.amount: { gte: 101 }')}`, 'c.yaml', deps);
    expect(a.version).toMatch(/^v7\+[0-9a-f]{12}$/);
    expect(b.version).toBe(a.version);
    expect(c.version).not.toBe(a.version);
  });

  it('accepts an empty rule list (thresholds and lists only)', () => {
    for (const src of ['rules: []\n', 'label: x\nrules:\n']) {
      const r = parseRuleSet(src, 'e.yaml', catalogue);
      expect(r.ok && r.spec.rules.length).toBe(0);
    }
    expect(issuesOf('label: x\n')[0]!.message).toBe("rule set is missing 'rules'");
  });

  it('accepts JSON too', () => {
    const json = JSON.stringify({
      rules: [{ id: 'j', when: { 'tx.amount': { gt: 1 } }, action: 'review', reason: 'j' }],
    });
    expect(parseRuleSet(json, 'r.json', catalogue).ok).toBe(true);
  });
});

describe('conditions', () => {
  it('compares transaction fields, features, model score and graph signals', () => {
    expect(fires('tx.amount: { gte: 1000 }', facts())).toBe(true);
    expect(fires('tx.amount: { lt: 1000 }', facts())).toBe(false);
    expect(fires('tx.card_present: false', facts())).toBe(true);
    expect(fires('tx.merchant_country: { in: [BR, AR] }', facts())).toBe(true);
    expect(fires('tx.merchant_country: { not_in: [BR, AR] }', facts())).toBe(false);
    expect(fires('tx.hour_utc: { between: [12, 13] }', facts())).toBe(true);
    expect(fires('feature.card_txn_count_1h: { gte: 5 }', facts({}, [5, 10, 0]))).toBe(true);
    expect(fires('model.score: { lt: 0.2 }', facts())).toBe(true);
    expect(fires('graph.device_cards_24h: { eq: 1 }', facts())).toBe(true);
  });

  it('compares a field with a scaled field', () => {
    // amount 1250.5 > 5 × 200 = 1000
    expect(
      fires('tx.amount: { gt: { field: feature.card_amount_avg_30d, times: 5 } }', facts({}, [0, 200, 0])),
    ).toBe(true);
    expect(
      fires('tx.amount: { gt: { field: feature.card_amount_avg_30d, times: 5 } }', facts({}, [0, 300, 0])),
    ).toBe(false);
  });

  it('uses three-valued logic: null never fires a comparison, even under not', () => {
    const noHistory = facts(); // every feature NaN
    expect(fires('feature.card_txn_count_1h: { gte: 5 }', noHistory)).toBe(false);
    expect(fires('not: { feature.card_txn_count_1h: { gte: 5 } }', noHistory)).toBe(false);
    expect(
      fires('any: [ { feature.card_txn_count_1h: { gte: 5 } }, { tx.amount: { gt: 1 } } ]', noHistory),
    ).toBe(true);
    expect(fires('feature.card_txn_count_1h: { is_null: true }', noHistory)).toBe(true);
    expect(fires('graph.ring_score: { is_null: true }', noHistory)).toBe(true);
    expect(fires('graph.ring_score: { is_missing: true }', noHistory)).toBe(false);
    expect(fires('graph.ring_score: { is_missing: true }', facts({}, undefined, { graph: undefined }))).toBe(
      true,
    );
    expect(fires('model.score: { gte: 0 }', facts({}, undefined, { modelScore: null }))).toBe(false);
  });

  it('checks list membership', () => {
    const lists = new ListStore([
      { kind: 'deny', entity: 'device', value: 'dev_111', added_at: '2026-01-01T00:00:00Z' },
    ]);
    const policy = compilePolicy(oneRule('deny_list: [card, device]'), 't.yaml', {
      catalogue,
      lists,
      policyOverrides: { lists: { allow: 'approve', deny: 'ignore' } },
    });
    const out = policy.decide(facts());
    expect(out.ruleHits.map((h) => h.rule_id)).toEqual(['r1']);
    expect(policy.decide(facts({ device_id: 'dev_222' })).ruleHits).toEqual([]);
  });

  it('records the values that made a rule fire', () => {
    const policy = compilePolicy(
      oneRule(
        'all:\n  - tx.amount: { gt: { field: feature.card_amount_avg_30d, times: 5 } }\n  - graph.device_cards_24h: { gte: 1 }',
      ),
      't.yaml',
      { catalogue, lists: new ListStore() },
    );
    const hit = policy.decide(facts({}, [0, 200, 0])).ruleHits[0]!;
    expect(hit).toEqual({
      rule_id: 'r1',
      action: 'block',
      reason: 'test_reason',
      values: { 'tx.amount': 1250.5, 'feature.card_amount_avg_30d': 200, 'graph.device_cards_24h': 1 },
    });
  });
});

describe('gates', () => {
  it('skipping rules whose gate is not TRUE never changes which rules fire', async () => {
    const { evalContext } = await import('../../../src/core/rules/fields.ts');
    const { T } = await import('../../../src/core/rules/compile.ts');
    let seed = 7;
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const leaves = [
      () => `{ feature.card_txn_count_1h: { gte: ${Math.floor(rand() * 10)} } }`,
      () =>
        `{ feature.card_amount_avg_30d: { between: [${Math.floor(rand() * 5)}, ${5 + Math.floor(rand() * 5)}] } }`,
      () => `{ graph.device_cards_24h: { gt: ${Math.floor(rand() * 4)} } }`,
      () => `{ graph.ring_score: { ne: 0.5 } }`,
      () => `{ model.score: { lt: ${rand().toFixed(2)} } }`,
      () => `{ tx.amount: { lte: ${Math.floor(rand() * 3000)} } }`,
      () => `{ not: { tx.card_present: true } }`,
      () => `{ any: [ { tx.merchant_country: { in: [BR] } }, { feature.card_new_device: 1 } ] }`,
    ];
    const leaf = () => leaves[Math.floor(rand() * leaves.length)]!();
    const lines = ['rules:'];
    for (let i = 0; i < 80; i++) {
      const when = rand() < 0.3 ? leaf() : `{ all: [ ${leaf()}, ${leaf()}, ${leaf()} ] }`;
      lines.push(
        `  - id: r${i}`,
        `    when: ${when}`,
        '    action: score',
        '    contribution: 0.01',
        `    reason: r${i}`,
      );
    }
    const policy = compilePolicy(lines.join('\n'), 'g.yaml', { catalogue, lists: new ListStore() });
    expect(policy.ruleSet.live.filter((r) => r.gate !== null).length).toBeGreaterThan(60);
    for (let n = 0; n < 500; n++) {
      const maybe = (x: number) => (rand() < 0.2 ? Number.NaN : x);
      const f = facts(
        {
          amount: Math.floor(rand() * 3000) + 1,
          card_present: rand() < 0.5,
          merchant_country: rand() < 0.5 ? 'BR' : 'US',
        },
        [maybe(Math.floor(rand() * 10)), maybe(rand() * 10), maybe(rand() < 0.5 ? 1 : 0)],
        {
          modelScore: rand() < 0.2 ? null : rand(),
          graph:
            rand() < 0.2
              ? undefined
              : { device_cards_24h: Math.floor(rand() * 6), ring_score: rand() < 0.3 ? null : 0.5 },
        },
      );
      const ctx = evalContext(f, 0, policy.ruleSet.graphSlots);
      const expected = policy.ruleSet.live.filter((r) => r.test(ctx) === T).map((r) => r.spec.id);
      expect(policy.decide(f).ruleHits.map((h) => h.rule_id)).toEqual(expected);
    }
  });
});
