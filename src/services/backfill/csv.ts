import type { Transaction } from '../../core/contracts/index.ts';
import { FEATURE_NAMES } from '../../core/features/index.ts';
import { backfillPrefix } from './csv-bytes.ts';

export { backfillPrefix, CsvBytes } from './csv-bytes.ts';

/** CSV columns: these five first (the ML trainer relies on them), then FEATURE_NAMES. */
export const BACKFILL_ID_COLUMNS = [
  'transaction_id',
  'timestamp',
  'card_id',
  'customer_id',
  'merchant_id',
] as const;

export function backfillHeader(): string {
  return [...BACKFILL_ID_COLUMNS, ...FEATURE_NAMES].join(',');
}

// Most cells are small counts and flags: their text is looked up instead of formatted.
const SMALL_INTS: string[] = Array.from({ length: 4096 }, (_, i) => `,${i}`);

/**
 * One cell, with its leading comma: missing (NaN) is empty, numbers in JavaScript's shortest
 * round-trip form (`String(x)`), byte for byte.
 *
 * Fast path for values with at most two decimals (amounts and their sums, most of the
 * non-integer cells): if r = round(100·x) and r / 100 === x, x is the double nearest to the
 * decimal r/100 (IEEE division of exact integers is correctly rounded), and below 10¹² no other
 * decimal with at most two places maps to the same double, so the two-place text of r/100 is
 * the shortest that round-trips — exactly what String(x) prints. Everything else (rates, ratios,
 * z-scores, sums with rounding error) goes through String(x). Unit-tested against String.
 */
export function featureCell(x: number): string {
  if (Number.isNaN(x)) return ',';
  if (x >= 0 && x < 4096 && (x | 0) === x) return SMALL_INTS[x]!;
  const r = Math.round(x * 100);
  if (r / 100 === x && r < 1e14 && r > -1e14) {
    const a = r < 0 ? -r : r;
    const whole = Math.floor(a / 100);
    const cents = a - whole * 100;
    const head = r < 0 ? `,-${whole}` : `,${whole}`;
    if (cents === 0) return head;
    if (cents % 10 === 0) return `${head}.${cents / 10}`;
    return cents < 10 ? `${head}.0${cents}` : `${head}.${cents}`;
  }
  // The same argument with three places (seconds with milliseconds), below 10⁹.
  const m = Math.round(x * 1000);
  if (m / 1000 === x && m < 1e12 && m > -1e12) {
    const a = m < 0 ? -m : m;
    const whole = Math.floor(a / 1000);
    const milli = a - whole * 1000; // not a multiple of 10: that case took the path above
    return `${m < 0 ? ',-' : ','}${whole}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}`;
  }
  return `,${x}`;
}

/** One CSV row; missing (NaN) is an empty cell; numbers in shortest round-trip form. */
export function backfillRow(tx: Transaction, v: Float64Array): string {
  return backfillRowAt(backfillPrefix(tx), v, 0, v.length);
}

/** A row from its id cells and `count` features of `v` starting at `offset`. */
export function backfillRowAt(prefix: string, v: Float64Array, offset: number, count: number): string {
  let s = prefix;
  const end = offset + count;
  for (let i = offset; i < end; i++) s += featureCell(v[i]!);
  return s;
}
