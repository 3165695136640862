import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { validators } from '../../../src/core/contracts/index.ts';
import type { ConsumedRecord } from '../../../src/ports/index.ts';
import { createSimulator, runLiveFeed } from '../../../src/services/ingestor/index.ts';

async function readAll(bus: MemoryBus, topic: string): Promise<ConsumedRecord[]> {
  const sub = await bus.subscribe({ groupId: `reader-${topic}`, topics: [topic], from: 'earliest' });
  const out: ConsumedRecord[] = [];
  for (;;) {
    const batch = await Promise.race([sub.next(), new Promise<null>((r) => setTimeout(() => r(null), 200))]);
    if (!batch || batch.length === 0) break;
    out.push(...batch);
  }
  await sub.close();
  return out;
}

describe('live feed', () => {
  it('paces transactions keyed by card_id and publishes each label only once it is due', async () => {
    const bus = new MemoryBus({ partitions: 3 });
    // 60 days of label delay become ~0.5 s at this scale, so labels come due within the run.
    const simulator = createSimulator({ seed: 3, fraudRate: 0.2, timeScale: 1e-7, idPrefix: 'tx_live_' });
    const result = await runLiveFeed({
      bus,
      simulator,
      rate: 2000,
      durationMs: 1500,
      topic: 'tx',
      labelsTopic: 'lb',
    });
    // Wall-clock pacing on a shared machine: allow for timer slack, never overshoot the schedule.
    expect(result.sent).toBeGreaterThan(1500);
    expect(result.sent).toBeLessThanOrEqual(2000 * 1.6 + 1);
    const txs = await readAll(bus, 'tx');
    expect(txs).toHaveLength(result.sent);
    for (const r of txs) expect(JSON.parse(r.value.toString()).card_id).toBe(r.key);
    const labels = await readAll(bus, 'lb');
    expect(labels.length).toBe(result.labelsSent);
    expect(labels.length).toBeGreaterThan(50);
    for (const r of labels) {
      const label = JSON.parse(r.value.toString());
      expect(validators.label(label)).toBe(true);
      expect(r.key).toBe(label.transaction_id);
      expect(r.timestamp).toBeGreaterThanOrEqual(Date.parse(label.labeled_at));
    }
    expect(result.labelsSent + result.labelsPending).toBe(result.stats.labels);
    await bus.close();
  });

  it('stops at --count and when aborted', async () => {
    const bus = new MemoryBus();
    const counted = await runLiveFeed({
      bus,
      simulator: createSimulator({ seed: 1 }),
      rate: 100_000,
      count: 777,
    });
    expect(counted.sent).toBe(777);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const aborted = await runLiveFeed({
      bus,
      simulator: createSimulator({ seed: 1 }),
      rate: 50,
      signal: abort.signal,
    });
    expect(aborted.sent).toBeGreaterThan(0);
    expect(aborted.sent).toBeLessThan(50);
    await bus.close();
  });
});
