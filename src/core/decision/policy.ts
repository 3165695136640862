import type { Decision, RuleHit } from '../contracts/index.ts';
import { ENTITY_FIELD, type ListEntry, type ListLookup, ListStore } from '../lists/index.ts';
import { type CompiledRule, type CompiledRuleSet, type GateTable, gateOpen, T } from '../rules/compile.ts';
import {
  type EvalContext,
  type EvalScratch,
  evalContext,
  evalScratch,
  type Scalar,
} from '../rules/fields.ts';
import type { PolicySpec } from '../rules/spec.ts';
import type { DecisionFacts, DecisionOutcome, DecisionPolicy } from './types.ts';

/** The brief's example reason, used whenever graph signals drive a decision. */
export const GRAPH_REASON = 'high_risk_graph_pattern';

const SEVERITY: Readonly<Record<Decision, number>> = { approve: 0, review: 1, block: 2 };
const worst = (a: Decision, b: Decision): Decision => (SEVERITY[a] >= SEVERITY[b] ? a : b);
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * A compiled, immutable decision policy (issue 4, item 3): "combines the rule actions, the
 * model score thresholds (review at X, block at Y) and the graph signals into one decision
 * with ordered reasons[]. Human review is the fallback whenever the signals disagree or are
 * missing."
 *
 * Order of precedence, strongest first:
 *  1. allow list → approve (short-circuit; shadow rules are still evaluated and recorded);
 *  2. deny list → block (or review, per `policy.lists.deny`);
 *  3. the highest-priority terminal rule hit (approve | review | block; ties → most severe);
 *     an approve rule with the score at block level is a disagreement → review;
 *  4. the score: model score + Σ `score` rule contributions, against the thresholds;
 *  5. fallbacks: no model score (or, if configured, no graph) and nothing else decided → review.
 * The final decision is never weaker than the score's and the final score never contradicts
 * the decision (it is raised to the decision's threshold when rules or lists escalate).
 */
export class CompiledPolicy implements DecisionPolicy {
  readonly version: string;
  readonly ruleSet: CompiledRuleSet;
  readonly policy: PolicySpec;
  readonly lists: ListLookup;
  /** The original source text, served by `GET /v1/rules` and re-published on deploy. */
  readonly source: string;
  readonly file: string;
  private readonly scratch: EvalScratch;

  constructor(
    ruleSet: CompiledRuleSet,
    lists: ListLookup,
    source: string,
    file: string,
    overrides?: Partial<PolicySpec>,
  ) {
    this.ruleSet = ruleSet;
    this.policy = overrides ? { ...ruleSet.spec.policy, ...overrides } : ruleSet.spec.policy;
    this.version = ruleSet.version;
    this.lists = lists;
    this.source = source;
    this.file = file;
    this.scratch = evalScratch(ruleSet.graphSlots.length);
    Object.freeze(this);
  }

  decide(facts: DecisionFacts): DecisionOutcome {
    const now = facts.now ?? Date.now();
    const ctx: EvalContext = evalContext(facts, now, this.ruleSet.graphSlots, this.scratch);
    const { thresholds, lists: listPolicy } = this.policy;
    const missingSignals: string[] = [];
    if (facts.modelScore === null) missingSignals.push('model');
    if (facts.graph === undefined) missingSignals.push('graph');
    const shadowHits = evaluate(this.ruleSet.shadow, this.ruleSet.shadowGates, ctx, true, undefined);
    const model = facts.modelScore;

    if (listPolicy.allow === 'approve') {
      const allow = matchList(this.lists, 'allow', facts, now);
      if (allow) {
        return {
          decision: 'approve',
          score: model ?? 0,
          reasons: [`allow_list_${allow.entity}`],
          ruleHits: [listHit(allow, 'approve', facts)],
          shadowHits,
          missingSignals,
        };
      }
    }

    const fired: CompiledRule[] = [];
    const ruleHits = evaluate(this.ruleSet.live, this.ruleSet.liveGates, ctx, false, fired);
    let contribution = 0;
    let terminal: RuleHit | undefined;
    let terminalRule: CompiledRule | undefined;
    let terminalPriority = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < fired.length; i++) {
      const rule = fired[i]!;
      const hit = ruleHits[i]!;
      if (rule.spec.action === 'score') contribution += rule.spec.contribution;
      else if (
        terminal === undefined ||
        (rule.spec.priority === terminalPriority &&
          SEVERITY[rule.spec.action] > SEVERITY[terminal.action as Decision])
      ) {
        terminal = hit;
        terminalRule = rule;
        terminalPriority = rule.spec.priority;
      }
    }

    const rawScore = clamp01((model ?? 0) + contribution);
    const scoreDecision: Decision =
      rawScore >= thresholds.block ? 'block' : rawScore >= thresholds.review ? 'review' : 'approve';
    const lead: string[] = [];
    let decision: Decision = 'approve';

    const deny = listPolicy.deny === 'ignore' ? undefined : matchList(this.lists, 'deny', facts, now);
    if (deny) {
      decision = listPolicy.deny as Decision;
      lead.push(`deny_list_${deny.entity}`);
    }
    const ruleDecision = terminal?.action as Decision | undefined;
    if (ruleDecision === 'approve' && !deny) {
      if (scoreDecision === 'block' && this.policy.disagreement === 'review') {
        decision = 'review';
        lead.push('signals_disagree', terminal!.reason);
      } else {
        lead.push(terminal!.reason);
      }
    } else {
      if (ruleDecision !== undefined && ruleDecision !== 'approve') {
        decision = worst(decision, ruleDecision);
        lead.push(terminal!.reason);
        if (terminalRule!.usesGraph) lead.push(GRAPH_REASON);
      }
      if (SEVERITY[scoreDecision] > SEVERITY[decision]) {
        const level = thresholds[scoreDecision as 'review' | 'block'];
        decision = scoreDecision;
        if (model !== null && model >= level) lead.unshift('high_model_score');
        else {
          // The score rules pushed it over: their reasons decide, largest contribution first.
          const pushers: string[] = [];
          const scored = fired
            .map((r, i) => ({ r, i }))
            .filter(({ r }) => r.spec.action === 'score' && r.spec.contribution > 0);
          scored.sort((a, b) => b.r.spec.contribution - a.r.spec.contribution);
          for (const { r, i } of scored) {
            pushers.push(ruleHits[i]!.reason);
            if (r.usesGraph) pushers.push(GRAPH_REASON);
          }
          lead.unshift(...pushers);
        }
      }
    }
    // Human review is the fallback when a signal is missing and nothing else decided.
    if (decision === 'approve' && ruleDecision !== 'approve') {
      if (model === null && this.policy.missing_model === 'review') {
        decision = 'review';
        lead.push('model_unavailable');
      } else if (facts.graph === undefined && this.policy.missing_graph === 'review') {
        decision = 'review';
        lead.push('graph_unavailable');
      }
    }

    const reasons = orderedReasons(lead, ruleHits, fired, model, thresholds.review);
    if (deny) ruleHits.unshift(listHit(deny, listPolicy.deny, facts));
    const score = decision === 'approve' ? rawScore : Math.max(rawScore, thresholds[decision]);
    return { decision, score, reasons, ruleHits, shadowHits, missingSignals };
  }
}

/** Evaluates rules in order; `fired` (if given) receives each hit's rule, index-aligned. */
function evaluate(
  rules: readonly CompiledRule[],
  gates: GateTable,
  ctx: EvalContext,
  shadow: boolean,
  fired: CompiledRule[] | undefined,
): RuleHit[] {
  const hits: RuleHit[] = [];
  for (let i = 0; i < rules.length; i++) {
    if (!gateOpen(gates, i, ctx)) continue;
    const rule = rules[i]!;
    if (rule.test(ctx) !== T) continue;
    const values: Record<string, Scalar> = {};
    for (const f of rule.reads) values[f.path] = f.get(ctx);
    const s = rule.spec;
    const hit: RuleHit = { rule_id: s.id, action: s.action, reason: s.reason, values };
    if (s.action === 'score') hit.score_contribution = s.contribution;
    if (shadow) hit.shadow = true;
    hits.push(hit);
    fired?.push(rule);
  }
  return hits;
}

function matchList(
  lists: ListLookup,
  kind: 'allow' | 'deny',
  facts: DecisionFacts,
  now: number,
): ListEntry | undefined {
  if (lists instanceof ListStore) return lists.match(kind, facts.transaction, now);
  for (const entity of Object.keys(ENTITY_FIELD) as (keyof typeof ENTITY_FIELD)[]) {
    const e = lists.find(kind, entity, String(facts.transaction[ENTITY_FIELD[entity]]), now);
    if (e) return e;
  }
  return undefined;
}

function listHit(entry: ListEntry, action: string, facts: DecisionFacts): RuleHit {
  const field = ENTITY_FIELD[entry.entity];
  const values: Record<string, Scalar> = { [`tx.${field}`]: facts.transaction[field] as Scalar };
  if (entry.expires_at) values['expires_at'] = entry.expires_at;
  return {
    rule_id: `list.${entry.kind}.${entry.entity}`,
    action,
    reason: `${entry.kind}_list_${entry.entity}`,
    values,
  };
}

/**
 * Most decisive first: the reasons that decided, then every other live hit in priority order
 * (terminal hits by severity, then positive score contributions), then a high model score.
 */
function orderedReasons(
  lead: readonly string[],
  hits: readonly RuleHit[],
  fired: readonly CompiledRule[],
  model: number | null,
  reviewAt: number,
): string[] {
  const out = new Set<string>(lead);
  const rest = fired
    .map((rule, i) => ({
      rule,
      h: hits[i]!,
      sev:
        rule.spec.action === 'score' ? -1 + rule.spec.contribution : SEVERITY[rule.spec.action as Decision],
    }))
    .sort((a, b) => b.sev - a.sev);
  for (const { rule, h } of rest) {
    if (rule.spec.action === 'approve' || (rule.spec.action === 'score' && rule.spec.contribution <= 0))
      continue;
    out.add(h.reason);
    if (rule.usesGraph && rule.spec.action !== 'score') out.add(GRAPH_REASON);
  }
  if (model !== null && model >= reviewAt) out.add('high_model_score');
  if (out.size === 0) out.add('low_risk');
  return [...out];
}
