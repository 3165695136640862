import { type Static, Type } from '@sinclair/typebox';
import { TransactionSchema } from './transaction.ts';

const FeatureValue = Type.Union([Type.Number(), Type.Null()]);

/** The most values a feature vector may carry (the schema's `maxItems`). */
export const MAX_FEATURE_VALUES = 4096;

/**
 * The `enriched-transactions` topic: the original transaction, its point-in-time feature
 * vector (state before this transaction was applied) and the feature set version.
 * Missing values (e.g. no history yet) are `null`. The features come in one of two forms
 * (`FRAUD_ENRICHED_FEATURES` picks the one written): an array in the catalogue order of
 * `feature_set_version` (the default: about a quarter of the bytes), or an object by name.
 */
export const EnrichedTransactionSchema = Type.Object(
  {
    transaction: TransactionSchema,
    features: Type.Union(
      [
        Type.Array(FeatureValue, {
          maxItems: MAX_FEATURE_VALUES,
          description:
            'Values in the catalogue order of feature_set_version (docs/feature-catalogue.md; FEATURE_NAMES in the core).',
        }),
        Type.Record(Type.String(), FeatureValue, { description: 'Values by feature name.' }),
      ],
      { description: 'Point-in-time features, as a vector in catalogue order or an object by name.' },
    ),
    feature_set_version: Type.String(),
    enriched_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'enriched-transaction', title: 'EnrichedTransaction', additionalProperties: false },
);
export type EnrichedTransaction = Static<typeof EnrichedTransactionSchema>;
