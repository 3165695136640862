import type { Transaction } from '../../src/core/contracts/index.ts';

/**
 * The transaction with its ids under a run prefix, so every bench run writes new transactions
 * and entities into a shared database (IPs stay shared, as across real runs).
 */
export function underRunPrefix(t: Transaction, prefix: string): Transaction {
  return {
    ...t,
    transaction_id: prefix + t.transaction_id,
    card_id: prefix + t.card_id,
    customer_id: prefix + t.customer_id,
    device_id: prefix + t.device_id,
    merchant_id: prefix + t.merchant_id,
  };
}
