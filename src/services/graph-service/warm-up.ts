/**
 * Synthetic batches for warming up the graph's write path (`Neo4jGraph.warmUp`): simulated
 * transactions whose every id is under a prefix of its own, so the rolled-back MERGEs never
 * touch, nor wait on, a real card, device, IP, customer or merchant.
 */
import type { Transaction } from '../../core/contracts/index.ts';
import { createSimulator, withIdPrefix } from '../ingestor/index.ts';

export function warmUpBatchesFor(batches: number, batchSize: number): Transaction[][] {
  const prefix = `__warmup_${Date.now().toString(36)}_`;
  const sim = createSimulator({ seed: 1, customers: 5_000, count: batches * batchSize, fraudRate: 0.02 });
  return Array.from({ length: batches }, () =>
    Array.from({ length: batchSize }, () => withIdPrefix(sim.next().transaction, prefix, { ips: true })),
  );
}
