import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConsumedRecord, EventBus, Subscription } from '../../src/ports/index.ts';

/**
 * The EventBus contract: every adapter (in-process and Kafka) must pass this same suite, so
 * the processor can rely on these guarantees whichever bus it runs on.
 */
export function eventBusContract(
  name: string,
  makeBus: () => Promise<EventBus>,
  topicFor: (base: string) => Promise<string>,
) {
  describe(`EventBus contract: ${name}`, () => {
    const buses: EventBus[] = [];
    const bus = async () => {
      const b = await makeBus();
      buses.push(b);
      return b;
    };
    afterAll(async () => {
      for (const b of buses) await b.close();
    });

    /**
     * Pulls until `want` distinct records arrived. Delivery is at-least-once (a rebalance may
     * redeliver uncommitted records), so redeliveries of one (partition, offset) count once.
     */
    async function drain(sub: Subscription, want: number, timeoutMs = 20_000): Promise<ConsumedRecord[]> {
      const got = new Map<string, ConsumedRecord>();
      const deadline = Date.now() + timeoutMs;
      while (got.size < want && Date.now() < deadline) {
        const batch = await sub.next(500);
        if (batch && batch.length > 0) {
          for (const r of batch) got.set(`${r.topic}:${r.partition}:${r.offset}`, r);
          await sub.commit(batch);
        }
      }
      return [...got.values()];
    }

    it('delivers every published record, with key, value and headers intact', async () => {
      const b = await bus();
      const topic = await topicFor('contract-roundtrip');
      const sub = await b.subscribe({ groupId: `g-${randomUUID()}`, topics: [topic], from: 'earliest' });
      await b.publish(topic, [
        { key: 'card_1', value: 'a', headers: { h: '1' } },
        { key: null, value: Buffer.from('b') },
      ]);
      const got = await drain(sub, 2);
      expect(got.map((r) => r.value.toString()).sort()).toEqual(['a', 'b']);
      const a = got.find((r) => r.value.toString() === 'a')!;
      expect(a.key).toBe('card_1');
      expect(a.headers['h']).toBe('1');
      expect(a.timestamp).toBeGreaterThan(Date.now() - 60_000);
      await sub.close();
    });

    it('keeps per-key order: all records of one key come in publish order from one partition', async () => {
      const b = await bus();
      const topic = await topicFor('contract-order');
      const sub = await b.subscribe({ groupId: `g-${randomUUID()}`, topics: [topic], from: 'earliest' });
      const messages = [];
      for (let i = 0; i < 300; i++) messages.push({ key: `card_${i % 7}`, value: String(i) });
      await b.publish(topic, messages);
      const got = await drain(sub, 300);
      expect(got).toHaveLength(300);
      for (let k = 0; k < 7; k++) {
        const ofKey = got.filter((r) => r.key === `card_${k}`);
        expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
        const values = ofKey.map((r) => Number(r.value.toString()));
        expect(values).toEqual([...values].sort((x, y) => x - y));
      }
      await sub.close();
    });

    it('publishes to several topics at once: every record lands on its topic, in key order', async () => {
      const b = await bus();
      const scores = await topicFor('contract-all-a');
      const alerts = await topicFor('contract-all-b');
      const sub = await b.subscribe({
        groupId: `g-${randomUUID()}`,
        topics: [scores, alerts],
        from: 'earliest',
      });
      // Big enough values that one call spans several size-bounded sends on Kafka.
      const pad = 'x'.repeat(4_000);
      const part = (topic: string, n: number) => ({
        topic,
        messages: Array.from({ length: n }, (_, i) => ({
          key: `card_${i % 5}`,
          value: `${topic}|${i}|${pad}`,
        })),
      });
      await b.publishAll([part(scores, 200), { topic: alerts, messages: [] }, part(alerts, 50)]);
      const got = await drain(sub, 250);
      expect(got).toHaveLength(250);
      for (const [topic, n] of [
        [scores, 200],
        [alerts, 50],
      ] as const) {
        const mine = got.filter((r) => r.topic === topic);
        expect(mine).toHaveLength(n);
        expect(mine.every((r) => r.value.toString().startsWith(`${topic}|`))).toBe(true);
        for (let k = 0; k < 5; k++) {
          const seq = mine
            .filter((r) => r.key === `card_${k}`)
            .sort((x, y) => (x.offset < y.offset ? -1 : 1))
            .map((r) => Number(r.value.toString().split('|')[1]));
          expect(seq).toEqual([...seq].sort((x, y) => x - y));
        }
      }
      await sub.close();
    });

    it('resumes a group from its committed offset: nothing committed is redelivered, nothing uncommitted is lost', async () => {
      const b = await bus();
      const topic = await topicFor('contract-commit');
      const groupId = `g-${randomUUID()}`;
      const first = await b.subscribe({ groupId, topics: [topic], from: 'earliest' });
      await b.publish(topic, [
        { key: 'k', value: '1' },
        { key: 'k', value: '2' },
      ]);
      const got = await drain(first, 2);
      expect(got.map((r) => r.value.toString())).toEqual(['1', '2']);
      await first.close();
      await b.publish(topic, [{ key: 'k', value: '3' }]);
      const second = await b.subscribe({ groupId, topics: [topic], from: 'earliest' });
      const rest = await drain(second, 1);
      expect(rest.map((r) => r.value.toString())).toEqual(['3']);
      await second.close();
    });

    it("shares partitions between members of one group and hands a leaving member's partitions over", async () => {
      const b = await bus();
      const topic = await topicFor('contract-group');
      const groupId = `g-${randomUUID()}`;
      const a = await b.subscribe({ groupId, topics: [topic], from: 'earliest' });
      const c = await b.subscribe({ groupId, topics: [topic], from: 'earliest' });
      const messages = Array.from({ length: 120 }, (_, i) => ({ key: `card_${i}`, value: String(i) }));
      await b.publish(topic, messages);
      const seen = new Set<string>();
      const deadline = Date.now() + 30_000;
      let fromA = 0;
      let fromC = 0;
      while (seen.size < 120 && Date.now() < deadline) {
        const [ba, bc] = await Promise.all([a.next(300), c.next(300)]);
        for (const r of ba ?? []) seen.add(r.value.toString());
        for (const r of bc ?? []) seen.add(r.value.toString());
        fromA += ba?.length ?? 0;
        fromC += bc?.length ?? 0;
        if (ba?.length) await a.commit(ba);
        if (bc?.length) await c.commit(bc);
      }
      expect(seen.size).toBe(120);
      expect(fromA).toBeGreaterThan(0);
      expect(fromC).toBeGreaterThan(0);
      await a.close();
      await b.publish(
        topic,
        Array.from({ length: 60 }, (_, i) => ({ key: `card_${i}`, value: `after-${i}` })),
      );
      const after = await drain(c, 60, 40_000);
      expect(new Set(after.map((r) => r.value.toString())).size).toBe(60);
      await c.close();
    });
  });
}
