/*
 * A transaction's fields reduced to the numbers the feature computation keys on, and the
 * helpers to hand entities to the engine by id. Kept apart from the computation (and its
 * catalogue) so the backfill's reader thread loads only this: each TypeScript module costs
 * the thread start-up time to load.
 */
import { ISO_3166_ALPHA2 } from '../contracts/iso.ts';
import { parseUtcFast } from '../contracts/time.ts';

export { parseUtcFast };

/**
 * 53-bit string hash (two 32-bit FNV-1a style lanes with a final mix), exact in a double.
 * Used for tie-breaking equal timestamps and for comparing ids (merchant, device, IP) inside
 * distinct counts without keeping the strings: two different ids of one card collide with
 * probability about k²/2⁵⁴ (k = ids in the window), i.e. never in practice.
 */
export function hash53(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return mix53(h1, h2);
}

/** hash53's final mix of its two lanes (shared with the backfill's byte-level hash53Bytes). */
export function mix53(h1: number, h2: number): number {
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (h2 >>> 11) * 4294967296 + (h1 >>> 0);
}

const COUNTRY_INDEX = new Map<string, number>(ISO_3166_ALPHA2.map((c, i) => [c, i]));
/** Two upper-case letters → ISO index (or -1): a table lookup instead of hashing a string. */
const COUNTRY_BY_LETTERS = new Int16Array(26 * 26).fill(-1);
for (const [c, i] of COUNTRY_INDEX) {
  const a = c.charCodeAt(0) - 65;
  const b = c.charCodeAt(1) - 65;
  if (c.length === 2 && a >= 0 && a < 26 && b >= 0 && b < 26) COUNTRY_BY_LETTERS[a * 26 + b] = i;
}

/** Country as a small integer (its position in the ISO table, alphabetical); -1 if unknown. */
export function countryCode(country: string): number {
  if (country.length === 2) {
    const a = country.charCodeAt(0) - 65;
    const b = country.charCodeAt(1) - 65;
    if (a >= 0 && a < 26 && b >= 0 && b < 26) return COUNTRY_BY_LETTERS[a * 26 + b]!;
  }
  return COUNTRY_INDEX.get(country) ?? -1;
}

/**
 * Event time in epoch milliseconds. The contract pins UTC ISO-8601; fractions beyond the
 * millisecond are truncated (ties are then ordered by the transaction id hash).
 */
export function eventTime(timestamp: string): number {
  const fast = parseUtcFast(timestamp);
  if (fast >= 0) return fast;
  const t = Date.parse(timestamp);
  if (!Number.isFinite(t)) throw new Error(`invalid timestamp '${timestamp}'`);
  return t;
}

const PENDING_BITS = 1 << 20;

/** Bit of a transaction id's hash53 in the engine's pending-label filter. */
export function pendingBit(hash: number): number {
  return hash % PENDING_BITS;
}

/** A pending-label filter with every bit clear. */
export function newPendingFilter(): Uint32Array {
  return new Uint32Array(PENDING_BITS / 32);
}

/** Entity kinds in the order `FeatureEngine.enrichIds` takes their ids and `defineEntity` names them. */
export const ENTITY_KINDS = ['card', 'customer', 'merchant', 'category', 'device', 'ip'] as const;

/**
 * False only if no label is pending for the transaction with this hash53 id
 * (`FeatureEngine.pendingFilter`): true means "look it up", rarely a false positive.
 */
export function mayBePending(filter: Uint32Array | null, hash: number): boolean {
  if (filter === null) return false;
  const bit = pendingBit(hash);
  return (filter[bit >>> 5]! & (1 << (bit & 31))) !== 0;
}
