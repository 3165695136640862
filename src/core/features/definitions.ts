/**
 * The feature catalogue: ONE declarative definition of every real-time feature. The online
 * stores (memory, Redis), the offline backfill, the rules engine (index lookup by name), the
 * ML training set (CSV columns) and `docs/feature-catalogue.md` all derive from this table.
 *
 * Issue #3: "Declarative feature definitions in the core, each with a name, the entity key,
 * a window, an aggregation, a description and a version. The feature set version travels
 * with every enriched record and every model."
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The entity whose history a feature aggregates (`transaction` = the event itself). */
export type FeatureEntity =
  | 'card_id'
  | 'customer_id'
  | 'device_id'
  | 'ip_address'
  | 'merchant_id'
  | 'merchant_category'
  | 'transaction';

export type Aggregation =
  | 'count'
  | 'sum'
  | 'count_distinct'
  | 'ratio_to_mean'
  | 'zscore'
  | 'seconds_since_previous'
  | 'is_new'
  | 'differs'
  | 'impossible_travel'
  | 'hour_of_day'
  | 'flag'
  | 'value'
  | 'fraud_rate'
  | 'fraud_count';

export interface FeatureWindow {
  /** Label used in names and docs, e.g. `1h`. */
  readonly label: string;
  /** Length `w` of the exact sliding window `(t − w, t]`, in milliseconds. */
  readonly ms: number;
}

export interface FeatureDefinition {
  readonly name: string;
  readonly entity: FeatureEntity;
  /** Null for features of the transaction itself (hour of day, amount). */
  readonly window: FeatureWindow | null;
  readonly aggregation: Aggregation;
  readonly description: string;
  /** Bumped when the meaning of this one feature changes; part of `FEATURE_SET_VERSION`. */
  readonly version: number;
}

const w = (label: string, ms: number): FeatureWindow => Object.freeze({ label, ms });

/** Count and sum of amount per card and per customer (issue #3: 1 min … 30 d). */
export const VELOCITY_WINDOWS = [
  w('1m', MINUTE_MS),
  w('10m', 10 * MINUTE_MS),
  w('1h', HOUR_MS),
  w('24h', DAY_MS),
  w('7d', 7 * DAY_MS),
  w('30d', 30 * DAY_MS),
] as const;
/** Distinct merchants, devices, countries and IPs per card. */
export const CARD_DISTINCT_WINDOWS = [w('1h', HOUR_MS), w('24h', DAY_MS)] as const;
/** Distinct cards per device and per IP. */
export const LINK_WINDOWS = [w('24h', DAY_MS), w('7d', 7 * DAY_MS)] as const;
/** Label-delayed risk of merchants, categories, devices and IPs. */
export const RISK_WINDOWS = [w('1d', DAY_MS), w('7d', 7 * DAY_MS), w('28d', 28 * DAY_MS)] as const;
/** The customer's "usual" behaviour (mean, z-score, usual country, known devices) and "new merchant". */
export const PROFILE_WINDOW = w('30d', 30 * DAY_MS);
/**
 * A country change on a card faster than this between two card-present transactions is
 * treated as impossible travel. The contract carries no coordinates, only countries, so a
 * single conservative lower bound for an international trip (airport to airport) is used.
 */
export const IMPOSSIBLE_TRAVEL_SECONDS = 2 * 3600;
/** Hours (UTC) counted as night: [0, 6). The contract carries no local time zone. */
export const NIGHT_END_HOUR_UTC = 6;

export const CARD_DISTINCT_FIELDS = [
  { field: 'merchants', source: 'merchant_id' },
  { field: 'devices', source: 'device_id' },
  { field: 'countries', source: 'merchant_country' },
  { field: 'ips', source: 'ip_address' },
] as const;

export const RISK_ENTITIES = [
  { prefix: 'merchant', entity: 'merchant_id', noun: 'merchant' },
  { prefix: 'category', entity: 'merchant_category', noun: 'merchant category' },
  { prefix: 'device', entity: 'device_id', noun: 'device' },
  { prefix: 'ip', entity: 'ip_address', noun: 'IP address' },
] as const;

function build(): FeatureDefinition[] {
  const defs: FeatureDefinition[] = [];
  const add = (d: FeatureDefinition) => defs.push(Object.freeze(d));
  for (const [prefix, entity] of [
    ['card', 'card_id'],
    ['customer', 'customer_id'],
  ] as const) {
    for (const win of VELOCITY_WINDOWS) {
      add({
        name: `${prefix}_count_${win.label}`,
        entity,
        window: win,
        aggregation: 'count',
        description: `Number of earlier transactions of the ${prefix} in the last ${win.label}.`,
        version: 1,
      });
      add({
        name: `${prefix}_amount_sum_${win.label}`,
        entity,
        window: win,
        aggregation: 'sum',
        description: `Sum of the amounts of earlier transactions of the ${prefix} in the last ${win.label} (raw amounts, currency not converted).`,
        version: 1,
      });
    }
  }
  for (const win of CARD_DISTINCT_WINDOWS) {
    for (const f of CARD_DISTINCT_FIELDS) {
      add({
        name: `card_distinct_${f.field}_${win.label}`,
        entity: 'card_id',
        window: win,
        aggregation: 'count_distinct',
        description: `Distinct \`${f.source}\` values among the card's earlier transactions in the last ${win.label}.`,
        version: 1,
      });
    }
  }
  for (const [prefix, entity] of [
    ['device', 'device_id'],
    ['ip', 'ip_address'],
  ] as const) {
    for (const win of LINK_WINDOWS) {
      add({
        name: `${prefix}_distinct_cards_${win.label}`,
        entity,
        window: win,
        aggregation: 'count_distinct',
        description: `Distinct cards among earlier transactions from this ${prefix === 'ip' ? 'IP address' : 'device'} in the last ${win.label}.`,
        version: 1,
      });
    }
  }
  add({
    name: 'customer_amount_ratio_to_mean_30d',
    entity: 'customer_id',
    window: PROFILE_WINDOW,
    aggregation: 'ratio_to_mean',
    description:
      "Amount divided by the mean amount of the customer's earlier transactions in the last 30d; missing without history.",
    version: 1,
  });
  add({
    name: 'customer_amount_zscore_30d',
    entity: 'customer_id',
    window: PROFILE_WINDOW,
    aggregation: 'zscore',
    description:
      "(amount − mean) / population standard deviation of the customer's earlier amounts in the last 30d; missing with fewer than 2 earlier transactions or zero deviation.",
    version: 1,
  });
  add({
    name: 'card_seconds_since_previous',
    entity: 'card_id',
    window: PROFILE_WINDOW,
    aggregation: 'seconds_since_previous',
    description: "Seconds since the card's previous transaction (within 30d); missing if none.",
    version: 1,
  });
  add({
    name: 'customer_new_device',
    entity: 'customer_id',
    window: PROFILE_WINDOW,
    aggregation: 'is_new',
    description:
      "1 if the device was not used in the customer's earlier transactions of the last 30d, else 0; missing without history.",
    version: 1,
  });
  add({
    name: 'card_new_merchant',
    entity: 'card_id',
    window: PROFILE_WINDOW,
    aggregation: 'is_new',
    description:
      "1 if the merchant does not appear in the card's earlier transactions of the last 30d, else 0; missing without history.",
    version: 1,
  });
  add({
    name: 'customer_country_mismatch',
    entity: 'customer_id',
    window: PROFILE_WINDOW,
    aggregation: 'differs',
    description:
      "1 if `merchant_country` differs from the customer's usual country (most frequent over the last 30d; ties to the alphabetically first), else 0; missing without history.",
    version: 1,
  });
  add({
    name: 'card_country_changed',
    entity: 'card_id',
    window: PROFILE_WINDOW,
    aggregation: 'differs',
    description:
      "1 if `merchant_country` differs from the card's previous transaction (within 30d), else 0; missing if none.",
    version: 1,
  });
  add({
    name: 'card_impossible_travel',
    entity: 'card_id',
    window: PROFILE_WINDOW,
    aggregation: 'impossible_travel',
    description: `1 if this and the card's previous transaction are both card-present, in different countries, less than ${IMPOSSIBLE_TRAVEL_SECONDS / 3600}h apart, else 0; missing if no previous transaction within 30d.`,
    version: 1,
  });
  add({
    name: 'hour_of_day',
    entity: 'transaction',
    window: null,
    aggregation: 'hour_of_day',
    description: 'Hour of the event time, UTC (0–23).',
    version: 1,
  });
  add({
    name: 'is_night',
    entity: 'transaction',
    window: null,
    aggregation: 'flag',
    description: `1 if the hour (UTC) is before ${NIGHT_END_HOUR_UTC}:00, else 0.`,
    version: 1,
  });
  add({
    name: 'is_weekend',
    entity: 'transaction',
    window: null,
    aggregation: 'flag',
    description: '1 on Saturday or Sunday (UTC), else 0.',
    version: 1,
  });
  add({
    name: 'card_present',
    entity: 'transaction',
    window: null,
    aggregation: 'flag',
    description: '1 if the card was physically present, else 0.',
    version: 1,
  });
  add({
    name: 'amount',
    entity: 'transaction',
    window: null,
    aggregation: 'value',
    description: 'The transaction amount (in its own currency).',
    version: 1,
  });
  for (const r of RISK_ENTITIES) {
    for (const win of RISK_WINDOWS) {
      add({
        name: `${r.prefix}_fraud_rate_${win.label}`,
        entity: r.entity,
        window: win,
        aggregation: 'fraud_rate',
        description: `Fraud labels on the ${r.noun}'s transactions that became known in the last ${win.label} (\`labeled_at\` in (t − ${win.label}, t]) divided by the ${r.noun}'s earlier transactions in the same window — the chargeback ratio; missing if there were none.`,
        version: 1,
      });
      add({
        name: `${r.prefix}_fraud_count_${win.label}`,
        entity: r.entity,
        window: win,
        aggregation: 'fraud_count',
        description: `Fraud labels on the ${r.noun}'s transactions that became known in the last ${win.label} (\`labeled_at\` in (t − ${win.label}, t]; a label never counts before its \`labeled_at\`).`,
        version: 1,
      });
    }
  }
  return defs;
}

export const FEATURE_DEFINITIONS: readonly FeatureDefinition[] = Object.freeze(build());

/** Feature names in vector order. Rules compile against this (index lookup), models train on it. */
export const FEATURE_NAMES: readonly string[] = Object.freeze(FEATURE_DEFINITIONS.map((d) => d.name));

const INDEX = new Map(FEATURE_NAMES.map((n, i) => [n, i]));

/** Position of a feature in the vector, or -1 if there is no such feature. */
export function featureIndex(name: string): number {
  return INDEX.get(name) ?? -1;
}

/** Like `featureIndex` but throws: for code that must not run against a missing feature. */
export function requireFeatureIndex(name: string): number {
  const i = INDEX.get(name);
  if (i === undefined) throw new Error(`unknown feature '${name}'`);
  return i;
}

/** FNV-1a over the canonical JSON of the definitions: any change in meaning changes the version. */
function definitionsHash(): string {
  const canonical = JSON.stringify(
    FEATURE_DEFINITIONS.map((d) => [d.name, d.entity, d.window?.ms ?? null, d.aggregation, d.version]),
  ).concat(`|travel=${IMPOSSIBLE_TRAVEL_SECONDS}|night=${NIGHT_END_HOUR_UTC}`);
  let h = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) h = Math.imul(h ^ canonical.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Catalogue generation number; bump on a breaking reshuffle. */
export const FEATURE_SET_GENERATION = 1;

/**
 * `fs-<generation>-<hash of the definitions>`: recorded on every enriched record, score and
 * model, so a model is never served vectors of another shape or meaning.
 */
export const FEATURE_SET_VERSION = `fs-${FEATURE_SET_GENERATION}-${definitionsHash()}`;
