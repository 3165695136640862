import { createHash } from 'node:crypto';
import { LIST_ENTITIES, type ListLookup, ListStore } from '../lists/index.ts';
import {
  type Catalogue,
  type EvalContext,
  type FieldRef,
  graphSlotRef,
  resolveField,
  type Scalar,
  TX_GETTERS,
} from './fields.ts';
import type { Condition, Literal, Operand, RuleSetSpec, RuleSpec } from './spec.ts';

/**
 * Conditions compile once into closures: no `eval`, no `new Function`, no interpretation of
 * the tree per transaction. Logic is three-valued (Kleene, as in SQL): a comparison with a
 * null value is UNKNOWN, `not UNKNOWN` stays UNKNOWN, and a rule fires only on TRUE. So a
 * card with no history never trips `not: { feature.x: { gte: 5 } }` by accident; rules that
 * mean "missing" say so with `is_null` / `is_missing`.
 */
export const F = 0;
export const T = 1;
export const U = 2;
export type Tri = 0 | 1 | 2;
export type Predicate = (c: EvalContext) => Tri;

export interface CompiledRule {
  readonly spec: RuleSpec;
  readonly test: Predicate;
  /** The fields the rule reads, recorded on a hit ("the values that made it fire"). */
  readonly reads: readonly FieldRef[];
  /** The rule reads at least one graph signal. */
  readonly usesGraph: boolean;
  /** A numeric condition the rule cannot fire without (see `GateTable`), if it has one. */
  readonly gate: Gate | null;
}

/**
 * A rule's gate: one numeric comparison with a constant that must hold for the rule to fire
 * (the rule's whole condition, or a member of its top-level `all`). Under three-valued logic a
 * FALSE or UNKNOWN gate means the rule cannot fire, so the policy tests every gate in one tight
 * loop over typed arrays — no calls — and runs the rule's closures only when its gate holds.
 * Most rules fail on their first condition, so most never cost a call.
 */
export interface Gate {
  /** 1 feature, 2 graph slot, 3 model score, 4 tx.amount. */
  readonly src: number;
  readonly idx: number;
  /** 0 lt, 1 lte, 2 gt, 3 gte, 4 eq, 5 ne, 6 between [a, b]. */
  readonly op: number;
  readonly a: number;
  readonly b: number;
}

/** The gates of a rule list, column-wise; `src[i] === 0` means rule i has no gate. */
export interface GateTable {
  readonly src: Int8Array;
  readonly idx: Int32Array;
  readonly op: Int8Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
}

const GATE_OPS: Readonly<Record<string, number>> = { lt: 0, lte: 1, gt: 2, gte: 3, eq: 4, ne: 5 };

function gateTable(rules: readonly CompiledRule[]): GateTable {
  const t = {
    src: new Int8Array(rules.length),
    idx: new Int32Array(rules.length),
    op: new Int8Array(rules.length),
    a: new Float64Array(rules.length),
    b: new Float64Array(rules.length),
  };
  rules.forEach((r, i) => {
    if (!r.gate) return;
    t.src[i] = r.gate.src;
    t.idx[i] = r.gate.idx;
    t.op[i] = r.gate.op;
    t.a[i] = r.gate.a;
    t.b[i] = r.gate.b;
  });
  return t;
}

export interface CompiledRuleSet {
  readonly spec: RuleSetSpec;
  /** `<label>+<first 12 hex of the content hash>`. */
  readonly version: string;
  readonly hash: string;
  /** Enabled, live rules: priority descending, then file order. */
  readonly live: readonly CompiledRule[];
  /** Enabled shadow rules (all rules when the set is in shadow). */
  readonly shadow: readonly CompiledRule[];
  /** Graph signals the set reads, in `EvalContext.graphValues` order. */
  readonly graphSlots: readonly string[];
  readonly liveGates: GateTable;
  readonly shadowGates: GateTable;
}

/** Content hash of the normalised set: positions and formatting do not change the version. */
export function contentHash(spec: RuleSetSpec): string {
  const canonical = JSON.stringify(spec, (k, v) => (k === 'pos' ? undefined : v));
  return createHash('sha256').update(canonical).digest('hex');
}

export function compileRuleSet(spec: RuleSetSpec, catalogue: Catalogue, lists: ListLookup): CompiledRuleSet {
  const graphSlots = new Map<string, number>();
  const ref = (path: string): FieldRef => {
    const r = resolveField(path, catalogue);
    // parseRuleSet resolved every path against the same catalogue; failing here is a bug.
    if (!r.ok) throw new Error(`rule compiler: unresolved field '${path}' (${r.message})`);
    if (r.ref.ns !== 'graph') return r.ref;
    let slot = graphSlots.get(r.ref.name);
    if (slot === undefined) {
      slot = graphSlots.size;
      graphSlots.set(r.ref.name, slot);
    }
    return graphSlotRef(path, r.ref.name, slot);
  };

  const compileRule = (rule: RuleSpec): CompiledRule => {
    const reads = new Map<string, FieldRef>();
    const use = (path: string) => {
      const f = ref(path);
      reads.set(path, f);
      return f;
    };
    const test = compileCondition(rule.when, use, lists);
    const all = [...reads.values()];
    return {
      spec: rule,
      test,
      reads: all,
      usesGraph: all.some((f) => f.ns === 'graph'),
      gate: findGate(rule.when, ref),
    };
  };

  const enabled = spec.rules
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.enabled)
    .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i)
    .map(({ r }) => compileRule(r));
  const hash = contentHash(spec);
  const live = spec.shadow ? [] : enabled.filter((r) => !r.spec.shadow);
  const shadow = spec.shadow ? enabled : enabled.filter((r) => r.spec.shadow);
  return {
    spec,
    hash,
    graphSlots: [...graphSlots.keys()],
    version: `${spec.label}+${hash.slice(0, 12)}`,
    live,
    shadow,
    liveGates: gateTable(live),
    shadowGates: gateTable(shadow),
  };
}

const ORDER = {
  lt: (a: number, b: number) => a < b,
  lte: (a: number, b: number) => a <= b,
  gt: (a: number, b: number) => a > b,
  gte: (a: number, b: number) => a >= b,
} as const;

function compileCondition(c: Condition, use: (path: string) => FieldRef, lists: ListLookup): Predicate {
  switch (c.op) {
    case 'all': {
      // all/any are associative under Kleene logic: flatten nested ones into one loop.
      const parts = flatten(c).map((x) => compileCondition(x, use, lists));
      if (parts.length === 2) {
        const [a, b] = parts as [Predicate, Predicate];
        return (ctx) => {
          const x = a(ctx);
          if (x === F) return F;
          const y = b(ctx);
          return y === F ? F : x === U || y === U ? U : T;
        };
      }
      return (ctx) => {
        let r: Tri = T;
        for (let i = 0; i < parts.length; i++) {
          const v = parts[i]!(ctx);
          if (v === F) return F;
          if (v === U) r = U;
        }
        return r;
      };
    }
    case 'any': {
      const parts = flatten(c).map((x) => compileCondition(x, use, lists));
      return (ctx) => {
        let r: Tri = F;
        for (let i = 0; i < parts.length; i++) {
          const v = parts[i]!(ctx);
          if (v === T) return T;
          if (v === U) r = U;
        }
        return r;
      };
    }
    case 'not': {
      const inner = compileCondition(c.of, use, lists);
      return (ctx) => {
        const v = inner(ctx);
        return v === U ? U : v === T ? F : T;
      };
    }
    case 'cmp':
      return compileComparison(c.cmp, use(c.field), c.value, use);
    case 'in':
    case 'not_in': {
      const f = use(c.field);
      const hit = c.op === 'in' ? T : F;
      const miss = c.op === 'in' ? F : T;
      if (f.type === 'number') {
        const set = new Set<Literal>(c.values);
        return (ctx) => {
          const v = f.num(ctx);
          return Number.isNaN(v) ? U : set.has(v) ? hit : miss;
        };
      }
      if (c.values.length <= 8) {
        // Short lists (countries, categories): a scan of a few short strings beats hashing.
        const values = c.values;
        return (ctx) => {
          const v = f.get(ctx);
          if (v === null) return U;
          for (let i = 0; i < values.length; i++) if (values[i] === v) return hit;
          return miss;
        };
      }
      const set = new Set<Literal>(c.values);
      return (ctx) => {
        const v = f.get(ctx);
        return v === null ? U : set.has(v) ? hit : miss;
      };
    }
    case 'between': {
      const f = use(c.field);
      const { low, high } = c;
      if (f.index !== undefined || f.graphSlot !== undefined) {
        const graph = f.graphSlot !== undefined;
        const i = (graph ? f.graphSlot : f.index)!;
        return (ctx) => {
          const v = (graph ? ctx.graphValues : ctx.features)[i]!;
          return Number.isNaN(v) ? U : v >= low && v <= high ? T : F;
        };
      }
      return (ctx) => {
        const v = f.num(ctx);
        return Number.isNaN(v) ? U : v >= low && v <= high ? T : F;
      };
    }
    case 'is_null': {
      const f = use(c.field);
      const want = c.value;
      return (ctx) => ((f.get(ctx) === null) === want ? T : F);
    }
    case 'is_missing': {
      const f = use(c.field);
      const want = c.value;
      return (ctx) => (f.missing(ctx) === want ? T : F);
    }
    case 'list': {
      const kind = c.kind;
      const getters = c.entities.map((e) => TX_GETTERS[ENTITY_GETTER[e]]);
      const memo = c.entities.map((e) => (kind === 'allow' ? 0 : 6) + LIST_ENTITIES.indexOf(e));
      if (lists instanceof ListStore) {
        // The store keeps its tables for life (a reload refills them), so bind them now.
        const tables = c.entities.map((e) => lists.table(kind, e));
        return (ctx) => {
          for (let i = 0; i < tables.length; i++) {
            const m = memo[i]!;
            let known = ctx.listMemo[m]!;
            if (known === 0) {
              const slot = tables[i]!.get(getters[i]!(ctx.tx) as string);
              known = slot !== undefined && slot.expiresAt > ctx.now ? 2 : 1;
              ctx.listMemo[m] = known;
            }
            if (known === 2) return T;
          }
          return F;
        };
      }
      const entities = c.entities;
      return (ctx) => {
        for (let i = 0; i < entities.length; i++) {
          if (lists.find(kind, entities[i]!, getters[i]!(ctx.tx) as string, ctx.now) !== undefined) return T;
        }
        return F;
      };
    }
  }
}

function findGate(c: Condition, ref: (path: string) => FieldRef): Gate | null {
  if (c.op === 'all') {
    for (const child of flatten(c)) {
      const g = findGate(child, ref);
      if (g) return g;
    }
    return null;
  }
  if (c.op !== 'cmp' && c.op !== 'between') return null;
  if (c.op === 'cmp' && !('const' in c.value && typeof c.value.const === 'number')) return null;
  const f = ref(c.field);
  const src =
    f.index !== undefined
      ? 1
      : f.graphSlot !== undefined
        ? 2
        : f.ns === 'model'
          ? 3
          : f.path === 'tx.amount'
            ? 4
            : 0;
  if (src === 0) return null;
  const idx = f.index ?? f.graphSlot ?? 0;
  if (c.op === 'between') return { src, idx, op: 6, a: c.low, b: c.high };
  return { src, idx, op: GATE_OPS[c.cmp]!, a: (c.value as { const: number }).const, b: 0 };
}

/** Whether rule `i`'s gate lets it through (TRUE), for rules that have one. */
export function gateOpen(g: GateTable, i: number, ctx: EvalContext): boolean {
  const src = g.src[i]!;
  if (src === 0) return true;
  let v: number;
  switch (src) {
    case 1:
      v = ctx.features[g.idx[i]!]!;
      break;
    case 2:
      v = ctx.graphValues[g.idx[i]!]!;
      break;
    case 3:
      v = ctx.model ?? Number.NaN;
      break;
    default:
      v = ctx.tx.amount;
  }
  // NaN = UNKNOWN: the rule cannot be TRUE, like FALSE.
  if (Number.isNaN(v)) return false;
  const a = g.a[i]!;
  switch (g.op[i]) {
    case 0:
      return v < a;
    case 1:
      return v <= a;
    case 2:
      return v > a;
    case 3:
      return v >= a;
    case 4:
      return v === a;
    case 5:
      return v !== a;
    default:
      return v >= a && v <= g.b[i]!;
  }
}

function flatten(c: Condition & { op: 'all' | 'any' }): Condition[] {
  return c.of.flatMap((x) => (x.op === c.op ? flatten(x as typeof c) : [x]));
}

const ENTITY_GETTER = {
  card: 'card_id',
  customer: 'customer_id',
  device: 'device_id',
  ip: 'ip_address',
  merchant: 'merchant_id',
  country: 'merchant_country',
} as const;

function compileComparison(
  cmp: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte',
  f: FieldRef,
  operand: Operand,
  use: (path: string) => FieldRef,
): Predicate {
  if ('const' in operand) {
    const k = operand.const;
    if (cmp === 'eq' || cmp === 'ne') {
      const eq = cmp === 'eq' ? T : F;
      const ne = cmp === 'eq' ? F : T;
      if (f.type === 'number') {
        return (ctx) => {
          const v = f.num(ctx);
          return Number.isNaN(v) ? U : v === k ? eq : ne;
        };
      }
      return (ctx) => {
        const v = f.get(ctx);
        return v === null ? U : v === k ? eq : ne;
      };
    }
    const k2 = k as number;
    if (f.index !== undefined || f.graphSlot !== undefined) {
      // Features and graph signals are most leaves: read the vector directly, not through the
      // accessor (a call per leaf that V8 cannot inline from a call site shared by all leaves).
      const graph = f.graphSlot !== undefined;
      const i = (graph ? f.graphSlot : f.index)!;
      switch (cmp) {
        case 'lt':
          return (ctx) => {
            const v = (graph ? ctx.graphValues : ctx.features)[i]!;
            return Number.isNaN(v) ? U : v < k2 ? T : F;
          };
        case 'lte':
          return (ctx) => {
            const v = (graph ? ctx.graphValues : ctx.features)[i]!;
            return Number.isNaN(v) ? U : v <= k2 ? T : F;
          };
        case 'gt':
          return (ctx) => {
            const v = (graph ? ctx.graphValues : ctx.features)[i]!;
            return Number.isNaN(v) ? U : v > k2 ? T : F;
          };
        case 'gte':
          return (ctx) => {
            const v = (graph ? ctx.graphValues : ctx.features)[i]!;
            return Number.isNaN(v) ? U : v >= k2 ? T : F;
          };
      }
    }
    // One closure per operator so the hot comparison is monomorphic.
    switch (cmp) {
      case 'lt':
        return (ctx) => {
          const v = f.num(ctx);
          return Number.isNaN(v) ? U : v < k2 ? T : F;
        };
      case 'lte':
        return (ctx) => {
          const v = f.num(ctx);
          return Number.isNaN(v) ? U : v <= k2 ? T : F;
        };
      case 'gt':
        return (ctx) => {
          const v = f.num(ctx);
          return Number.isNaN(v) ? U : v > k2 ? T : F;
        };
      case 'gte':
        return (ctx) => {
          const v = f.num(ctx);
          return Number.isNaN(v) ? U : v >= k2 ? T : F;
        };
    }
  }
  const g = use(operand.field);
  const { times, plus } = operand;
  if (f.type === 'number') {
    const test =
      cmp === 'eq'
        ? (a: number, b: number) => a === b
        : cmp === 'ne'
          ? (a: number, b: number) => a !== b
          : ORDER[cmp];
    return (ctx) => {
      const a = f.num(ctx);
      const b = g.num(ctx);
      return Number.isNaN(a) || Number.isNaN(b) ? U : test(a, b * times + plus) ? T : F;
    };
  }
  const want = cmp === 'eq';
  return (ctx) => {
    const a: Scalar = f.get(ctx);
    const b: Scalar = g.get(ctx);
    return a === null || b === null ? U : (a === b) === want ? T : F;
  };
}
