import { describe, expect, it } from 'vitest';
import { countryCode, eventTime, parseUtcFast } from '../../../src/core/features/index.ts';
import { CsvBytes, featureCell } from '../../../src/services/backfill/csv.ts';

// The fast paths must agree exactly with what they replace: a difference would silently
// change feature vectors (timestamps) or training files (number text).

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('timestamp fast path', () => {
  it('equals Date.parse on random instants, with and without milliseconds', () => {
    const r = rng(1);
    for (let i = 0; i < 20_000; i++) {
      const t = Math.floor(r() * Date.parse('2100-01-01T00:00:00Z'));
      const iso = new Date(t).toISOString();
      expect(parseUtcFast(iso)).toBe(Date.parse(iso));
      const noMs = `${iso.slice(0, 19)}Z`;
      expect(parseUtcFast(noMs)).toBe(Date.parse(noMs));
    }
  });

  it('covers leap days and month ends, and defers everything unusual to Date.parse', () => {
    for (const s of [
      '2024-02-29T23:59:59.999Z',
      '2000-02-29T00:00:00Z',
      '2025-12-31T23:59:59Z',
      '2025-01-31T00:00:00.001Z',
      '1970-01-01T00:00:00.000Z',
    ])
      expect(parseUtcFast(s)).toBe(Date.parse(s));
    for (const s of [
      '2025-02-29T00:00:00Z', // Date.parse rolls it over; the fast path leaves it to Date.parse
      '2025-04-31T00:00:00Z',
      '2025-01-01T24:00:00Z',
      '2025-01-01T23:59:60Z',
      '2025-01-01T23:59:59.1234Z',
      '2025-01-01T23:59:59.12Z',
      '2025-01-01T23:59:59+00:00',
      '1969-12-31T23:59:59Z',
      '2025-1a-01T00:00:00Z',
      '2024-11-06T21:41:23.93WZ', // a non-digit in the last place of a field
      '209W-01-01T00:00:00Z',
      'garbage',
    ])
      expect(parseUtcFast(s)).toBe(-1);
    for (const s of ['2025-02-29T00:00:00Z', '2025-01-01T23:59:59.1234Z', '2025-01-01T23:59:59+00:00'])
      expect(eventTime(s)).toBe(Date.parse(s));
    expect(() => eventTime('garbage')).toThrow(/invalid timestamp/);
  });
});

describe('timestamp fast path against malformed input', () => {
  it('returns -1 whenever any digit of the stamp is replaced by another character', () => {
    const base = '2024-11-06T21:41:23.931Z';
    const digits = [...base].flatMap((c, i) => (c >= '0' && c <= '9' ? [i] : []));
    for (const stamp of [base, '2024-11-06T21:41:23Z']) {
      for (const i of digits) {
        if (i >= stamp.length - 1) continue;
        for (const bad of ['W', ' ', '/', ':', '-', '.', 'a', '\u0660']) {
          const s = stamp.slice(0, i) + bad + stamp.slice(i + 1);
          expect(Number.isNaN(Date.parse(s)) ? parseUtcFast(s) : -1).toBe(-1);
        }
      }
    }
  });
});

describe('country code fast path', () => {
  it('maps ISO codes to their table position and anything else to -1', () => {
    expect(countryCode('AD')).toBe(0);
    expect(countryCode('US')).toBeGreaterThan(0);
    for (const s of ['', 'us', 'U', 'USA', 'ZZ', '1A']) expect(countryCode(s)).toBe(-1);
  });
});

describe('CSV number text', () => {
  const values: number[] = [
    0,
    -0,
    1,
    4095,
    4096,
    -1,
    -7,
    0.1,
    0.5,
    -0.5,
    12.3,
    12.34,
    99.99,
    1e11 + 0.01,
    0.001,
    0.011,
    1.001,
    86399.999,
    999999999.999,
    1e9 + 0.001,
  ];
  const r = rng(2);
  // Sums of cent amounts (exact and with rounding error), ratios, rates, extremes.
  for (let i = 0; i < 20_000; i++) {
    let s = 0;
    const n = 1 + Math.floor(r() * 30);
    for (let k = 0; k < n; k++) s += Math.round(r() * 500_000) / 100;
    const ms = Math.floor(r() * 40 * 86_400_000);
    values.push(
      s,
      -s,
      s / 3,
      1 / (1 + Math.floor(r() * 1000)),
      r() * 1e-7,
      r() * 1e22,
      ms / 1000,
      -ms / 1000,
    );
  }
  values.push(Number.NaN, 1e21, 123456789012.34, 999999999999.99, 2 ** 53, Number.MIN_VALUE);

  it('featureCell prints what String(x) prints (NaN as an empty cell)', () => {
    for (const x of values) expect(featureCell(x)).toBe(Number.isNaN(x) ? ',' : `,${x}`);
  });

  it('CsvBytes writes the same bytes as featureCell, from its text cache too', () => {
    const csv = new CsvBytes(16);
    let text = '';
    // Twice over (the second pass hits the cache of recent number texts), then interleaved
    // with near values that share cache slots.
    const r = rng(77);
    const again = [...values, ...values, ...values.map((x) => (r() < 0.5 ? x : x + 1e-9))];
    for (const x of again) {
      csv.reserve(32);
      csv.cell(x);
      text += featureCell(x);
    }
    expect(csv.take().toString('latin1')).toBe(text);
  });
});
