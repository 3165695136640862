import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CompiledPolicy, type PolicyCompiler, policyCompiler } from '../../core/decision/index.ts';
import { FraudError } from '../../core/errors/index.ts';
import { type ListLookup, ListStore } from '../../core/lists/index.ts';
import type { PolicySpec } from '../../core/rules/index.ts';
import { loadCatalogue } from './catalogue.ts';
import { PolicyHolder } from './holder.ts';

export { loadCatalogue } from './catalogue.ts';
export { PolicyHolder, type PolicySwap } from './holder.ts';
export { listsPlugin, rulesPlugin } from './http.ts';
export { JsonFileListPersistence, ListService } from './lists.ts';
export { decodeRuleSet, encodeRuleSet, RULE_SET_KEY, type RuleSetMessage } from './message.ts';
export { publishRuleSet, type RuleWatch, watchRuleTopic } from './watch.ts';

/** The rule set shipped with the platform. */
export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../../rules/default.yaml', import.meta.url));

/** `<dataDir>/lists.json`: embedded-mode list storage. */
export const listsFile = (dataDir: string) => join(dataDir, 'lists.json');

export interface LoadPolicyOptions {
  /** Live allow/deny lists (shared by every version). Default: an empty in-memory store. */
  readonly lists?: ListLookup;
  /** Policy overrides (backtests). */
  readonly policyOverrides?: Partial<PolicySpec>;
}

/** A compiler bound to the current feature/graph catalogues and the given lists. */
export async function createPolicyCompiler(options: LoadPolicyOptions = {}): Promise<PolicyCompiler> {
  return policyCompiler({
    catalogue: await loadCatalogue(),
    lists: options.lists ?? new ListStore(),
    ...(options.policyOverrides ? { policyOverrides: options.policyOverrides } : {}),
  });
}

export async function readRuleFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new FraudError('FRAUD_CONFIG_INVALID', `cannot read rule set ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Loads, validates and compiles a rule set file (default `rules/default.yaml`) into the
 * immutable decision policy the engine calls. Throws FRAUD_RULES_INVALID /
 * FRAUD_RULE_UNKNOWN_FEATURE naming file, line and column.
 */
export async function loadDecisionPolicy(
  file: string = DEFAULT_RULES_FILE,
  options: LoadPolicyOptions = {},
): Promise<CompiledPolicy> {
  const compile = await createPolicyCompiler(options);
  return compile(await readRuleFile(file), file);
}

/** A holder started on `file` (default `rules/default.yaml`), ready for `watchRuleTopic` / `rulesPlugin`. */
export async function createPolicyHolder(
  file: string = DEFAULT_RULES_FILE,
  options: LoadPolicyOptions = {},
): Promise<PolicyHolder> {
  const compile = await createPolicyCompiler(options);
  return new PolicyHolder(compile(await readRuleFile(file), file), compile);
}
export { type RulesRuntime, type RulesRuntimeOptions, startRulesRuntime } from './runtime.ts';
