import { describe, expect, it } from 'vitest';
import {
  BRIEF_EXAMPLE_TRANSACTION,
  checkTransaction,
  EnrichedTransactionSchema,
  TransactionSchema,
  UTC_TIMESTAMP_PATTERN,
  validators,
} from '../../../src/core/contracts/index.ts';
import { ISO_3166_ALPHA2, ISO_4217 } from '../../../src/core/contracts/iso.ts';
import { quickAccept, quickAcceptEnriched } from '../../../src/core/contracts/quick-check.ts';

// The quick check runs before the contract validator on every record (stream, API, backfill):
// it may only accept what the validator accepts, or bad input would get through.

describe('quick contract check', () => {
  const base = { ...BRIEF_EXAMPLE_TRANSACTION } as Record<string, unknown>;
  const variants: unknown[] = [base, null, [], 'x', 42];
  const odd: Record<string, unknown[]> = {
    transaction_id: ['', 'a'.repeat(128), 'a'.repeat(129), 'tx 1', 'tx/1', 'tx:1@x.y-z_', 'é', 7, null],
    timestamp: [
      '2025-01-29T12:00:00.123Z',
      '2025-01-29T12:00:00+00:00',
      '2025-02-30T12:00:00Z',
      '2025-01-29T12:00:00.1Z',
      '2025-01-29 12:00:00Z',
      '2025-01-29T12:00:00',
      '1960-01-01T00:00:00Z',
      123,
    ],
    amount: [0, -1, 1e12, 1e12 + 1, 0.01, '10', Number.NaN, null],
    currency: ['USD', 'usd', 'XXX', 'ZZZ', '', 1],
    card_id: ['c', 'card 1', ''],
    merchant_id: ['m', 'm#1'],
    merchant_category: ['', 'x'.repeat(64), 'x'.repeat(65), '😀'.repeat(32), '😀'.repeat(33), 5],
    customer_id: ['c'.repeat(200)],
    merchant_country: ['BR', 'br', 'XX', 'BRA', ''],
    card_present: [true, 'true', 0, null],
    device_id: ['d', ''],
    ip_address: [
      '0.0.0.0',
      '255.255.255.255',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '::1',
      '2001:db8::1',
      '1.2.3.4 ',
      '',
    ],
    status: ['', 's'.repeat(32), 's'.repeat(33), 3],
  };
  for (const [field, values] of Object.entries(odd))
    for (const v of values) variants.push({ ...base, [field]: v });
  for (const field of Object.keys(base)) {
    const missing = { ...base };
    delete missing[field];
    variants.push(missing);
  }
  variants.push({ ...base, extra: 1 }, JSON.parse(`{"__proto__":1,${JSON.stringify(base).slice(1)}`));

  it('accepts only what the contract accepts', () => {
    let accepted = 0;
    for (const v of variants) {
      if (quickAccept(v)) {
        accepted++;
        // Against the validator itself: checkTransaction now runs this very check first.
        expect(validators.transaction(v), JSON.stringify(v)).toBe(true);
      }
    }
    expect(quickAccept(base)).toBe(true);
    expect(accepted).toBeGreaterThan(10);
  });

  it('still matches the contract it was written for (update src/core/contracts/quick-check.ts if not)', () => {
    const props = TransactionSchema.properties as Record<string, Record<string, unknown>>;
    const shape = Object.fromEntries(
      Object.entries(props).map(([k, s]) => {
        // JSON drops TypeBox's symbol keys: only the JSON Schema keywords remain.
        const { description: _d, enum: e, anyOf, ...rest } = JSON.parse(JSON.stringify(s));
        return [k, { ...rest, ...(e ? { enum: (e as unknown[]).length } : {}), ...(anyOf ? { anyOf } : {}) }];
      }),
    );
    expect(TransactionSchema.additionalProperties).toBe(false);
    expect(TransactionSchema.required).toEqual(Object.keys(props));
    const id = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:@-]+$' };
    expect(shape).toEqual({
      transaction_id: id,
      timestamp: { type: 'string', pattern: UTC_TIMESTAMP_PATTERN, format: 'date-time' },
      amount: { type: 'number', exclusiveMinimum: 0, maximum: 1e12 },
      currency: { type: 'string', enum: ISO_4217.length },
      card_id: id,
      merchant_id: id,
      merchant_category: { type: 'string', minLength: 1, maxLength: 64 },
      customer_id: id,
      merchant_country: { type: 'string', enum: ISO_3166_ALPHA2.length },
      card_present: { type: 'boolean' },
      device_id: id,
      ip_address: {
        type: 'string',
        anyOf: [
          { type: 'string', format: 'ipv4' },
          { type: 'string', format: 'ipv6' },
        ],
      },
      status: { type: 'string', minLength: 1, maxLength: 32 },
    });
  });
});

describe('quick check of enriched-transactions records', () => {
  const base = {
    transaction: { ...BRIEF_EXAMPLE_TRANSACTION },
    features: { card_tx_count_1h: 3, card_amount_avg_24h: 12.5, device_cards_24h: null },
    feature_set_version: 'fs-1',
    enriched_at: '2025-01-29T12:00:00.123Z',
  } as Record<string, unknown>;
  const variants: unknown[] = [base, null, [], 'x', { ...base, extra: 1 }];
  for (const field of Object.keys(base)) {
    const missing = { ...base };
    delete missing[field];
    variants.push(missing);
  }
  const odd: Record<string, unknown[]> = {
    transaction: [
      null,
      [],
      { ...BRIEF_EXAMPLE_TRANSACTION, amount: 'abc' },
      { ...BRIEF_EXAMPLE_TRANSACTION, x: 1 },
    ],
    features: [
      {},
      null,
      { a: '1' },
      { a: true },
      { a: Number.POSITIVE_INFINITY },
      { a: -0.5 },
      'f',
      // The vector form.
      [],
      [3, 12.5, null, -0.5],
      [1, '2'],
      [true],
      [[1]],
      [Number.NaN],
      new Array(4097).fill(0),
    ],
    feature_set_version: ['', 1, null],
    enriched_at: ['2025-01-29T12:00:00+00:00', '2025-01-29', 'now', 7],
  };
  for (const [field, values] of Object.entries(odd))
    for (const v of values) variants.push({ ...base, [field]: v });
  variants.push(JSON.parse(`{"__proto__":1,${JSON.stringify(base).slice(1)}`));

  it('accepts only what the contract accepts, and the plain shape the processor writes', () => {
    let accepted = 0;
    for (const v of variants) {
      if (quickAcceptEnriched(v)) {
        accepted++;
        expect(validators.enriched(v), JSON.stringify(v)).toBe(true);
      }
    }
    expect(quickAcceptEnriched(base)).toBe(true);
    // The base; empty and negative features, in either form; an empty version.
    expect(accepted).toBe(6);
    expect(validators.enriched({ ...base, features: new Array(4097).fill(0) })).toBe(false);
    // Rejected by the quick check, yet valid: the validator still has the last word.
    expect(quickAcceptEnriched({ ...base, enriched_at: '2025-01-29T12:00:00+00:00' })).toBe(false);
    expect(validators.enriched({ ...base, enriched_at: '2025-01-29T12:00:00+00:00' })).toBe(true);
  });

  it('still matches the envelope it was written for (update quickAcceptEnriched if not)', () => {
    const props = EnrichedTransactionSchema.properties as Record<string, unknown>;
    expect(EnrichedTransactionSchema.additionalProperties).toBe(false);
    expect(EnrichedTransactionSchema.required).toEqual([
      'transaction',
      'features',
      'feature_set_version',
      'enriched_at',
    ]);
    expect(props['transaction']).toBe(TransactionSchema);
    const value = { anyOf: [{ type: 'number' }, { type: 'null' }] };
    const { anyOf } = JSON.parse(JSON.stringify(props['features'])) as { anyOf: Record<string, unknown>[] };
    expect(anyOf.map(({ description: _, ...form }) => form)).toEqual([
      { type: 'array', maxItems: 4096, items: value },
      { type: 'object', patternProperties: { '^(.*)$': value } },
    ]);
    expect(JSON.parse(JSON.stringify(props['feature_set_version']))).toEqual({ type: 'string' });
    expect(JSON.parse(JSON.stringify(props['enriched_at']))).toEqual({ type: 'string', format: 'date-time' });
  });
});

describe('checkTransaction with the quick check in front', () => {
  it("still rejects with the validator's field-level reasons", () => {
    const r = checkTransaction({ ...BRIEF_EXAMPLE_TRANSACTION, amount: 'abc' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('amount');
    const ipv6 = checkTransaction({ ...BRIEF_EXAMPLE_TRANSACTION, ip_address: '2001:db8::1' });
    // Not the quick check's plain shape, but the contract allows it: the validator accepts.
    expect(quickAccept({ ...BRIEF_EXAMPLE_TRANSACTION, ip_address: '2001:db8::1' })).toBe(false);
    expect(ipv6.ok).toBe(true);
  });
});
