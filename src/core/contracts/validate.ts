import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type FieldIssue, FraudError } from '../errors/index.ts';
import { AlertSchema, ScoreSchema } from './decision.ts';
import { EnrichedTransactionSchema } from './enriched.ts';
import { LabelSchema } from './label.ts';
import { quickAccept } from './quick-check.ts';
import { type Transaction, TransactionSchema } from './transaction.ts';

// Validators are compiled once, when this module loads: a broken schema fails start-up,
// never the first transaction.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: true, strictTypes: false }));

function compile<T>(schema: TSchema): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

export const validators = {
  transaction: compile<Transaction>(TransactionSchema),
  score: compile(ScoreSchema),
  alert: compile(AlertSchema),
  enriched: compile(EnrichedTransactionSchema),
  label: compile(LabelSchema),
} as const;

/** Turns ajv errors into one issue per field, with the field named as the user wrote it. */
export function fieldIssues(errors: readonly ErrorObject[] | null | undefined): FieldIssue[] {
  const issues = new Map<string, string>();
  for (const e of errors ?? []) {
    let field = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    let message: string;
    if (e.keyword === 'required') {
      field = [field, (e.params as { missingProperty: string }).missingProperty].filter(Boolean).join('.');
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      field = [field, (e.params as { additionalProperty: string }).additionalProperty]
        .filter(Boolean)
        .join('.');
      message = 'is not a field of the contract';
    } else if (e.keyword === 'anyOf' || e.keyword === 'enum') {
      // Unions of literals (currency, country) report one `const` error per member; say it once.
      message =
        field === 'currency'
          ? 'must be an ISO-4217 currency code'
          : field === 'merchant_country'
            ? 'must be an ISO-3166 alpha-2 country code'
            : field === 'ip_address'
              ? 'must be an IPv4 or IPv6 address'
              : 'has an invalid value';
    } else {
      message = e.message ?? 'is invalid';
    }
    field ||= '(root)';
    if (!issues.has(field) || e.keyword === 'anyOf') issues.set(field, message);
  }
  return [...issues].map(([field, message]) => ({ field, message }));
}

export type ParseResult = { ok: true; transaction: Transaction } | { ok: false; error: FraudError };

/** Parses and validates raw bytes from Kafka or HTTP against the `transactions` contract. */
export function parseTransaction(raw: Uint8Array | string, maxBytes = 64 * 1024): ParseResult {
  if (raw.length > maxBytes) {
    return {
      ok: false,
      error: new FraudError('FRAUD_INPUT_TOO_LARGE', `payload of ${raw.length} bytes exceeds ${maxBytes}`),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(
      typeof raw === 'string'
        ? raw
        : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'),
    );
  } catch (err) {
    return {
      ok: false,
      error: new FraudError('FRAUD_INPUT_NOT_JSON', `payload is not JSON: ${(err as Error).message}`),
    };
  }
  return checkTransaction(value);
}

/** Validates an already-parsed value (HTTP bodies) against the `transactions` contract. */
export function checkTransaction(value: unknown): ParseResult {
  // The plain shape every producer writes passes a quick check that is stricter than the
  // contract; everything else gets the validator's verdict and its error messages.
  if (quickAccept(value) || validators.transaction(value)) {
    return { ok: true, transaction: value };
  }
  const details = fieldIssues(validators.transaction.errors);
  const summary = details.map((d) => `${d.field} ${d.message}`).join('; ');
  return {
    ok: false,
    error: new FraudError('FRAUD_INPUT_INVALID', `invalid transaction: ${summary}`, { details }),
  };
}
