/*
 * The backfill reader's fast path: a transaction line read straight from the file's bytes.
 *
 * `JSON.parse` builds an object and eleven strings per line that the backfill then mostly
 * throws away; the engine thread then hashed the six entity ids again to find their state.
 * Here a line in the plain shape every producer writes (one flat object, the 13 contract
 * fields in any order, ASCII strings without escapes, no spaces, a plain decimal amount) is
 * checked and reduced on its bytes: the entities get small integer ids from byte-keyed
 * dictionaries, the CSV id cells are copied as bytes, and no string is made but the timestamp.
 *
 * The check is `quickAccept` (src/core/contracts/quick-check.ts) on bytes and equally strict:
 * every line it accepts, `JSON.parse` + `quickAccept` accepts with the same values (unit-tested
 * field by field). Anything else returns false and takes the exact old path (decode, JSON.parse,
 * quick check, contract validator), which decides and words every rejection.
 */
import { ISO_4217 } from '../../core/contracts/iso.ts';
import { parseUtcFast } from '../../core/contracts/time.ts';
import { countryCode, hash53, mix53 } from '../../core/features/reduce.ts';

/** The contract's currencies, three ASCII letters packed in an integer. */
const CURRENCIES = new Set<number>();
for (const c of ISO_4217) {
  if (/^[\x20-\x7e]{3}$/.test(c))
    CURRENCIES.add((c.charCodeAt(0) << 16) | (c.charCodeAt(1) << 8) | c.charCodeAt(2));
}
/** countryCode of every two upper-case letters (-1 for the codes the contract does not list). */
const COUNTRY_OF_LETTERS = new Int16Array(26 * 26);
for (let a = 0; a < 26; a++) {
  for (let c = 0; c < 26; c++)
    COUNTRY_OF_LETTERS[a * 26 + c] = countryCode(String.fromCharCode(65 + a, 65 + c));
}

/** hash53 (src/core/features/compute.ts) of the bytes [start, end) read as char codes (ASCII). */
export function hash53Bytes(b: Uint8Array, start: number, end: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return mix53(h1, h2);
}

/**
 * Entity name → small integer id, assigned in order of first sight (0, 1, 2 …), keyed by the
 * name's bytes (ASCII names: open addressing over a byte arena, no string made) or by the
 * string (names with other characters, from the slow path; they never equal an ASCII name).
 * Ids are never reused: the dictionary grows with the distinct names of the file, while the
 * engine's state for an idle id is evicted as usual.
 */
export class EntityIds {
  /** Ids assigned so far (the next id). */
  size = 0;
  /**
   * Open addressing, one slot = (hash, id, key start, key end) in adjacent ints: a probe
   * touches one cache line, then the key's bytes in the arena. -1 ids mark empty slots.
   */
  private table = new Int32Array(4 << 12).fill(-1);
  private mask = (1 << 12) - 1;
  private arena = new Uint8Array(1 << 16);
  private arenaUsed = 0;
  private readonly strings = new Map<string, number>();
  /** New ids since the last `takeNew`: (id, hash53 of the name) pairs. */
  private fresh: number[] = [];

  /** The id of the ASCII name in bytes [start, end) of b. */
  idOfBytes(b: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    // FNV's low bits are weak for ids that differ only in their last digits: mix them.
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    const table = this.table;
    const mask = this.mask;
    const len = end - start;
    const arena = this.arena;
    let s = h & mask;
    for (; ; s = (s + 1) & mask) {
      const o = s * 4;
      const id = table[o + 1]!;
      if (id < 0) break;
      if (table[o] !== h) continue;
      const k = table[o + 2]!;
      if (table[o + 3]! - k !== len) continue;
      let j = 0;
      while (j < len && arena[k + j] === b[start + j]) j++;
      if (j === len) return id;
    }
    // First sight: slot s is free.
    const id = this.nextId(hash53Bytes(b, start, end));
    if (this.arenaUsed + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      bigger.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = bigger;
    }
    // A byte loop: a subarray view per new name cost more than the copy (most IPs are new).
    const dst = this.arena;
    for (let j = 0, a = this.arenaUsed; j < len; j++) dst[a + j] = b[start + j]!;
    const o = s * 4;
    table[o] = h;
    table[o + 1] = id;
    table[o + 2] = this.arenaUsed;
    this.arenaUsed += len;
    table[o + 3] = this.arenaUsed;
    // Keep the table at most half full.
    if (2 * this.size > mask + 1) this.grow();
    return id;
  }

  /** The id of a name from the slow path (any string). */
  idOf(name: string): number {
    let ascii = true;
    for (let i = 0; i < name.length; i++) {
      if (name.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      const b = Buffer.from(name, 'latin1');
      return this.idOfBytes(b, 0, b.length);
    }
    let id = this.strings.get(name);
    if (id === undefined) {
      id = this.nextId(hash53(name));
      this.strings.set(name, id);
    }
    return id;
  }

  /** The (id, hash53) pairs of the ids assigned since the last call, in id order. */
  takeNew(): number[] {
    const f = this.fresh;
    this.fresh = [];
    return f;
  }

  private nextId(hash: number): number {
    const id = this.size++;
    this.fresh.push(id, hash);
    return id;
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(slots * 4).fill(-1);
    const mask = slots - 1;
    for (let o = 0; o < old.length; o += 4) {
      if (old[o + 1]! < 0) continue;
      let s = old[o]! & mask;
      while (table[s * 4 + 1]! >= 0) s = (s + 1) & mask;
      table.set(old.subarray(o, o + 4), s * 4);
    }
    this.table = table;
    this.mask = mask;
  }
}

// Field numbers, and the keys' bytes.
const F_TRANSACTION = 0;
const F_TIMESTAMP = 1;
const F_AMOUNT = 2;
const F_CURRENCY = 3;
const F_CARD = 4;
const F_MERCHANT = 5;
const F_CATEGORY = 6;
const F_CUSTOMER = 7;
const F_COUNTRY = 8;
const F_PRESENT = 9;
const F_DEVICE = 10;
const F_IP = 11;
const F_STATUS = 12;
const KEYS = [
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
].map((k) => Buffer.from(k, 'latin1'));
const ALL_FIELDS = (1 << KEYS.length) - 1;
/** Keys by length, for the key match. */
const KEYS_BY_LENGTH: number[][] = [];
for (let n = 0; n <= 17; n++) KEYS_BY_LENGTH.push([]);
for (let f = 0; f < KEYS.length; f++) KEYS_BY_LENGTH[KEYS[f]!.length]!.push(f);

/** The key order of the last line scanned (field numbers by position). */
const LAST_ORDER = new Int8Array(KEYS.length).fill(-1);

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Entity dictionaries, ENTITY_KINDS order: card, customer, merchant, category, device, IP. */
export const ENTITY_FIELDS = [F_CARD, F_CUSTOMER, F_MERCHANT, F_CATEGORY, F_DEVICE, F_IP] as const;

/**
 * One line's values after `scan` returned true. Strings are byte ranges of the line's buffer
 * (`start[f]`, `end[f]`); the rest already reduced.
 */
export class ScannedLine {
  readonly start = new Int32Array(KEYS.length);
  readonly end = new Int32Array(KEYS.length);
  time = 0;
  amount = 0;
  country = 0;
  present = false;
}

/**
 * Scans the line in bytes [from, to) of b. Returns true, with the values in `out`, only if
 * `JSON.parse` of the line gives an object that `quickAccept` accepts (see above); false means
 * "take the slow path", not "bad line".
 */
export function scanTransaction(b: Uint8Array, from: number, to: number, out: ScannedLine): boolean {
  if (to - from < 2 || b[from] !== 123 /* { */) return false;
  const start = out.start;
  const end = out.end;
  let seen = 0;
  let i = from + 1;
  for (let position = 0; ; position++) {
    // Key: first the one the previous line had at this position (producers keep one order).
    if (b[i] !== 34) return false;
    const ks = ++i;
    let field = position < KEYS.length ? LAST_ORDER[position]! : -1;
    if (field >= 0) {
      const key = KEYS[field]!;
      const kl = key.length;
      let j = 0;
      while (j < kl && key[j] === b[ks + j]) j++;
      if (j === kl && b[ks + kl] === 34) i = ks + kl;
      else field = -1;
    }
    if (field < 0) {
      while (i < to && b[i] !== 34) {
        if (b[i] === 92) return false;
        i++;
      }
      const kl = i - ks;
      const candidates = KEYS_BY_LENGTH[kl];
      if (candidates === undefined) return false;
      for (const f of candidates) {
        const key = KEYS[f]!;
        let j = 0;
        while (j < kl && key[j] === b[ks + j]) j++;
        if (j === kl) {
          field = f;
          break;
        }
      }
      if (field < 0) return false;
      if (position < KEYS.length) LAST_ORDER[position] = field;
    }
    if ((seen & (1 << field)) !== 0) return false;
    seen |= 1 << field;
    i++;
    if (b[i] !== 58 /* : */) return false;
    i++;
    // Value: the field's own type only (anything else: the slow path decides).
    const c = b[i];
    if (field === F_AMOUNT) {
      const vs = i;
      i = scanAmount(b, i, to, out);
      if (i < 0) return false;
      start[field] = vs;
      end[field] = i;
    } else if (field === F_PRESENT) {
      if (c === 116 && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101) {
        out.present = true;
        i += 4;
      } else if (c === 102 && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101) {
        out.present = false;
        i += 5;
      } else return false;
    } else {
      if (c !== 34) return false;
      const vs = ++i;
      // ASCII without escapes or control characters: the string is its bytes.
      while (i < to) {
        const d = b[i]!;
        if (d === 34) break;
        if (d === 92 || d < 32 || d > 126) return false;
        i++;
      }
      if (i >= to) return false;
      start[field] = vs;
      end[field] = i;
      i++;
    }
    if (i >= to) return false;
    if (b[i] === 44 /* , */) {
      i++;
      continue;
    }
    if (b[i] !== 125 /* } */ || i + 1 !== to) return false;
    break;
  }
  if (seen !== ALL_FIELDS) return false;
  return (
    isIdBytes(b, start[F_TRANSACTION]!, end[F_TRANSACTION]!) &&
    checkTimestamp(b, start[F_TIMESTAMP]!, end[F_TIMESTAMP]!, out) &&
    out.amount > 0 &&
    out.amount <= 1e12 &&
    checkCurrency(b, start[F_CURRENCY]!, end[F_CURRENCY]!) &&
    isIdBytes(b, start[F_CARD]!, end[F_CARD]!) &&
    isIdBytes(b, start[F_MERCHANT]!, end[F_MERCHANT]!) &&
    isTextBytes(start[F_CATEGORY]!, end[F_CATEGORY]!, 64) &&
    isIdBytes(b, start[F_CUSTOMER]!, end[F_CUSTOMER]!) &&
    checkCountry(b, start[F_COUNTRY]!, end[F_COUNTRY]!, out) &&
    isIdBytes(b, start[F_DEVICE]!, end[F_DEVICE]!) &&
    isIpv4Bytes(b, start[F_IP]!, end[F_IP]!) &&
    isTextBytes(start[F_STATUS]!, end[F_STATUS]!, 32)
  );
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.prototype.toString.call(b, 'latin1', start, end);
}

/**
 * A JSON number in the plain form `[1-9][0-9]*(.[0-9]+)?` or `0.[0-9]+`, into out.amount.
 * With at most 15 digits it is m / 10^k with m and 10^k exact doubles, and one IEEE division
 * is correctly rounded, as JSON.parse is: the same double. Longer ones use Number() on the
 * same text (also correctly rounded). Returns the index after the number, or -1.
 */
function scanAmount(b: Uint8Array, i: number, to: number, out: ScannedLine): number {
  const s = i;
  let m = 0;
  let digits = 0;
  let c = b[i]!;
  if (c === 48) {
    i++;
    if (b[i] !== 46) return -1; // "0" alone is not > 0 anyway; "01" is not JSON
  } else if (c >= 49 && c <= 57) {
    while (i < to) {
      c = b[i]!;
      if (c < 48 || c > 57) break;
      m = m * 10 + (c - 48);
      digits++;
      i++;
    }
  } else return -1;
  let k = 0;
  if (b[i] === 46) {
    i++;
    const fs = i;
    while (i < to) {
      c = b[i]!;
      if (c < 48 || c > 57) break;
      m = m * 10 + (c - 48);
      digits++;
      i++;
    }
    k = i - fs;
    if (k === 0) return -1;
  }
  const next = b[i];
  if (next === 101 || next === 69 || (next !== 44 && next !== 125)) return -1; // exponent or junk
  out.amount = digits <= 15 ? m / POW10[k]! : Number(latin1(b, s, i));
  return i;
}

/** `^[A-Za-z0-9_.:@-]+$` with 1–128 characters (quick-check's isId). */
export function isIdBytes(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > 128) return false;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (
      !(
        (c >= 97 && c <= 122) ||
        (c >= 65 && c <= 90) ||
        (c >= 48 && c <= 58) ||
        c === 95 ||
        c === 46 ||
        c === 64 ||
        c === 45
      )
    )
      return false;
  }
  return true;
}

/** ASCII text of 1–max characters (quick-check's isText; ASCII lengths are UTF-16 lengths). */
function isTextBytes(start: number, end: number, max: number): boolean {
  const n = end - start;
  return n >= 1 && n <= max;
}

/**
 * The contract's timestamp parser (parseUtcFast), with the date part remembered: a history
 * is mostly in time order, so consecutive lines share their `YYYY-MM-DD`. Only a new date
 * makes a string and goes through parseUtcFast, which validates it; then, for a line with a
 * date already validated, the time of day is checked here exactly as parseUtcFast checks it
 * (layout `THH:MM:SS[.mmm]Z`, ranges) and added to the date's midnight. Same results (the
 * sums are exact integers), unit-tested against parseUtcFast.
 */
export function parseUtcBytes(b: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n !== 20 && n !== 24) return -1;
  let same = lastDateMs >= 0;
  for (let k = 0; same && k < 10; k++) same = b[start + k] === lastDate[k];
  if (!same) {
    const t = parseUtcFast(latin1(b, start, end));
    if (t < 0) return -1;
    for (let k = 0; k < 10; k++) lastDate[k] = b[start + k]!;
    lastDateMs = t - (t % 86_400_000);
    return t;
  }
  let ms = 0;
  if (n === 24) {
    if (b[start + 19] !== 46 || b[start + 23] !== 90) return -1;
    const m0 = digitAt(b, start + 20);
    const m1 = digitAt(b, start + 21);
    const m2 = digitAt(b, start + 22);
    if (m0 < 0 || m1 < 0 || m2 < 0) return -1;
    ms = m0 * 100 + m1 * 10 + m2;
  } else if (b[start + 19] !== 90) return -1;
  if (b[start + 10] !== 84 || b[start + 13] !== 58 || b[start + 16] !== 58) return -1;
  const h0 = digitAt(b, start + 11);
  const h1 = digitAt(b, start + 12);
  const i0 = digitAt(b, start + 14);
  const i1 = digitAt(b, start + 15);
  const s0 = digitAt(b, start + 17);
  const s1 = digitAt(b, start + 18);
  if (h0 < 0 || h1 < 0 || i0 < 0 || i1 < 0 || s0 < 0 || s1 < 0) return -1;
  const hour = h0 * 10 + h1;
  const minute = i0 * 10 + i1;
  const second = s0 * 10 + s1;
  if (hour > 23 || minute > 59 || second > 59) return -1;
  return lastDateMs + (hour * 3600 + minute * 60 + second) * 1000 + ms;
}

/** The last date part validated by parseUtcBytes, and its midnight (-1: none). */
const lastDate = new Uint8Array(10);
let lastDateMs = -1;

function digitAt(b: Uint8Array, i: number): number {
  const c = b[i]! - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function checkTimestamp(b: Uint8Array, start: number, end: number, out: ScannedLine): boolean {
  const t = parseUtcBytes(b, start, end);
  out.time = t;
  return t >= 0;
}

function checkCurrency(b: Uint8Array, start: number, end: number): boolean {
  return end - start === 3 && CURRENCIES.has((b[start]! << 16) | (b[start + 1]! << 8) | b[start + 2]!);
}

/** The contract lists only upper-case pairs; anything else goes to the slow path. */
function checkCountry(b: Uint8Array, start: number, end: number, out: ScannedLine): boolean {
  if (end - start !== 2) return false;
  const a = b[start]! - 65;
  const c = b[start + 1]! - 65;
  if (a < 0 || a >= 26 || c < 0 || c >= 26) return false;
  const code = COUNTRY_OF_LETTERS[a * 26 + c]!;
  out.country = code;
  return code >= 0;
}

/** Dotted-quad IPv4 as ajv-formats' `ipv4` accepts it (quick-check's isIpv4). */
export function isIpv4Bytes(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let i = start;
  while (i <= end) {
    let value = 0;
    let digits = 0;
    const first = i;
    while (i < end) {
      const c = b[i]! - 48;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || value > 255) return false;
    if (digits > 1 && b[first] === 48) return false;
    parts++;
    if (i === end) break;
    if (b[i] !== 46 || parts === 4) return false;
    i++;
  }
  return parts === 4;
}

export { F_CARD, F_CUSTOMER, F_MERCHANT, F_TIMESTAMP, F_TRANSACTION };
