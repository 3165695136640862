/*
 * CSV bytes for the backfill's I/O thread, in a module of its own that loads nothing heavy
 * (the thread's start-up time is mostly module loading). csv.ts re-exports it.
 */
import type { Transaction } from '../../core/contracts/index.ts';

/** The five id cells of a row (no trailing comma). */
export function backfillPrefix(tx: Transaction): string {
  return `${tx.transaction_id},${tx.timestamp},${tx.card_id},${tx.customer_id},${tx.merchant_id}`;
}

/** Entries of CsvBytes' cache of number texts (direct-mapped). */
const TEXT_CACHE = 1 << 14;
/** A double's two 32-bit halves, for hashing it. */
const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);

/**
 * Writes the same text as `featureCell` (and whole rows) straight into a byte buffer: no
 * intermediate strings for the common cells, no UTF-8 encoding pass over the output. The
 * backfill's writer thread uses it; the result is byte-identical to `backfillRowAt`.
 */
export class CsvBytes {
  buf: Buffer;
  pos = 0;
  private readonly cacheKeys = new Float64Array(TEXT_CACHE).fill(Number.NaN);
  private readonly cacheTexts: string[] = new Array<string>(TEXT_CACHE).fill('');

  constructor(capacity = 1 << 20) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for n more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (this.pos + n > size) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** Copies bytes [from, to) of src. */
  bytes(src: Uint8Array, from: number, to: number): void {
    this.reserve(to - from);
    const buf = this.buf;
    let p = this.pos;
    for (let i = from; i < to; i++) buf[p++] = src[i]!;
    this.pos = p;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  /** One cell with its leading comma (reserve 32 bytes first for the fast paths). */
  cell(x: number): void {
    const buf = this.buf;
    if (Number.isNaN(x)) {
      buf[this.pos++] = 44;
      return;
    }
    if (x >= 0 && x < 10_000 && (x | 0) === x) {
      // Counts and flags, most cells: integer digit arithmetic, no loop.
      let p = this.pos;
      buf[p++] = 44;
      if (x < 10) buf[p++] = 48 + x;
      else if (x < 100) {
        const t = (x / 10) | 0;
        buf[p++] = 48 + t;
        buf[p++] = 48 + x - t * 10;
      } else {
        if (x >= 1000) {
          const th = (x / 1000) | 0;
          buf[p++] = 48 + th;
          x -= th * 1000;
          const h = (x / 100) | 0;
          buf[p++] = 48 + h;
          x -= h * 100;
        } else {
          const h = (x / 100) | 0;
          buf[p++] = 48 + h;
          x -= h * 100;
        }
        const t = (x / 10) | 0;
        buf[p++] = 48 + t;
        buf[p++] = 48 + x - t * 10;
      }
      this.pos = p;
      return;
    }
    // Same fast path and argument as featureCell.
    const r = Math.round(x * 100);
    if (r / 100 === x && r < 1e14 && r > -1e14) {
      let p = this.pos;
      buf[p++] = 44;
      let a = r;
      if (r < 0) {
        buf[p++] = 45;
        a = -r;
      }
      const whole = Math.floor(a / 100);
      const cents = a - whole * 100;
      p = writeDigits(buf, p, whole);
      if (cents !== 0) {
        buf[p++] = 46;
        const tens = Math.floor(cents / 10);
        buf[p++] = 48 + tens;
        const ones = cents - tens * 10;
        if (ones !== 0) buf[p++] = 48 + ones;
      }
      this.pos = p;
      return;
    }
    const m = Math.round(x * 1000);
    if (m / 1000 === x && m < 1e12 && m > -1e12) {
      let p = this.pos;
      buf[p++] = 44;
      let a = m;
      if (m < 0) {
        buf[p++] = 45;
        a = -m;
      }
      const whole = Math.floor(a / 1000);
      let milli = a - whole * 1000;
      p = writeDigits(buf, p, whole);
      buf[p++] = 46;
      const hundreds = Math.floor(milli / 100);
      milli -= hundreds * 100;
      const tens = Math.floor(milli / 10);
      buf[p++] = 48 + hundreds;
      buf[p++] = 48 + tens;
      buf[p++] = 48 + (milli - tens * 10);
      this.pos = p;
      return;
    }
    // The rest (rates, ratios, z-scores, sums with rounding error) needs String(x), a few
    // hundred ns each; about 40 % of them repeat a recent value (a customer's sum equal to
    // its card's, a category's rate unchanged), so its text is looked up in a small cache
    // keyed by the double itself. String(x) is a flat string (charCodeAt on a `,${x}`
    // concatenation would walk a cons string).
    BITS[0] = x;
    let h = Math.imul(WORDS[0]! ^ Math.imul(WORDS[1]!, 0x9e3779b1), 0x85ebca6b);
    h = (h ^ (h >>> 15)) & (TEXT_CACHE - 1);
    let s: string;
    if (this.cacheKeys[h] === x) s = this.cacheTexts[h]!;
    else {
      s = String(x);
      this.cacheKeys[h] = x;
      this.cacheTexts[h] = s;
    }
    this.reserve(s.length + 1);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 44;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Takes the bytes written so far (a copy) and starts over. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

/** Decimal digits of a non-negative integer below 2⁵³ at buf[pos]; returns the new position. */
function writeDigits(buf: Buffer, pos: number, n: number): number {
  let len = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) len++;
  let p = pos + len;
  for (let m = n; ; ) {
    const q = Math.floor(m / 10);
    buf[--p] = 48 + (m - q * 10);
    if (q === 0) break;
    m = q;
  }
  return pos + len;
}
