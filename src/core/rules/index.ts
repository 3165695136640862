import { type FieldIssue, FraudError } from '../errors/index.ts';
import type { RuleIssue } from './parse.ts';

export { type CompiledRule, type CompiledRuleSet, compileRuleSet, contentHash } from './compile.ts';
export { type Catalogue, type EvalContext, resolveField, TX_FIELDS } from './fields.ts';
export { type ParseOutcome, parseRuleSet, type RuleIssue } from './parse.ts';
export * from './spec.ts';

/** `file:line:column: message`, the form editors and CI annotate. */
export function formatIssue(issue: RuleIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`;
}

/**
 * One error for a rule set that failed validation. The code is FRAUD_RULE_UNKNOWN_FEATURE when
 * every problem is an unknown name (the typo case), FRAUD_RULES_INVALID otherwise; `details`
 * has one entry per problem with `field` = `file:line:column`.
 */
export function ruleSetError(issues: readonly RuleIssue[]): FraudError {
  const details: FieldIssue[] = issues.map((i) => ({
    field: `${i.file}:${i.line}:${i.column}`,
    message: i.message,
  }));
  const code = issues.every((i) => i.kind === 'unknown_field')
    ? 'FRAUD_RULE_UNKNOWN_FEATURE'
    : 'FRAUD_RULES_INVALID';
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new FraudError(code, `rule set ${first.file} is invalid: ${formatIssue(first)}${more}`, { details });
}
