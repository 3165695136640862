import { describe, expect, it } from 'vitest';
import { quickAccept } from '../../../src/core/contracts/quick-check.ts';
import { parseUtcFast } from '../../../src/core/contracts/time.ts';
import { countryCode, eventTime, hash53 } from '../../../src/core/features/index.ts';
import {
  EntityIds,
  hash53Bytes,
  parseUtcBytes,
  ScannedLine,
  scanTransaction,
} from '../../../src/services/backfill/scan.ts';
import { makeHistory, rng } from './fixtures.ts';

// The reader's byte-level fast path must accept only what JSON.parse + quickAccept accept, with
// the same values: a difference would change training files silently.

const FIELDS = [
  'transaction_id',
  'timestamp',
  'amount',
  'currency',
  'card_id',
  'merchant_id',
  'merchant_category',
  'customer_id',
  'merchant_country',
  'card_present',
  'device_id',
  'ip_address',
  'status',
] as const;

/** The fast path's verdict and values, next to JSON.parse + quickAccept's. */
function check(text: string): boolean {
  const bytes = Buffer.from(`xx${text}yy`, 'utf8');
  const line = new ScannedLine();
  const fast = scanTransaction(bytes, 2, bytes.length - 2, line);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const slow = value !== undefined && quickAccept(value);
  if (fast) {
    expect(slow, text).toBe(true);
    const tx = value as Record<string, unknown>;
    expect(line.time).toBe(eventTime(tx.timestamp as string));
    expect(line.amount).toBe(tx.amount);
    expect(line.country).toBe(countryCode(tx.merchant_country as string));
    expect(line.present).toBe(tx.card_present);
    FIELDS.forEach((f, i) => {
      if (f === 'amount' || f === 'card_present') return;
      expect(bytes.toString('utf8', line.start[i], line.end[i]), f).toBe(tx[f]);
    });
  }
  return fast;
}

describe('backfill line scanner', () => {
  const good = JSON.parse(JSON.stringify(makeHistory({ count: 1, seed: 4 }).transactions[0]));

  it('takes the plain lines every producer writes, in any key order', () => {
    for (const tx of makeHistory({ count: 300, seed: 5 }).transactions)
      expect(check(JSON.stringify(tx))).toBe(true);
    const r = rng(3);
    for (let i = 0; i < 50; i++) {
      const keys = [...FIELDS].sort(() => r() - 0.5);
      expect(check(JSON.stringify(Object.fromEntries(keys.map((k) => [k, good[k]]))))).toBe(true);
    }
  });

  it('reads amounts as JSON.parse does', () => {
    const r = rng(8);
    const amounts = [
      '0.01',
      '1',
      '63.36',
      '63.30',
      '999999999999',
      '1000000000000',
      '0.1',
      '123456789.123456789',
    ];
    for (let i = 0; i < 2000; i++)
      amounts.push((r() * 10 ** Math.floor(r() * 12)).toFixed(Math.floor(r() * 8)));
    for (const a of amounts) {
      const text = JSON.stringify(good).replace(/"amount":[^,]+/, `"amount":${a}`);
      if (Number(a) > 0 && Number(a) <= 1e12 && !/^0\d/.test(a)) expect(check(text), a).toBe(true);
      else check(text);
    }
  });

  it('leaves everything else to the slow path, which decides', () => {
    const variants: string[] = [
      JSON.stringify(good, null, 1), // whitespace
      JSON.stringify({ ...good, merchant_category: 'café' }), // non-ASCII
      JSON.stringify({ ...good, merchant_category: 'a"b' }), // escape
      JSON.stringify({ ...good, merchant_category: '' }),
      JSON.stringify({ ...good, merchant_category: 'x'.repeat(65) }),
      JSON.stringify({ ...good, status: 'x'.repeat(33) }),
      JSON.stringify({ ...good, extra: 1 }),
      JSON.stringify({ ...good, ip_address: '2001:db8::1' }),
      JSON.stringify({ ...good, ip_address: '01.2.3.4' }),
      JSON.stringify({ ...good, ip_address: '1.2.3.256' }),
      JSON.stringify({ ...good, ip_address: '1.2.3' }),
      JSON.stringify({ ...good, timestamp: '2025-01-02T03:04:05+00:00' }),
      JSON.stringify({ ...good, timestamp: '2025-02-30T03:04:05Z' }),
      // A raw control character (not JSON) and a non-ASCII one where parseUtcFast's digit
      // poisoning would let a non-digit through (the milliseconds' last digit), in a new date.
      JSON.stringify({ ...good, timestamp: '2031-05-06T03:04:05.12xZ' }).replace('12x', '12\t'),
      JSON.stringify({ ...good, timestamp: '2031-05-07T03:04:05.12éZ' }),
      JSON.stringify({ ...good, status: 'pending\u0001' }).replace('\\u0001', '\u0001'),
      JSON.stringify({ ...good, amount: -1 }),
      JSON.stringify({ ...good, amount: 0 }),
      JSON.stringify({ ...good, amount: '12.5' }),
      JSON.stringify({ ...good, amount: 1e13 }),
      JSON.stringify({ ...good, currency: 'XYZ' }),
      JSON.stringify({ ...good, currency: 'usd' }),
      JSON.stringify({ ...good, merchant_country: 'us' }),
      JSON.stringify({ ...good, merchant_country: 'ZZ' }),
      JSON.stringify({ ...good, merchant_country: 'USA' }),
      JSON.stringify({ ...good, card_present: 'true' }),
      JSON.stringify({ ...good, card_present: 1 }),
      JSON.stringify({ ...good, card_id: 'card 1' }),
      JSON.stringify({ ...good, card_id: 'x'.repeat(129) }),
      JSON.stringify({ ...good, device_id: '' }),
      JSON.stringify({ ...good, customer_id: 7 }),
      JSON.stringify({ ...good, transaction_id: null }),
      JSON.stringify(Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'status'))),
      `${JSON.stringify(good).slice(0, -1)},"status":"again"}`, // duplicate key
      JSON.stringify(good).replace('"amount":', '"amount":1e1,"x":'),
      JSON.stringify(good).replace(/"amount":[^,]+/, '"amount":1.5e2'),
      JSON.stringify(good).replace(/"amount":[^,]+/, '"amount":01.5'),
      JSON.stringify(good).replace(/"amount":[^,]+/, '"amount":1.'),
      `${JSON.stringify(good)} `,
      `${JSON.stringify(good)}x`,
      `[${JSON.stringify(good)}]`,
      JSON.stringify(good).slice(0, -1),
      '{}',
      '',
    ];
    for (const v of variants) expect(check(v), v).toBe(false);
  });

  it('parses timestamps as parseUtcFast does, date remembered or not', () => {
    const r = rng(21);
    const stamps: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const t = Date.parse('2024-01-01T00:00:00Z') + Math.floor(r() * 800 * 86_400_000);
      const iso = new Date(t).toISOString();
      stamps.push(iso, iso.replace(/\.\d{3}Z$/, 'Z'));
      // Same date, then a broken time part: every check of the time of day must still run.
      const broken = [...iso];
      const at = 10 + Math.floor(r() * 14);
      broken[at] = String.fromCharCode(32 + Math.floor(r() * 95));
      stamps.push(broken.join(''));
    }
    stamps.push(
      '2024-02-29T23:59:59.999Z',
      '2024-02-29T24:00:00Z',
      '2024-02-29T23:60:00Z',
      '2024-02-29T23:59:60Z',
      '2023-02-29T00:00:00Z',
      '2024-02-29T00:00:00.1Z',
      '2024-02-29 00:00:00Z',
      '2024-02-29T00:00:00+00:00',
      '1969-12-31T23:59:59Z',
    );
    let accepted = 0;
    for (const s of stamps) {
      const b = Buffer.from(`"${s}"`, 'latin1');
      const t = parseUtcBytes(b, 1, b.length - 1);
      // Stricter than parseUtcFast on a malformed time of day (which parseUtcFast's digit
      // poisoning lets through in a few places, e.g. '…:23.93WZ'); such a line then takes the
      // slow path, where parseUtcFast decides as before. On everything it accepts, equal.
      if (t >= 0 || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(s)) {
        expect(t, s).toBe(parseUtcFast(s));
        if (t >= 0) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(6000);
  });

  it('hashes bytes as hash53 hashes the string', () => {
    for (const s of ['', 'a', 'card_0003448', '98.207.67.109', 'x'.repeat(200), 'tx_0000000001']) {
      expect(hash53Bytes(Buffer.from(s), 0, s.length)).toBe(hash53(s));
    }
  });

  it('numbers entity names at first sight, the same from bytes and from strings', () => {
    const ids = new EntityIds();
    const names: string[] = [];
    for (let i = 0; i < 20_000; i++) names.push(`ip_${(i * 7919) % 20_000}`);
    names.push('café', 'naïve');
    const seen = new Map<string, number>();
    for (const [i, name] of names.entries()) {
      const b = Buffer.from(`,${name},`);
      const id = i % 2 === 0 && !/[^ -~]/.test(name) ? ids.idOfBytes(b, 1, b.length - 1) : ids.idOf(name);
      if (!seen.has(name)) seen.set(name, seen.size);
      expect(id, name).toBe(seen.get(name));
      // Seen again: the same id.
      expect(ids.idOf(name)).toBe(id);
    }
    expect(ids.size).toBe(seen.size);
    const fresh = ids.takeNew();
    expect(fresh.length).toBe(2 * seen.size);
    const byId = [...seen.keys()];
    for (let j = 0; j < fresh.length; j += 2) expect(fresh[j + 1]).toBe(hash53(byId[fresh[j]!]!));
    expect(ids.takeNew()).toEqual([]);
  });
});
