import { type Static, Type } from '@sinclair/typebox';
import { TransactionSchema } from './transaction.ts';

/**
 * The `enriched-transactions` topic: the original transaction, its point-in-time feature
 * vector (state before this transaction was applied) and the feature set version.
 * Missing values (e.g. no history yet) are `null`.
 */
export const EnrichedTransactionSchema = Type.Object(
  {
    transaction: TransactionSchema,
    features: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()])),
    feature_set_version: Type.String(),
    enriched_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'enriched-transaction', title: 'EnrichedTransaction', additionalProperties: false },
);
export type EnrichedTransaction = Static<typeof EnrichedTransactionSchema>;
