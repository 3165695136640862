import type { DecisionFacts } from '../decision/types.ts';

/**
 * What a rule condition can read. Every path is namespaced so that a transaction field, a
 * feature and a graph signal can never be confused (the feature catalogue may well have a
 * feature named like a transaction field):
 *
 *   tx.<field>        a field of the `transactions` contract, plus `tx.hour_utc` (0–23)
 *   feature.<name>    a feature of the catalogue (`FEATURE_NAMES`), NaN = null
 *   model.score       the champion model probability, null when there is no model
 *   graph.<signal>    a graph signal, null when unknown or when the graph is missing/stale
 */
export type ValueType = 'number' | 'string' | 'boolean';
export type Namespace = 'tx' | 'feature' | 'model' | 'graph';
export type Scalar = number | string | boolean | null;

/** Evaluation context: the facts plus what the policy adds once per decision. */
export interface EvalContext {
  readonly facts: DecisionFacts;
  /** Flattened from `facts`: one property load fewer on every leaf of every rule. */
  readonly tx: DecisionFacts['transaction'];
  readonly features: Float64Array;
  readonly model: number | null;
  readonly graph: DecisionFacts['graph'];
  /**
   * The graph signals the rule set reads, in slot order (NaN = null or missing), read once per
   * decision: a `graph[name]` per leaf would be a megamorphic keyed load on every rule.
   */
  readonly graphValues: Float64Array;
  /** Memo of list lookups, so a list read by many rules is looked up once per decision. */
  readonly listMemo: Int8Array;
  /** Epoch ms used for list expiry. */
  readonly now: number;
}

/**
 * Per-policy scratch buffers reused by every decision. Safe because a decision is synchronous
 * and nothing keeps the context after it returns (hits copy the values they record).
 */
export interface EvalScratch {
  readonly graphValues: Float64Array;
  /** Memo of list lookups per (kind, entity): 0 unknown, 1 absent, 2 present. */
  readonly listMemo: Int8Array;
}

export function evalScratch(graphSlots: number): EvalScratch {
  return { graphValues: new Float64Array(graphSlots), listMemo: new Int8Array(LIST_MEMO_SIZE) };
}

/** Two kinds × six entities. */
export const LIST_MEMO_SIZE = 12;

export function evalContext(
  facts: DecisionFacts,
  now: number,
  graphSlots: readonly string[] = [],
  scratch: EvalScratch = evalScratch(graphSlots.length),
): EvalContext {
  const graphValues = scratch.graphValues;
  if (graphSlots.length > 0) {
    const g = facts.graph;
    for (let i = 0; i < graphSlots.length; i++) {
      const v = g === undefined ? undefined : g[graphSlots[i]!];
      graphValues[i] = typeof v === 'number' ? v : Number.NaN;
    }
  }
  scratch.listMemo.fill(0);
  return {
    facts,
    tx: facts.transaction,
    features: facts.features,
    model: facts.modelScore,
    graph: facts.graph,
    graphValues,
    listMemo: scratch.listMemo,
    now,
  };
}

/** A graph signal reference reading slot `slot` of `EvalContext.graphValues`. */
export function graphSlotRef(path: string, name: string, slot: number): FieldRef {
  return {
    path,
    graphSlot: slot,
    ns: 'graph',
    name,
    type: 'number',
    num: (c) => c.graphValues[slot]!,
    get: (c) => {
      const v = c.graphValues[slot]!;
      return Number.isNaN(v) ? null : v;
    },
    missing: (c) => c.graph === undefined,
  };
}

export interface FieldRef {
  readonly path: string;
  /** Index in the feature vector, for `feature.*` (the compiler inlines the read). */
  readonly index?: number;
  /** Slot in `EvalContext.graphValues`, for `graph.*` (the compiler inlines the read). */
  readonly graphSlot?: number;
  readonly ns: Namespace;
  readonly name: string;
  readonly type: ValueType;
  /** Numeric accessor (NaN = null); only for `type === 'number'`. */
  readonly num: (c: EvalContext) => number;
  /** Generic accessor, for values recorded on a hit and for string/boolean comparisons. */
  readonly get: (c: EvalContext) => Scalar;
  /** True when the whole source is unavailable (no model, graph missing, feature NaN). */
  readonly missing: (c: EvalContext) => boolean;
}

/** Transaction fields and their types, from the `transactions` contract. */
export const TX_FIELDS: Readonly<Record<string, ValueType>> = Object.freeze({
  transaction_id: 'string',
  timestamp: 'string',
  amount: 'number',
  currency: 'string',
  card_id: 'string',
  merchant_id: 'string',
  merchant_category: 'string',
  customer_id: 'string',
  merchant_country: 'string',
  card_present: 'boolean',
  device_id: 'string',
  ip_address: 'string',
  status: 'string',
  // Derived: the UTC hour of the event time (night-time activity is a classic signal).
  hour_utc: 'number',
});

export type ResolveResult =
  | { ok: true; ref: FieldRef }
  | { ok: false; unknownFeature: boolean; message: string };

export interface Catalogue {
  readonly featureNames: readonly string[];
  /** Known graph signal names; `null` accepts any `graph.*` name (catalogue not published yet). */
  readonly graphSignals: readonly string[] | null;
}

function txRef(path: string, name: string, type: ValueType): FieldRef {
  const never = () => false;
  if (name === 'hour_utc') {
    // "2025-01-29T12:00:00Z": the contract pins UTC, so the hour is characters 11–12.
    const num = (c: EvalContext) => {
      const ts = c.tx.timestamp;
      return (ts.charCodeAt(11) - 48) * 10 + (ts.charCodeAt(12) - 48);
    };
    return { path, ns: 'tx', name, type, num, get: num, missing: never };
  }
  const read = TX_GETTERS[name as keyof typeof TX_GETTERS]!;
  if (type === 'number') {
    // `amount` is the only numeric field of the contract.
    const num = (c: EvalContext) => c.tx.amount;
    return { path, ns: 'tx', name, type, num, get: num, missing: never };
  }
  return { path, ns: 'tx', name, type, num: () => Number.NaN, get: (c) => read(c.tx), missing: never };
}

type Tx = DecisionFacts['transaction'];
/**
 * One getter per field, each a literal property access: a shared `tx[name]` would be a
 * megamorphic keyed load on the hot path of every rule.
 */
export const TX_GETTERS: Readonly<Record<Exclude<keyof typeof TX_FIELDS, 'hour_utc'>, (tx: Tx) => Scalar>> =
  Object.freeze({
    transaction_id: (t: Tx) => t.transaction_id,
    timestamp: (t: Tx) => t.timestamp,
    amount: (t: Tx) => t.amount,
    currency: (t: Tx) => t.currency,
    card_id: (t: Tx) => t.card_id,
    merchant_id: (t: Tx) => t.merchant_id,
    merchant_category: (t: Tx) => t.merchant_category,
    customer_id: (t: Tx) => t.customer_id,
    merchant_country: (t: Tx) => t.merchant_country,
    card_present: (t: Tx) => t.card_present,
    device_id: (t: Tx) => t.device_id,
    ip_address: (t: Tx) => t.ip_address,
    status: (t: Tx) => t.status,
  });

/** Resolves a dotted path against the transaction contract and the catalogues. */
export function resolveField(path: string, catalogue: Catalogue): ResolveResult {
  const dot = path.indexOf('.');
  const ns = dot < 0 ? '' : path.slice(0, dot);
  const name = dot < 0 ? path : path.slice(dot + 1);
  switch (ns) {
    case 'tx': {
      const type = TX_FIELDS[name];
      if (!type) {
        return {
          ok: false,
          unknownFeature: true,
          message: `unknown transaction field '${path}'${suggest(name, Object.keys(TX_FIELDS), 'tx.')}`,
        };
      }
      return { ok: true, ref: txRef(path, name, type) };
    }
    case 'feature': {
      const index = catalogue.featureNames.indexOf(name);
      if (index < 0) {
        return {
          ok: false,
          unknownFeature: true,
          message: `unknown feature '${name}'${suggest(name, catalogue.featureNames, 'feature.')}`,
        };
      }
      const num = (c: EvalContext) => c.features[index]!;
      return {
        ok: true,
        ref: {
          path,
          index,
          ns: 'feature',
          name,
          type: 'number',
          num,
          get: (c) => {
            const v = c.features[index]!;
            return Number.isNaN(v) ? null : v;
          },
          missing: (c) => Number.isNaN(c.features[index]!),
        },
      };
    }
    case 'model': {
      if (name !== 'score') {
        return {
          ok: false,
          unknownFeature: true,
          message: `unknown model field '${path}' (only 'model.score')`,
        };
      }
      return {
        ok: true,
        ref: {
          path,
          ns: 'model',
          name,
          type: 'number',
          num: (c) => c.model ?? Number.NaN,
          get: (c) => c.model,
          missing: (c) => c.model === null,
        },
      };
    }
    case 'graph': {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) {
        return {
          ok: false,
          unknownFeature: false,
          message: `graph signal name '${name}' must be snake_case`,
        };
      }
      if (catalogue.graphSignals && !catalogue.graphSignals.includes(name)) {
        return {
          ok: false,
          unknownFeature: true,
          message: `unknown graph signal '${name}'${suggest(name, catalogue.graphSignals, 'graph.')}`,
        };
      }
      return {
        ok: true,
        ref: {
          path,
          ns: 'graph',
          name,
          type: 'number',
          num: (c) => c.graph?.[name] ?? Number.NaN,
          get: (c) => c.graph?.[name] ?? null,
          missing: (c) => c.graph === undefined,
        },
      };
    }
    default:
      return {
        ok: false,
        unknownFeature: ns === '' && catalogue.featureNames.includes(path),
        message:
          `'${path}' is not a field: use tx.<field>, feature.<name>, model.score or graph.<signal>` +
          (catalogue.featureNames.includes(path) ? ` (did you mean 'feature.${path}'?)` : '') +
          (TX_FIELDS[path] ? ` (did you mean 'tx.${path}'?)` : ''),
      };
  }
}

/** " (did you mean 'feature.x'?)" for the closest known name, when it is close enough. */
function suggest(name: string, known: readonly string[], prefix: string): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name, k, bestDistance);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean '${prefix}${best}'?)`;
}

/** Levenshtein distance, abandoning early once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= limit) return limit;
    prev = cur;
  }
  return prev[b.length]!;
}
