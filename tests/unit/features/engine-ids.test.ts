import { describe, expect, it } from 'vitest';
import {
  countryCode,
  ENTITY_KINDS,
  eventTime,
  FEATURE_COUNT,
  FeatureEngine,
  hash53,
  mayBePending,
} from '../../../src/core/features/index.ts';
import { makeHistory } from './fixtures.ts';

// The backfill keys entity state by integer ids (enrichIds) where the online path keys it by
// names (enrich): the vectors must be the same bits, through eviction, labels and replays.

function sameBits(a: Float64Array, b: Float64Array): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('FeatureEngine keyed by ids', () => {
  it('computes bit-identical vectors to the engine keyed by names, through eviction, labels and replays', () => {
    const h = makeHistory({ count: 3000, seed: 11, cards: 400, days: 150, fraudRate: 0.08 });
    // A small sweep interval and a short history make entities idle out and come back.
    const options = { sweepEvery: 50, pendingLabelCapacity: Infinity, indexAll: false };
    const byName = new FeatureEngine(options);
    const byId = new FeatureEngine(options);
    for (const l of h.labels) {
      byName.addLabel(l.transaction_id, l.is_fraud, eventTime(l.labeled_at));
      byId.addLabel(l.transaction_id, l.is_fraud, eventTime(l.labeled_at));
    }
    const filter = byId.pendingFilter();
    expect(filter).not.toBeNull();
    const dicts = ENTITY_KINDS.map(() => new Map<string, number>());
    const idOf = (kind: number, name: string) => {
      const d = dicts[kind]!;
      let id = d.get(name);
      if (id === undefined) {
        id = d.size;
        d.set(name, id);
        byId.defineEntity(kind, id, hash53(name));
      }
      return id;
    };
    // Every 7th transaction again later (a replay): nothing applied, the same vector.
    const stream = h.transactions.flatMap((t, i) => (i % 7 === 3 ? [t, t] : [t]));
    let flagged = 0;
    for (const tx of stream) {
      const a = byName.enrich(tx, new Float64Array(FEATURE_COUNT));
      const hash = hash53(tx.transaction_id);
      const needsId = mayBePending(filter, hash);
      if (needsId) flagged++;
      const b = byId.enrichIds(
        needsId ? tx.transaction_id : undefined,
        eventTime(tx.timestamp),
        hash,
        tx.amount,
        countryCode(tx.merchant_country),
        tx.card_present,
        idOf(0, tx.card_id),
        idOf(1, tx.customer_id),
        idOf(2, tx.merchant_id),
        idOf(3, tx.merchant_category),
        idOf(4, tx.device_id),
        idOf(5, tx.ip_address),
        new Float64Array(FEATURE_COUNT),
      );
      expect(sameBits(a, b), tx.transaction_id).toBe(true);
    }
    const sa = byName.stats();
    const sb = byId.stats();
    expect(flagged).toBeGreaterThan(0);
    expect(sb.labelsApplied).toBeGreaterThan(0);
    expect(sb).toEqual(sa);
    // Idle entities were evicted (and some came back to fresh state), so that path ran too.
    expect(sb.cards).toBeLessThan(dicts[0]!.size);
    expect(sb.devices).toBeLessThan(dicts[4]!.size);
  });

  it('refuses to mix names and ids, an undefined id, and a missing transaction id when a label may wait', () => {
    const tx = makeHistory({ count: 1, seed: 2 }).transactions[0]!;
    const byName = new FeatureEngine();
    byName.enrich(tx);
    const out = new Float64Array(FEATURE_COUNT);
    const args = [eventTime(tx.timestamp), hash53(tx.transaction_id), tx.amount, 0, true] as const;
    expect(() => byName.enrichIds(undefined, ...args, 0, 0, 0, 0, 0, 0, out)).toThrow(/names .* or by ids/);
    const byId = new FeatureEngine({ indexAll: false });
    expect(() => byId.enrichIds(undefined, ...args, 0, 0, 0, 0, 0, 0, out)).toThrow(/not defined/);
    for (let k = 0; k < 6; k++) byId.defineEntity(k, 0, k + 1);
    byId.addLabel(tx.transaction_id, true, eventTime(tx.timestamp) + 1000);
    expect(() => byId.enrichIds(undefined, ...args, 0, 0, 0, 0, 0, 0, out)).toThrow(/needs its id/);
    expect(byId.enrichIds(tx.transaction_id, ...args, 0, 0, 0, 0, 0, 0, out)).toBe(out);
    expect(byId.stats().labelsApplied).toBe(1);
  });
});
