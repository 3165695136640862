import { describe, expect, it } from 'vitest';
import { BRIEF_EXAMPLE_TRANSACTION } from '../../../src/core/contracts/index.ts';
import { ListStore, parseExpiry, parseListCsv } from '../../../src/core/lists/index.ts';

const ADDED = '2026-01-01T00:00:00Z';
const NOW = Date.parse('2026-01-10T00:00:00Z');

describe('list store', () => {
  it('finds live entries, honours expiry, replaces by value and removes', () => {
    const s = new ListStore();
    s.put({ kind: 'deny', entity: 'card', value: 'c1', added_at: ADDED, expires_at: '2026-01-05T00:00:00Z' });
    expect(s.find('deny', 'card', 'c1', Date.parse('2026-01-04T00:00:00Z'))?.value).toBe('c1');
    expect(s.find('deny', 'card', 'c1', NOW)).toBeUndefined();
    s.put({ kind: 'deny', entity: 'card', value: 'c1', added_at: ADDED });
    expect(s.find('deny', 'card', 'c1', NOW)).toBeDefined();
    expect(s.find('allow', 'card', 'c1', NOW)).toBeUndefined();
    expect(s.entries()).toHaveLength(1);
    const rev = s.revision;
    expect(s.remove('deny', 'card', 'c1')).toBe(true);
    expect(s.revision).toBe(rev + 1);
    expect(s.remove('deny', 'card', 'c1')).toBe(false);
  });

  it('matches a transaction on any entity and purges expired entries', () => {
    const s = new ListStore([
      { kind: 'deny', entity: 'country', value: 'BR', added_at: ADDED, expires_at: '2026-01-02T00:00:00Z' },
      { kind: 'deny', entity: 'merchant', value: 'm_987', added_at: ADDED },
    ]);
    expect(s.match('deny', BRIEF_EXAMPLE_TRANSACTION, NOW)?.entity).toBe('merchant');
    expect(s.purgeExpired(NOW)).toBe(1);
    expect(s.entries().map((e) => e.entity)).toEqual(['merchant']);
  });

  it('rejects invalid entries with field names', () => {
    const s = new ListStore();
    expect(() => s.put({ kind: 'deny', entity: 'country', value: 'Brazil', added_at: ADDED })).toThrow(
      /ISO-3166/,
    );
    expect(() => s.put({ kind: 'maybe' as 'deny', entity: 'card', value: 'x', added_at: ADDED })).toThrow(
      /kind must be one of/,
    );
  });

  it('parses relative and absolute expiries', () => {
    expect(parseExpiry('7d', NOW)).toBe('2026-01-17T00:00:00.000Z');
    expect(parseExpiry('2026-02-01', NOW)).toBe('2026-02-01T00:00:00.000Z');
    expect(() => parseExpiry('soon', NOW)).toThrow(/expiry 'soon'/);
  });

  it('imports CSV, keeping good lines and rejecting bad ones with their line number', () => {
    const csv = [
      'entity,value,expires_at,reason',
      'card,card_1,7d,chargeback',
      'device,,,',
      'planet,mars,,',
      'ip,1.2.3.4,,',
    ].join('\n');
    const r = parseListCsv(csv, { kind: 'deny', addedAt: ADDED, now: NOW });
    expect(r.entries.map((e) => `${e.kind}:${e.entity}:${e.value}`)).toEqual([
      'deny:card:card_1',
      'deny:ip:1.2.3.4',
    ]);
    expect(r.entries[0]).toMatchObject({ reason: 'chargeback', expires_at: '2026-01-17T00:00:00.000Z' });
    expect(r.rejected.map((x) => x.line)).toEqual([3, 4]);
    expect(r.rejected[1]!.issues[0]!.field).toBe('entity');
    expect(
      parseListCsv('foo,bar\n1,2', { addedAt: ADDED, now: NOW }).rejected[0]!.issues[0]!.message,
    ).toMatch(/'value' column/);
  });
});
