import { ISO_3166_ALPHA2 } from '../contracts/iso.ts';
import { countryCode, eventTime, hash53 } from './reduce.ts';

export { countryCode, eventTime, hash53, parseUtcFast } from './reduce.ts';

import type { Transaction } from '../contracts/transaction.ts';
import {
  CARD_DISTINCT_WINDOWS,
  DAY_MS,
  FEATURE_NAMES,
  HOUR_MS,
  IMPOSSIBLE_TRAVEL_SECONDS,
  LINK_WINDOWS,
  NIGHT_END_HOUR_UTC,
  PROFILE_WINDOW,
  RISK_ENTITIES,
  RISK_WINDOWS,
  requireFeatureIndex,
  VELOCITY_WINDOWS,
} from './definitions.ts';

/*
 * The pure feature computation, shared by every store and the backfill. A store hands over
 * the entity histories as flat numeric rows (in the order it applied them); this module
 * decides which rows are in which window and aggregates them. Nothing here does I/O.
 *
 * Point-in-time rule (issue #3: "a transaction's features describe the state before the
 * transaction is applied, so it never sees itself"): an event e counts for transaction x
 * only if e PRECEDES x in event time, with ties broken by a hash of the transaction id:
 *   e ≺ x  ⟺  e.time < x.time  ∨  (e.time = x.time ∧ e.hash < x.hash)
 * and it lies in the exact window (x.time − w, x.time]. So x never sees itself, never sees an
 * event from its future that happened to arrive earlier, and a replay of x computes the same
 * vector as the first pass even though x is already in the state.
 */

/** Retention of the longest window each history needs (before adding the allowed lateness). */
export const CARD_HISTORY_MS = Math.max(VELOCITY_WINDOWS.at(-1)!.ms, PROFILE_WINDOW.ms);
export const CUSTOMER_HISTORY_MS = Math.max(VELOCITY_WINDOWS.at(-1)!.ms, PROFILE_WINDOW.ms);
export const LINK_HISTORY_MS = LINK_WINDOWS.at(-1)!.ms;
export const RISK_HISTORY_MS = RISK_WINDOWS.at(-1)!.ms;

/** Row layouts (flat `number` rows; a store keeps them in the order it applied them). */
export const CARD_STRIDE = 8; // time, hash, amount, merchant, device, ip, country, card_present
export const CUSTOMER_STRIDE = 5; // time, hash, amount, device, country
export const LINK_STRIDE = 3; // time, hash, card
/** Timelines (transactions of a merchant, category, device or IP): time, hash, sorted. */
export const TIMELINE_STRIDE = 2;

/** A transaction reduced to the numbers the computation needs (computed once per event). */
export interface TxPoint {
  time: number;
  hash: number;
  amount: number;
  merchant: number;
  device: number;
  ip: number;
  card: number;
  country: number;
  present: number;
}

export function newPoint(): TxPoint {
  return { time: 0, hash: 0, amount: 0, merchant: 0, device: 0, ip: 0, card: 0, country: 0, present: 0 };
}

export function toPoint(tx: Transaction, p: TxPoint = newPoint()): TxPoint {
  p.time = eventTime(tx.timestamp);
  p.hash = hash53(tx.transaction_id);
  p.amount = tx.amount;
  p.merchant = hash53(tx.merchant_id);
  p.device = hash53(tx.device_id);
  p.ip = hash53(tx.ip_address);
  p.card = hash53(tx.card_id);
  p.country = countryCode(tx.merchant_country);
  p.present = tx.card_present ? 1 : 0;
  return p;
}

/** Writes p's card row at out[at, at + CARD_STRIDE). */
export function writeCardRow(p: TxPoint, out: Float64Array, at: number): void {
  out[at] = p.time;
  out[at + 1] = p.hash;
  out[at + 2] = p.amount;
  out[at + 3] = p.merchant;
  out[at + 4] = p.device;
  out[at + 5] = p.ip;
  out[at + 6] = p.country;
  out[at + 7] = p.present;
}
/** Writes p's customer row at out[at, at + CUSTOMER_STRIDE). */
export function writeCustomerRow(p: TxPoint, out: Float64Array, at: number): void {
  out[at] = p.time;
  out[at + 1] = p.hash;
  out[at + 2] = p.amount;
  out[at + 3] = p.device;
  out[at + 4] = p.country;
}
export function writeLinkRow(p: TxPoint, out: number[]): void {
  out.push(p.time, p.hash, p.card);
}

/** True if the event (time, hash) precedes x. */
export function precedes(time: number, hash: number, x: TxPoint): boolean {
  return time < x.time || (time === x.time && hash < x.hash);
}

// ---------------------------------------------------------------------------------------
// Vector positions, resolved by name once at load so reordering the catalogue is safe.

const I_CARD_COUNT = VELOCITY_WINDOWS.map((win) => requireFeatureIndex(`card_count_${win.label}`));
const I_CARD_SUM = VELOCITY_WINDOWS.map((win) => requireFeatureIndex(`card_amount_sum_${win.label}`));
const I_CUST_COUNT = VELOCITY_WINDOWS.map((win) => requireFeatureIndex(`customer_count_${win.label}`));
const I_CUST_SUM = VELOCITY_WINDOWS.map((win) => requireFeatureIndex(`customer_amount_sum_${win.label}`));
const VEL_MS = VELOCITY_WINDOWS.map((win) => win.ms);
const NV = VEL_MS.length;
const I_DISTINCT = CARD_DISTINCT_WINDOWS.map((win) => [
  requireFeatureIndex(`card_distinct_merchants_${win.label}`),
  requireFeatureIndex(`card_distinct_devices_${win.label}`),
  requireFeatureIndex(`card_distinct_countries_${win.label}`),
  requireFeatureIndex(`card_distinct_ips_${win.label}`),
]);
const DISTINCT_MS = CARD_DISTINCT_WINDOWS.map((win) => win.ms);
const DISTINCT_MS_MAX = Math.max(...DISTINCT_MS);
const I_DEVICE_CARDS = LINK_WINDOWS.map((win) => requireFeatureIndex(`device_distinct_cards_${win.label}`));
const I_IP_CARDS = LINK_WINDOWS.map((win) => requireFeatureIndex(`ip_distinct_cards_${win.label}`));
const LINK_MS = LINK_WINDOWS.map((win) => win.ms);
const I_RATIO = requireFeatureIndex('customer_amount_ratio_to_mean_30d');
const I_ZSCORE = requireFeatureIndex('customer_amount_zscore_30d');
const I_SINCE = requireFeatureIndex('card_seconds_since_previous');
const I_NEW_DEVICE = requireFeatureIndex('customer_new_device');
const I_NEW_MERCHANT = requireFeatureIndex('card_new_merchant');
const I_COUNTRY_MISMATCH = requireFeatureIndex('customer_country_mismatch');
const I_COUNTRY_CHANGED = requireFeatureIndex('card_country_changed');
const I_TRAVEL = requireFeatureIndex('card_impossible_travel');
const I_HOUR = requireFeatureIndex('hour_of_day');
const I_NIGHT = requireFeatureIndex('is_night');
const I_WEEKEND = requireFeatureIndex('is_weekend');
const I_PRESENT = requireFeatureIndex('card_present');
const I_AMOUNT = requireFeatureIndex('amount');
/** [entity][window] → [rate index, count index], entities in RISK_ENTITIES order. */
const I_RISK = RISK_ENTITIES.map((r) =>
  RISK_WINDOWS.map((win) => [
    requireFeatureIndex(`${r.prefix}_fraud_rate_${win.label}`),
    requireFeatureIndex(`${r.prefix}_fraud_count_${win.label}`),
  ]),
);
export const RISK_WINDOW_MS: readonly number[] = RISK_WINDOWS.map((win) => win.ms);
const PROFILE_MS = PROFILE_WINDOW.ms;

export const FEATURE_COUNT = FEATURE_NAMES.length;

// Scratch buffers reused across calls: the computation is synchronous, so sharing is safe.
let scratchA: Float64Array = new Float64Array(256);
const velCounts = new Float64Array(NV);
const velSums = new Float64Array(NV);
const distinctScratch: Float64Array[] = [];
for (let k = 0; k < 8; k++) distinctScratch.push(new Float64Array(64));
const distinctLen = new Int32Array(8);
const countryCounts = new Int32Array(ISO_3166_ALPHA2.length + 1);
const countryTouched = new Int32Array(1024);

function pushDistinct(slot: number, v: number): void {
  let buf = distinctScratch[slot]!;
  const n = distinctLen[slot]!;
  if (n === buf.length) {
    const bigger = new Float64Array(n * 2);
    bigger.set(buf);
    distinctScratch[slot] = bigger;
    buf = bigger;
  }
  buf[n] = v;
  distinctLen[slot] = n + 1;
}

// Open-addressing set for distinct counts: slots stamped with a generation number, so
// "clearing" it between counts is one increment instead of a fill.
let setKeys = new Float64Array(1024);
let setStamp = new Uint32Array(1024);
let generation = 0;

function distinctCount(buf: Float64Array, n: number): number {
  if (n < 2) return n;
  if (n <= 8) {
    let d = 0;
    outer: for (let i = 0; i < n; i++) {
      const v = buf[i]!;
      for (let j = 0; j < i; j++) if (buf[j] === v) continue outer;
      d++;
    }
    return d;
  }
  if (n * 2 > setKeys.length) {
    let size = setKeys.length;
    while (n * 2 > size) size *= 2;
    setKeys = new Float64Array(size);
    setStamp = new Uint32Array(size);
    generation = 0;
  }
  if (++generation === 0xffffffff) {
    setStamp.fill(0);
    generation = 1;
  }
  const mask = setKeys.length - 1;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const v = buf[i]!;
    // Values are 53-bit hashes (or small codes): the low 32 bits spread well.
    let slot = (v % 4294967296) & mask;
    while (setStamp[slot] === generation) {
      if (setKeys[slot] === v) break;
      slot = (slot + 1) & mask;
    }
    if (setStamp[slot] !== generation) {
      setStamp[slot] = generation;
      setKeys[slot] = v;
      d++;
    }
  }
  return d;
}

/**
 * Card features from the card's rows (CARD_STRIDE, any order). Returns true if x itself is
 * among the rows, i.e. it was already applied (the idempotency check of the memory store).
 */
export function computeCard(
  x: TxPoint,
  rows: ArrayLike<number>,
  from: number,
  to: number,
  out: Float64Array,
): boolean {
  let self = false;
  const counts = velCounts.fill(0);
  const sums = velSums.fill(0);
  for (let k = 0; k < 8; k++) distinctLen[k] = 0;
  let prevTime = Number.NEGATIVE_INFINITY;
  let prevHash = 0;
  let prevCountry = -1;
  let prevPresent = 0;
  let seenMerchant = false;
  let any = false;
  const t = x.time;
  for (let i = from; i < to; i += CARD_STRIDE) {
    const et = rows[i]!;
    const eh = rows[i + 1]!;
    if (et === t && eh === x.hash) {
      self = true;
      continue;
    }
    if (!(et < t || (et === t && eh < x.hash))) continue;
    const age = t - et;
    if (age >= PROFILE_MS) continue;
    any = true;
    const amount = rows[i + 2]!;
    // Windows are nested (ascending lengths): the row is in every window from the first that
    // holds it. Each sum still receives its rows in row order, so results are unchanged.
    let k0 = 0;
    while (age >= VEL_MS[k0]!) k0++;
    for (let k = k0; k < NV; k++) {
      counts[k]!++;
      sums[k]! += amount;
    }
    const merchant = rows[i + 3]!;
    if (merchant === x.merchant) seenMerchant = true;
    if (age < DISTINCT_MS_MAX) {
      for (let k = 0; k < DISTINCT_MS.length; k++) {
        if (age < DISTINCT_MS[k]!) {
          pushDistinct(k * 4, merchant);
          pushDistinct(k * 4 + 1, rows[i + 4]!);
          pushDistinct(k * 4 + 2, rows[i + 6]!);
          pushDistinct(k * 4 + 3, rows[i + 5]!);
        }
      }
    }
    if (et > prevTime || (et === prevTime && eh > prevHash)) {
      prevTime = et;
      prevHash = eh;
      prevCountry = rows[i + 6]!;
      prevPresent = rows[i + 7]!;
    }
  }
  for (let k = 0; k < NV; k++) {
    out[I_CARD_COUNT[k]!] = counts[k]!;
    out[I_CARD_SUM[k]!] = sums[k]!;
  }
  for (let k = 0; k < DISTINCT_MS.length; k++) {
    const idx = I_DISTINCT[k]!;
    for (let f = 0; f < 4; f++)
      out[idx[f]!] = distinctCount(distinctScratch[k * 4 + f]!, distinctLen[k * 4 + f]!);
  }
  if (any) {
    const since = (t - prevTime) / 1000;
    out[I_SINCE] = since;
    out[I_NEW_MERCHANT] = seenMerchant ? 0 : 1;
    out[I_COUNTRY_CHANGED] = prevCountry === x.country ? 0 : 1;
    out[I_TRAVEL] =
      prevCountry !== x.country && prevPresent === 1 && x.present === 1 && since < IMPOSSIBLE_TRAVEL_SECONDS
        ? 1
        : 0;
  } else {
    out[I_SINCE] = Number.NaN;
    out[I_NEW_MERCHANT] = Number.NaN;
    out[I_COUNTRY_CHANGED] = Number.NaN;
    out[I_TRAVEL] = Number.NaN;
  }
  return self;
}

/** Customer features from the customer's rows (CUSTOMER_STRIDE, any order). */
export function computeCustomer(
  x: TxPoint,
  rows: ArrayLike<number>,
  from: number,
  to: number,
  out: Float64Array,
): void {
  const counts = velCounts.fill(0);
  const sums = velSums.fill(0);
  let n30 = 0;
  let seenDevice = false;
  let touched = 0;
  const t = x.time;
  for (let i = from; i < to; i += CUSTOMER_STRIDE) {
    const et = rows[i]!;
    const eh = rows[i + 1]!;
    if (!(et < t || (et === t && eh < x.hash))) continue;
    const age = t - et;
    if (age >= PROFILE_MS) continue;
    const amount = rows[i + 2]!;
    let k0 = 0;
    while (age >= VEL_MS[k0]!) k0++;
    for (let k = k0; k < NV; k++) {
      counts[k]!++;
      sums[k]! += amount;
    }
    if (n30 === scratchA.length) {
      const bigger = new Float64Array(n30 * 2);
      bigger.set(scratchA);
      scratchA = bigger;
    }
    scratchA[n30++] = amount;
    if (rows[i + 3] === x.device) seenDevice = true;
    const c = rows[i + 4]! + 1; // -1 (unknown) maps to slot 0
    if (countryCounts[c] === 0 && touched < countryTouched.length) countryTouched[touched++] = c;
    countryCounts[c]!++;
  }
  for (let k = 0; k < NV; k++) {
    out[I_CUST_COUNT[k]!] = counts[k]!;
    out[I_CUST_SUM[k]!] = sums[k]!;
  }
  if (n30 === 0) {
    out[I_RATIO] = Number.NaN;
    out[I_ZSCORE] = Number.NaN;
    out[I_NEW_DEVICE] = Number.NaN;
    out[I_COUNTRY_MISMATCH] = Number.NaN;
    return;
  }
  // Two passes over the window (mean, then squared deviations): stable, and the same
  // sequence of floating-point operations in every store, so results are bit-identical.
  let s = 0;
  for (let i = 0; i < n30; i++) s += scratchA[i]!;
  const mean = s / n30;
  let ss = 0;
  for (let i = 0; i < n30; i++) {
    const d = scratchA[i]! - mean;
    ss += d * d;
  }
  const std = Math.sqrt(ss / n30);
  out[I_RATIO] = x.amount / mean;
  out[I_ZSCORE] = n30 >= 2 && std > 0 ? (x.amount - mean) / std : Number.NaN;
  out[I_NEW_DEVICE] = seenDevice ? 0 : 1;
  // Usual country: the most frequent; ties go to the smaller code (alphabetical ISO order).
  let best = -1;
  let bestCount = 0;
  for (let k = 0; k < touched; k++) {
    const c = countryTouched[k]!;
    const n = countryCounts[c]!;
    if (n > bestCount || (n === bestCount && c < best)) {
      best = c;
      bestCount = n;
    }
    countryCounts[c] = 0;
  }
  if (touched === countryTouched.length) countryCounts.fill(0);
  out[I_COUNTRY_MISMATCH] = best - 1 === x.country ? 0 : 1;
}

/** Distinct cards seen on a device (`kind` 0) or IP (`kind` 1), from LINK_STRIDE rows. */
export function computeLinks(
  x: TxPoint,
  kind: 0 | 1,
  rows: ArrayLike<number>,
  from: number,
  to: number,
  out: Float64Array,
): void {
  for (let k = 0; k < LINK_MS.length; k++) distinctLen[k] = 0;
  const t = x.time;
  for (let i = from; i < to; i += LINK_STRIDE) {
    const et = rows[i]!;
    const eh = rows[i + 1]!;
    if (!(et < t || (et === t && eh < x.hash))) continue;
    const age = t - et;
    for (let k = 0; k < LINK_MS.length; k++) if (age < LINK_MS[k]!) pushDistinct(k, rows[i + 2]!);
  }
  const idx = kind === 0 ? I_DEVICE_CARDS : I_IP_CARDS;
  for (let k = 0; k < LINK_MS.length; k++) out[idx[k]!] = distinctCount(distinctScratch[k]!, distinctLen[k]!);
}

/**
 * Label-delayed risk of one entity (`entity` = position in RISK_ENTITIES), from counts the
 * store computed for each RISK_WINDOWS[k] (offset + k: transactions of the entity preceding
 * x in the window; offset + 3 + k: its fraud labels with `labeled_at` in (t − w, t]). This
 * is the card schemes' chargeback ratio: frauds reported in the period over transactions in
 * the period. A label counts only from its `labeled_at`, however early it was delivered.
 */
export function computeRisk(
  entity: number,
  counts: ArrayLike<number>,
  offset: number,
  out: Float64Array,
): void {
  const idx = I_RISK[entity]!;
  for (let k = 0; k < 3; k++) {
    const n = counts[offset + k]!;
    const f = counts[offset + 3 + k]!;
    out[idx[k]![0]!] = n > 0 ? f / n : Number.NaN;
    out[idx[k]![1]!] = f;
  }
}

/** Features of the transaction itself. */
export function computeContext(x: TxPoint, out: Float64Array): void {
  const day = Math.floor(x.time / DAY_MS);
  const hour = Math.floor((x.time - day * DAY_MS) / HOUR_MS);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  out[I_HOUR] = hour;
  out[I_NIGHT] = hour < NIGHT_END_HOUR_UTC ? 1 : 0;
  out[I_WEEKEND] = weekday === 0 || weekday === 6 ? 1 : 0;
  out[I_PRESENT] = x.present;
  out[I_AMOUNT] = x.amount;
}
