/**
 * Case management rules, pure (issue 7: "Alerts (review and block) open cases, or are attached
 * to the open case of the same card or customer. A case has a queue, an assignee, a status
 * (open, investigating, closed), priority and SLA age, notes, and an outcome: confirmed fraud,
 * legitimate, or inconclusive … Closing a case writes labels").
 */
export {
  type MaskableTransaction,
  maskAlert,
  maskCardId,
  maskDeep,
  maskId,
  maskIp,
  maskTransaction,
  piiReplacements,
} from './masking.ts';

export const CASE_STATUSES = ['open', 'investigating', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_OUTCOMES = ['confirmed_fraud', 'legitimate', 'inconclusive'] as const;
export type CaseOutcome = (typeof CASE_OUTCOMES)[number];

/** 1 is the most urgent. */
export type CasePriority = 1 | 2 | 3 | 4;

/**
 * Hours an analyst has to close a case of each priority before it breaches its SLA.
 * Defaults follow a common card-fraud practice: a blocked high-score card is called within the
 * hour, a low-score review can wait three days.
 */
export const SLA_HOURS: Readonly<Record<CasePriority, number>> = Object.freeze({ 1: 1, 2: 4, 3: 24, 4: 72 });

/** Queues route work to teams: blocks need a call-back now, reviews are worked in order. */
export type CaseQueue = 'blocked' | 'review' | 'high-value';

/** Amount (in the transaction currency) above which a review goes to the high-value queue. */
export const HIGH_VALUE_AMOUNT = 5_000;

export interface AlertFacts {
  readonly decision: 'review' | 'block';
  readonly score: number;
  readonly amount: number;
}

export function casePriority(a: AlertFacts): CasePriority {
  if (a.decision === 'block' && a.score >= 0.9) return 1;
  if (a.decision === 'block' || a.score >= 0.8 || a.amount >= HIGH_VALUE_AMOUNT) return 2;
  if (a.score >= 0.5) return 3;
  return 4;
}

export function caseQueue(a: AlertFacts): CaseQueue {
  if (a.decision === 'block') return 'blocked';
  return a.amount >= HIGH_VALUE_AMOUNT ? 'high-value' : 'review';
}

export function slaDueAt(openedAt: Date, priority: CasePriority): Date {
  return new Date(openedAt.getTime() + SLA_HOURS[priority] * 3_600_000);
}

/** SLA age in seconds and whether the case is past its due time (closed cases stop the clock). */
export function slaState(
  c: { opened_at: Date; sla_due_at: Date; closed_at: Date | null },
  now: Date,
): { age_seconds: number; breached: boolean } {
  const end = c.closed_at ?? now;
  return {
    age_seconds: Math.max(0, Math.round((end.getTime() - c.opened_at.getTime()) / 1000)),
    breached: end.getTime() > c.sla_due_at.getTime(),
  };
}

/**
 * Allowed status moves. A closed case is final: a wrong verdict is corrected by a new case or
 * a new label (labels are append-only with `labeled_at`), never by rewriting history.
 */
const TRANSITIONS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  open: ['investigating', 'closed'],
  investigating: ['open', 'closed'],
  closed: [],
};

export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Verdict → ground truth. `inconclusive` writes no label: an analyst who could not tell is not
 * evidence either way, and a guessed label would poison the next model.
 */
export function labelForOutcome(outcome: CaseOutcome): boolean | null {
  if (outcome === 'confirmed_fraud') return true;
  if (outcome === 'legitimate') return false;
  return null;
}

export function isCaseStatus(v: unknown): v is CaseStatus {
  return typeof v === 'string' && (CASE_STATUSES as readonly string[]).includes(v);
}

export function isCaseOutcome(v: unknown): v is CaseOutcome {
  return typeof v === 'string' && (CASE_OUTCOMES as readonly string[]).includes(v);
}
