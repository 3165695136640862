import { describe, expect, it } from 'vitest';
import { BRIEF_EXAMPLE_TRANSACTION, parseTransaction } from '../../../src/core/contracts/index.ts';

describe('transactions contract', () => {
  it("accepts the brief's example payload byte for byte", () => {
    const raw =
      '{"transaction_id":"tx_0001","timestamp":"2025-01-29T12:00:00Z","amount":1250.50,"currency":"BRL","card_id":"card_1234","merchant_id":"m_987","merchant_category":"retail","customer_id":"cust_555","merchant_country":"BR","card_present":false,"device_id":"dev_111","ip_address":"200.160.0.1","status":"pending"}';
    const r = parseTransaction(Buffer.from(raw));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.transaction).toEqual(BRIEF_EXAMPLE_TRANSACTION);
  });

  it('accepts UTC with fractional seconds and +00:00, and IPv6', () => {
    for (const timestamp of ['2025-01-29T12:00:00.123Z', '2025-01-29T12:00:00+00:00']) {
      expect(parseTransaction(JSON.stringify({ ...BRIEF_EXAMPLE_TRANSACTION, timestamp })).ok).toBe(true);
    }
    expect(
      parseTransaction(JSON.stringify({ ...BRIEF_EXAMPLE_TRANSACTION, ip_address: '2001:db8::1' })).ok,
    ).toBe(true);
  });

  it('rejects non-JSON, oversize payloads and non-objects with distinct codes', () => {
    const notJson = parseTransaction('not json');
    expect(!notJson.ok && notJson.error.code).toBe('FRAUD_INPUT_NOT_JSON');
    const big = parseTransaction('x'.repeat(70_000));
    expect(!big.ok && big.error.code).toBe('FRAUD_INPUT_TOO_LARGE');
    const arr = parseTransaction('[1,2]');
    expect(!arr.ok && arr.error.code).toBe('FRAUD_INPUT_INVALID');
  });

  it('names every missing field at once', () => {
    const r = parseTransaction('{}');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.details.map((d) => d.field).sort()).toEqual(
        Object.keys(BRIEF_EXAMPLE_TRANSACTION).sort(),
      );
  });
});
