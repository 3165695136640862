import { FraudError } from '../errors/index.ts';
import type { ListLookup } from '../lists/index.ts';
import {
  type Catalogue,
  compileRuleSet,
  type PolicySpec,
  parseRuleSet,
  ruleSetError,
} from '../rules/index.ts';
import { CompiledPolicy } from './policy.ts';

export interface PolicyDeps {
  /** Feature names (`FEATURE_NAMES`) and graph signal names the rules may read. */
  readonly catalogue: Catalogue;
  /** The live allow/deny lists; shared across policy versions (lists are data, not rules). */
  readonly lists: ListLookup;
  /** Overrides applied after parsing (the backtest uses it, e.g. to ignore a missing model). */
  readonly policyOverrides?: Partial<PolicySpec>;
}

/** A function that turns rule set source into a policy, with its dependencies bound. */
export type PolicyCompiler = (source: string, file: string) => CompiledPolicy;

/**
 * Parses, validates and compiles a rule set into an immutable policy. Throws a FraudError
 * (FRAUD_RULES_INVALID / FRAUD_RULE_UNKNOWN_FEATURE) naming file, line and column of each
 * problem; nothing is compiled unless everything is valid.
 */
export function compilePolicy(source: string, file: string, deps: PolicyDeps): CompiledPolicy {
  const parsed = parseRuleSet(source, file, deps.catalogue);
  if (!parsed.ok) throw ruleSetError(parsed.issues);
  try {
    // Overrides apply to this evaluation only: the version stays the deployed set's version.
    return new CompiledPolicy(
      compileRuleSet(parsed.spec, deps.catalogue, deps.lists),
      deps.lists,
      source,
      file,
      deps.policyOverrides,
    );
  } catch (err) {
    throw new FraudError(
      'FRAUD_INTERNAL',
      `rule set ${file} validated but did not compile: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export function policyCompiler(deps: PolicyDeps): PolicyCompiler {
  return (source, file) => compilePolicy(source, file, deps);
}
