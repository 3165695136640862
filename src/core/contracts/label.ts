import { type Static, Type } from '@sinclair/typebox';
import { UTC_TIMESTAMP_PATTERN } from './transaction.ts';

/**
 * Ground truth, which always travels out of band (`labels` topic or a labels CSV), never
 * inside a transaction. `labeled_at` is when the label became known — after the
 * transaction, as chargebacks arrive weeks later — and nothing may use a label before it.
 */
export const LabelSchema = Type.Object(
  {
    transaction_id: Type.String({ minLength: 1 }),
    is_fraud: Type.Boolean(),
    labeled_at: Type.String({ pattern: UTC_TIMESTAMP_PATTERN }),
    scenario: Type.Optional(Type.String({ description: 'Simulator scenario that produced it, if any.' })),
    source: Type.Optional(
      Type.Union([
        Type.Literal('simulator'),
        Type.Literal('chargeback'),
        Type.Literal('analyst'),
        Type.Literal('import'),
      ]),
    ),
    labeled_by: Type.Optional(Type.String()),
  },
  { $id: 'label', title: 'Label', additionalProperties: false },
);
export type Label = Static<typeof LabelSchema>;
