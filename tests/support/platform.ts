import { MemoryBus } from '../../src/adapters/bus-memory/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { BRIEF_EXAMPLE_TRANSACTION, type Transaction } from '../../src/core/contracts/index.ts';
import { createPlatform, type Platform } from '../../src/platform/index.ts';
import type { EventBus } from '../../src/ports/index.ts';

/** An embedded platform (in-process bus, in-memory state) with no environment leaking in. */
export async function embeddedPlatform(options: { bus?: EventBus } = {}): Promise<Platform> {
  const config = loadConfig({ FRAUD_DATA_DIR: '/tmp/fraud-test-data' });
  return createPlatform(config, { bus: options.bus ?? new MemoryBus({ partitions: 4 }) });
}

/** A valid transaction derived from the brief's example. */
export function tx(overrides: Partial<Transaction> = {}): Transaction {
  return { ...BRIEF_EXAMPLE_TRANSACTION, ...overrides };
}

/** Transactions for `cards` cards, `perCard` each, in event-time order per card. */
export function stream(
  count: number,
  cards: number,
  start = Date.parse('2025-01-29T12:00:00Z'),
): Transaction[] {
  return Array.from({ length: count }, (_, i) =>
    tx({
      transaction_id: `tx_${i}`,
      card_id: `card_${i % cards}`,
      customer_id: `cust_${i % cards}`,
      timestamp: new Date(start + i * 1000).toISOString(),
      amount: 10 + (i % 50),
    }),
  );
}
