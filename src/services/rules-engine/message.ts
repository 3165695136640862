import { FraudError } from '../../core/errors/index.ts';

/**
 * A rule set on the compacted `rules` topic. The key is the constant `RULE_SET_KEY`, so
 * compaction keeps exactly the latest deployed set and a new instance reading from the
 * earliest offset converges on it. The source travels as text: every consumer re-validates
 * it against its own catalogues before activating it.
 */
export const RULE_SET_KEY = 'rule-set';
export const RULE_MESSAGE_FORMAT = 'fraud.rules/v1';

export interface RuleSetMessage {
  readonly format: typeof RULE_MESSAGE_FORMAT;
  readonly version: string;
  readonly file: string;
  readonly source: string;
  readonly deployed_at: string;
  readonly deployed_by?: string;
}

export function encodeRuleSet(m: Omit<RuleSetMessage, 'format'>): string {
  return JSON.stringify({ format: RULE_MESSAGE_FORMAT, ...m });
}

export function decodeRuleSet(raw: Buffer | string): RuleSetMessage {
  let v: Partial<RuleSetMessage>;
  try {
    v = JSON.parse(raw.toString()) as Partial<RuleSetMessage>;
  } catch (err) {
    throw new FraudError('FRAUD_RULES_INVALID', `rules message is not JSON: ${(err as Error).message}`);
  }
  if (v.format !== RULE_MESSAGE_FORMAT || typeof v.source !== 'string' || typeof v.file !== 'string') {
    throw new FraudError(
      'FRAUD_RULES_INVALID',
      `rules message is not ${RULE_MESSAGE_FORMAT} (needs format, file, source)`,
    );
  }
  return v as RuleSetMessage;
}
