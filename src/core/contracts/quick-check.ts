import { MAX_FEATURE_VALUES } from './enriched.ts';
import { ISO_3166_ALPHA2, ISO_4217 } from './iso.ts';
import { parseUtcFast } from './time.ts';
import type { Transaction } from './transaction.ts';

/*
 * A quick accept-only check of the `transactions` contract, run before the contract validator
 * by the stream processor, the API and the backfill's reader thread. The validator (ajv) spends most of its ~3 µs per record in the
 * date-time and IP formats and in code-point length counting. This check accepts only records
 * in the plain shape every producer writes, and it is STRICTER than the contract everywhere
 * (fixed timestamp layouts, dotted-quad IPv4 only, UTF-16 lengths ≥ code-point lengths), so
 * whatever it accepts the contract accepts too. Everything else goes to the contract
 * validator, which gives the verdict and the error message. The result is therefore always
 * the contract's; tests/unit/contracts/quick-check.test.ts checks both the implication and
 * that the contract still has exactly the constraints assumed here.
 */

const CURRENCIES = new Set<string>(ISO_4217);
const COUNTRIES = new Set<string>(ISO_3166_ALPHA2);
const FIELD_COUNT = 13;

/** `^[A-Za-z0-9_.:@-]+$` with 1–128 characters. */
function isId(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  const n = s.length;
  if (n < 1 || n > 128) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (
      !(
        (c >= 97 && c <= 122) || // a-z
        (c >= 65 && c <= 90) || // A-Z
        (c >= 48 && c <= 58) || // 0-9 and ':'
        c === 95 || // _
        c === 46 || // .
        c === 64 || // @
        c === 45 // -
      )
    )
      return false;
  }
  return true;
}

/** Dotted-quad IPv4 as ajv-formats' `ipv4` accepts it (no leading zeros, octets ≤ 255). */
function isIpv4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let i = 0;
  while (i <= n) {
    let value = 0;
    let digits = 0;
    const first = i;
    while (i < n) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || value > 255) return false;
    if (digits > 1 && s.charCodeAt(first) === 48) return false;
    parts++;
    if (i === n) break;
    if (s.charCodeAt(i) !== 46 || parts === 4) return false;
    i++;
  }
  return parts === 4;
}

function isText(s: unknown, max: number): boolean {
  return typeof s === 'string' && s.length >= 1 && s.length <= max;
}

/** How many keys a plain JSON object has; -1 for anything else or one with inherited keys. */
function ownKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return -1;
  let keys = 0;
  for (const k in value) {
    if (!Object.hasOwn(value, k)) return -1;
    keys++;
  }
  return keys;
}

/** True only if `value` certainly satisfies the `transactions` contract (see above). */
export function quickAccept(value: unknown): value is Transaction {
  if (ownKeys(value) !== FIELD_COUNT) return false;
  const v = value as Record<string, unknown>;
  const amount = v['amount'];
  const timestamp = v['timestamp'];
  const country = v['merchant_country'];
  const currency = v['currency'];
  const ip = v['ip_address'];
  return (
    isId(v['transaction_id']) &&
    typeof timestamp === 'string' &&
    parseUtcFast(timestamp) >= 0 &&
    typeof amount === 'number' &&
    amount > 0 &&
    amount <= 1e12 &&
    typeof currency === 'string' &&
    CURRENCIES.has(currency) &&
    isId(v['card_id']) &&
    isId(v['merchant_id']) &&
    isText(v['merchant_category'], 64) &&
    isId(v['customer_id']) &&
    typeof country === 'string' &&
    COUNTRIES.has(country) &&
    typeof v['card_present'] === 'boolean' &&
    isId(v['device_id']) &&
    typeof ip === 'string' &&
    isIpv4(ip) &&
    isText(v['status'], 32)
  );
}

/**
 * The same for an `enriched-transactions` record (the graph service reads them): true only if
 * `value` certainly satisfies that contract. The envelope is checked exactly, the transaction
 * with `quickAccept`, and `enriched_at` with the strict timestamp layouts.
 */
export function quickAcceptEnriched(value: unknown): boolean {
  if (ownKeys(value) !== 4) return false;
  const v = value as Record<string, unknown>;
  const features = v['features'];
  const at = v['enriched_at'];
  if (
    typeof v['feature_set_version'] !== 'string' ||
    typeof at !== 'string' ||
    parseUtcFast(at) < 0 ||
    !quickAccept(v['transaction'])
  )
    return false;
  // Either form: a vector in catalogue order, or an object by name.
  if (Array.isArray(features)) {
    if (features.length > MAX_FEATURE_VALUES) return false;
    for (let i = 0; i < features.length; i++) if (!isFeatureValue(features[i])) return false;
    return true;
  }
  if (ownKeys(features) < 0) return false;
  const f = features as Record<string, unknown>;
  for (const k in f) if (!isFeatureValue(f[k])) return false;
  return true;
}

const isFeatureValue = (x: unknown): boolean => x === null || (typeof x === 'number' && Number.isFinite(x));
