import { type Static, Type } from '@sinclair/typebox';
import { ISO_3166_ALPHA2, ISO_4217 } from './iso.ts';

/**
 * The `transactions` topic payload, exactly as the brief gives it:
 *
 *   { "transaction_id": "tx_0001", "timestamp": "2025-01-29T12:00:00Z", "amount": 1250.50,
 *     "currency": "BRL", "card_id": "card_1234", "merchant_id": "m_987",
 *     "merchant_category": "retail", "customer_id": "cust_555", "merchant_country": "BR",
 *     "card_present": false, "device_id": "dev_111", "ip_address": "200.160.0.1",
 *     "status": "pending" }
 *
 * Unknown fields are rejected: a misspelt field (`card-id`) must fail loudly at the edge
 * instead of silently producing a transaction with no card.
 */
const Id = (description: string) =>
  Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:@-]+$', description });

/** A closed string table as a JSON Schema `enum` (one check, unlike a union of literals). */
const StringEnum = <T extends readonly string[]>(values: T, description: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });

/** ISO-8601 in UTC (`Z` or `+00:00`), optional fractional seconds. */
export const UTC_TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|\\+00:00)$';

export const TransactionSchema = Type.Object(
  {
    transaction_id: Id('Unique id of the transaction; idempotency key of the whole pipeline.'),
    timestamp: Type.String({
      pattern: UTC_TIMESTAMP_PATTERN,
      format: 'date-time',
      description: 'Event time, ISO-8601 UTC.',
    }),
    amount: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1e12,
      description: 'Positive amount in `currency`.',
    }),
    currency: StringEnum(ISO_4217, 'ISO-4217 currency code.'),
    card_id: Id('Card identifier (the Kafka message key).'),
    merchant_id: Id('Merchant identifier.'),
    merchant_category: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Merchant category, e.g. retail.',
    }),
    customer_id: Id('Customer identifier.'),
    merchant_country: StringEnum(ISO_3166_ALPHA2, 'ISO-3166 alpha-2 country of the merchant.'),
    card_present: Type.Boolean({ description: 'Whether the card was physically present.' }),
    device_id: Id('Device fingerprint identifier.'),
    ip_address: Type.String({
      anyOf: [
        { type: 'string', format: 'ipv4' },
        { type: 'string', format: 'ipv6' },
      ],
      description: 'IPv4 or IPv6 address the transaction came from.',
    }),
    status: Type.String({ minLength: 1, maxLength: 32, description: 'Authorisation status, e.g. pending.' }),
  },
  { $id: 'transaction', title: 'Transaction', additionalProperties: false },
);

export type Transaction = Static<typeof TransactionSchema>;

/** The brief's example payload, used by docs, tests and the acceptance checks. */
export const BRIEF_EXAMPLE_TRANSACTION: Transaction = Object.freeze({
  transaction_id: 'tx_0001',
  timestamp: '2025-01-29T12:00:00Z',
  amount: 1250.5,
  currency: 'BRL',
  card_id: 'card_1234',
  merchant_id: 'm_987',
  merchant_category: 'retail',
  customer_id: 'cust_555',
  merchant_country: 'BR',
  card_present: false,
  device_id: 'dev_111',
  ip_address: '200.160.0.1',
  status: 'pending',
});
