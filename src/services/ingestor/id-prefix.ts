import type { Transaction } from '../../core/contracts/index.ts';

/**
 * The transaction with its ids under `prefix`, so it names transactions and entities of its
 * own in a shared store (a test or bench run, the graph service's warm-up). IPs stay shared
 * unless `ips` is set, as across real runs.
 */
export function withIdPrefix(t: Transaction, prefix: string, { ips = false } = {}): Transaction {
  return {
    ...t,
    transaction_id: prefix + t.transaction_id,
    card_id: prefix + t.card_id,
    customer_id: prefix + t.customer_id,
    device_id: prefix + t.device_id,
    merchant_id: prefix + t.merchant_id,
    ip_address: ips ? prefix + t.ip_address : t.ip_address,
  };
}
