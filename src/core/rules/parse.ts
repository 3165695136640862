import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { LIST_ENTITIES, type ListEntity, type ListKind } from '../lists/index.ts';
import { type Catalogue, resolveField, type ValueType } from './fields.ts';
import {
  COMPARISONS,
  type Comparison,
  type Condition,
  DEFAULT_POLICY,
  LIMITS,
  type Literal,
  MISSING_POLICIES,
  type MissingPolicy,
  type Operand,
  type PolicySpec,
  type Pos,
  RULE_ACTIONS,
  type RuleAction,
  type RuleSetSpec,
  type RuleSpec,
} from './spec.ts';

/** One validation problem, located in the source. */
export interface RuleIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** `unknown_field` for a name that does not exist (feature, transaction field, graph signal). */
  readonly kind: 'syntax' | 'schema' | 'type' | 'unknown_field' | 'limit';
}

export type ParseOutcome = { ok: true; spec: RuleSetSpec } | { ok: false; issues: RuleIssue[] };

const ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const REASON = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Parses and validates a rule set (YAML, or JSON which is YAML) into its normalised spec.
 * Collects every problem it can find (up to `LIMITS.maxIssues`) instead of stopping at the
 * first, so one `validate` run shows an analyst all the typos at once.
 */
export function parseRuleSet(source: string, file: string, catalogue: Catalogue): ParseOutcome {
  const issues: RuleIssue[] = [];
  if (Buffer.byteLength(source, 'utf8') > LIMITS.maxSourceBytes) {
    return {
      ok: false,
      issues: [
        {
          file,
          line: 1,
          column: 1,
          kind: 'limit',
          message: `rule set exceeds ${LIMITS.maxSourceBytes} bytes`,
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  for (const e of doc.errors) {
    const p = lineCounter.linePos(e.pos[0]);
    issues.push({ file, line: p.line, column: p.col, kind: 'syntax', message: e.message.split('\n')[0]! });
  }
  if (issues.length > 0) return { ok: false, issues };

  const pos = (node: Node | null | undefined): Pos => {
    const p = lineCounter.linePos(node?.range?.[0] ?? 0);
    return { line: p.line, column: p.col };
  };
  const fail = (node: Node | null | undefined, kind: RuleIssue['kind'], message: string): void => {
    if (issues.length < LIMITS.maxIssues) issues.push({ file, ...pos(node), kind, message });
  };
  const describe = (node: Node | null | undefined): string =>
    node == null
      ? 'nothing'
      : isMap(node)
        ? 'a map'
        : isSeq(node)
          ? 'a list'
          : isScalar(node)
            ? JSON.stringify(node.value)
            : 'an alias';

  /** Map entries as [key, keyNode, valueNode]; reports non-string keys. */
  const entries = (map: YAMLMap): [string, Node, Node | null][] => {
    const out: [string, Node, Node | null][] = [];
    for (const pair of map.items) {
      const k = pair.key as Node | null;
      if (!isScalar(k) || typeof k.value !== 'string') {
        fail(k ?? map, 'schema', 'keys must be strings');
        continue;
      }
      out.push([k.value, k, (pair.value as Node | null) ?? null]);
    }
    return out;
  };

  const str = (node: Node | null, where: string, pattern?: RegExp, hint?: string): string | undefined => {
    if (!isScalar(node) || typeof node.value !== 'string') {
      fail(node, 'type', `${where} must be a string, got ${describe(node)}`);
      return undefined;
    }
    if (pattern && !pattern.test(node.value)) {
      fail(node, 'schema', `${where} '${node.value}' ${hint ?? `must match ${pattern}`}`);
      return undefined;
    }
    return node.value;
  };
  const num = (node: Node | null, where: string, min = -Infinity, max = Infinity): number | undefined => {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) {
      fail(node, 'type', `${where} must be a number, got ${describe(node)}`);
      return undefined;
    }
    if (node.value < min || node.value > max) {
      fail(node, 'schema', `${where} must be in [${min}, ${max}], got ${node.value}`);
      return undefined;
    }
    return node.value;
  };
  const bool = (node: Node | null, where: string): boolean | undefined => {
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      fail(node, 'type', `${where} must be true or false, got ${describe(node)}`);
      return undefined;
    }
    return node.value;
  };
  const oneOf = <T extends string>(
    node: Node | null,
    where: string,
    allowed: readonly T[],
  ): T | undefined => {
    const v = str(node, where);
    if (v === undefined) return undefined;
    if (!allowed.includes(v as T)) {
      fail(node, 'schema', `${where} must be one of ${allowed.join(', ')}, got '${v}'`);
      return undefined;
    }
    return v as T;
  };
  const unknownKey = (keyNode: Node, key: string, where: string, allowed: readonly string[]) =>
    fail(keyNode, 'schema', `unknown field '${key}' in ${where} (allowed: ${allowed.join(', ')})`);

  /** Resolves a field path; returns its type or undefined after reporting. */
  const field = (node: Node, path: string): ValueType | undefined => {
    const r = resolveField(path, catalogue);
    if (!r.ok) {
      fail(node, r.unknownFeature ? 'unknown_field' : 'schema', r.message);
      return undefined;
    }
    return r.ref.type;
  };

  const literalOf = (node: Node | null, where: string, type: ValueType | undefined): Literal | undefined => {
    if (
      !isScalar(node) ||
      node.value === null ||
      !['number', 'string', 'boolean'].includes(typeof node.value)
    ) {
      fail(node, 'type', `${where} must be a number, string or boolean, got ${describe(node)}`);
      return undefined;
    }
    const v = node.value as Literal;
    if (type !== undefined && typeof v !== type) {
      fail(node, 'type', `${where} compares a ${type} field with ${typeof v} ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };

  // ---- conditions -----------------------------------------------------------------------
  const LOGICAL = ['all', 'any', 'not'];
  const FIELD_OPS = [...COMPARISONS, 'in', 'not_in', 'between', 'is_null', 'is_missing'];
  let nodeBudget = 0;

  const condition = (node: Node | null, depth: number): Condition | undefined => {
    if (++nodeBudget > LIMITS.maxNodesPerRule) {
      if (nodeBudget === LIMITS.maxNodesPerRule + 1) {
        fail(node, 'limit', `condition has more than ${LIMITS.maxNodesPerRule} nodes`);
      }
      return undefined;
    }
    if (depth > LIMITS.maxDepth) {
      fail(node, 'limit', `condition nests deeper than ${LIMITS.maxDepth} levels`);
      return undefined;
    }
    if (!isMap(node) || node.items.length === 0) {
      fail(
        node,
        'type',
        `a condition must be a non-empty map (all/any/not, allow_list/deny_list or <field>: …), got ${describe(node)}`,
      );
      return undefined;
    }
    const p = pos(node);
    const es = entries(node);
    const logical = es.filter(([k]) => LOGICAL.includes(k) || k === 'allow_list' || k === 'deny_list');
    if (logical.length > 0 && es.length > 1) {
      fail(
        node,
        'schema',
        `'${logical[0]![0]}' must be the only key of its condition; wrap siblings in all: [...]`,
      );
      return undefined;
    }
    const [k0, kn0, v0] = es[0]!;
    if (k0 === 'all' || k0 === 'any') {
      if (!isSeq(v0) || v0.items.length === 0) {
        fail(v0 ?? kn0, 'type', `'${k0}' takes a non-empty list of conditions`);
        return undefined;
      }
      const of = v0.items.map((c) => condition(c as Node, depth + 1));
      return of.every((c) => c !== undefined) ? { op: k0, of: of as Condition[], pos: p } : undefined;
    }
    if (k0 === 'not') {
      const of = condition(v0, depth + 1);
      return of ? { op: 'not', of, pos: p } : undefined;
    }
    if (k0 === 'allow_list' || k0 === 'deny_list') {
      const items = isSeq(v0) ? (v0.items as Node[]) : [v0];
      const ents = items.map((n) => oneOf<ListEntity>(n, k0, LIST_ENTITIES));
      if (items.length === 0) fail(v0 ?? kn0, 'schema', `'${k0}' needs at least one entity`);
      if (items.length === 0 || ents.some((e) => e === undefined)) return undefined;
      return { op: 'list', kind: k0.slice(0, -5) as ListKind, entities: ents as ListEntity[], pos: p };
    }
    // Field conditions: `<path>: <literal>` (equality) or `<path>: { <op>: … }`; several keys AND together.
    const parts: Condition[] = [];
    let ok = true;
    for (const [path, keyNode, valueNode] of es) {
      const type = field(keyNode, path);
      if (!isMap(valueNode)) {
        const v = literalOf(valueNode, `'${path}'`, type);
        if (v === undefined) ok = false;
        else parts.push({ op: 'cmp', cmp: 'eq', field: path, value: { const: v }, pos: pos(keyNode) });
        continue;
      }
      for (const [op, opNode, arg] of entries(valueNode)) {
        const c = fieldOp(path, type, op, opNode, arg);
        if (c === undefined) ok = false;
        else parts.push(c);
      }
      if (valueNode.items.length === 0) {
        fail(valueNode, 'schema', `'${path}' needs an operator (${FIELD_OPS.join(', ')})`);
        ok = false;
      }
    }
    if (!ok) return undefined;
    return parts.length === 1 ? parts[0]! : { op: 'all', of: parts, pos: p };
  };

  const fieldOp = (
    path: string,
    type: ValueType | undefined,
    op: string,
    opNode: Node,
    arg: Node | null,
  ): Condition | undefined => {
    const p = pos(opNode);
    const where = `'${path}' ${op}`;
    if ((COMPARISONS as readonly string[]).includes(op)) {
      const cmp = op as Comparison;
      const ordered = cmp !== 'eq' && cmp !== 'ne';
      if (ordered && type !== undefined && type !== 'number') {
        fail(opNode, 'type', `${where}: ordering needs a number field, '${path}' is a ${type}`);
        return undefined;
      }
      if (isMap(arg)) {
        const operand = fieldOperand(arg, where, type);
        return operand ? { op: 'cmp', cmp, field: path, value: operand, pos: p } : undefined;
      }
      const v = literalOf(arg, where, type);
      return v === undefined ? undefined : { op: 'cmp', cmp, field: path, value: { const: v }, pos: p };
    }
    if (op === 'in' || op === 'not_in') {
      if (!isSeq(arg)) {
        fail(arg ?? opNode, 'type', `${where} takes a list of values`);
        return undefined;
      }
      if (arg.items.length > LIMITS.maxInValues) {
        fail(
          arg,
          'limit',
          `${where} has more than ${LIMITS.maxInValues} values; use a list (deny_list) instead`,
        );
        return undefined;
      }
      const values = arg.items.map((n, i) => literalOf(n as Node, `${where}[${i}]`, type));
      return values.every((v) => v !== undefined)
        ? { op, field: path, values: values as Literal[], pos: p }
        : undefined;
    }
    if (op === 'between') {
      if (type !== undefined && type !== 'number') {
        fail(opNode, 'type', `${where}: needs a number field, '${path}' is a ${type}`);
        return undefined;
      }
      if (!isSeq(arg) || arg.items.length !== 2) {
        fail(arg ?? opNode, 'type', `${where} takes [low, high] (inclusive)`);
        return undefined;
      }
      const low = num(arg.items[0] as Node, `${where} low`);
      const high = num(arg.items[1] as Node, `${where} high`);
      if (low === undefined || high === undefined) return undefined;
      if (low > high) {
        fail(arg, 'schema', `${where}: low ${low} is greater than high ${high}`);
        return undefined;
      }
      return { op: 'between', field: path, low, high, pos: p };
    }
    if (op === 'is_null' || op === 'is_missing') {
      const v = bool(arg, where);
      return v === undefined ? undefined : { op, field: path, value: v, pos: p };
    }
    fail(opNode, 'schema', `unknown operator '${op}' for '${path}' (allowed: ${FIELD_OPS.join(', ')})`);
    return undefined;
  };

  const fieldOperand = (
    node: YAMLMap,
    where: string,
    lhsType: ValueType | undefined,
  ): Operand | undefined => {
    let target: string | undefined;
    let times = 1;
    let plus = 0;
    let ok = true;
    for (const [k, kn, v] of entries(node)) {
      if (k === 'field') {
        target = str(v, `${where} field`);
        if (target !== undefined) {
          const t = field(v!, target);
          if (t !== undefined && lhsType !== undefined && t !== lhsType) {
            fail(v, 'type', `${where}: compares a ${lhsType} with '${target}', a ${t}`);
            ok = false;
          }
        } else ok = false;
      } else if (k === 'times' || k === 'plus') {
        const n = num(v, `${where} ${k}`);
        if (n === undefined) ok = false;
        else if (k === 'times') times = n;
        else plus = n;
      } else {
        unknownKey(kn, k, `${where} operand`, ['field', 'times', 'plus']);
        ok = false;
      }
    }
    if (target === undefined) {
      if (ok) fail(node, 'schema', `${where}: a map operand needs 'field'`);
      return undefined;
    }
    if ((times !== 1 || plus !== 0) && lhsType !== undefined && lhsType !== 'number') {
      fail(node, 'type', `${where}: times/plus need number fields`);
      return undefined;
    }
    return ok ? { field: target, times, plus } : undefined;
  };

  // ---- rules -------------------------------------------------------------------------------
  const RULE_KEYS = [
    'id',
    'description',
    'when',
    'action',
    'contribution',
    'reason',
    'priority',
    'enabled',
    'shadow',
    'tags',
  ];
  const rule = (node: Node): RuleSpec | undefined => {
    if (!isMap(node)) {
      fail(node, 'type', `a rule must be a map, got ${describe(node)}`);
      return undefined;
    }
    const before = issues.length;
    const r: Record<string, unknown> = {
      description: '',
      priority: 0,
      enabled: true,
      shadow: false,
      tags: [],
      contribution: 0,
    };
    let contributionNode: Node | null = null;
    for (const [k, kn, v] of entries(node)) {
      switch (k) {
        case 'id':
          r['id'] = str(v, 'id', ID, 'must be lower-case letters, digits, _ . - (max 64)');
          break;
        case 'description':
          r['description'] = str(v, 'description');
          break;
        case 'when':
          nodeBudget = 0;
          r['when'] = condition(v, 1);
          break;
        case 'action':
          r['action'] = oneOf<RuleAction>(v, 'action', RULE_ACTIONS);
          break;
        case 'contribution':
          contributionNode = v ?? kn;
          r['contribution'] = num(v, 'contribution', -1, 1);
          break;
        case 'reason':
          r['reason'] = str(v, 'reason', REASON, 'must be a snake_case reason code');
          break;
        case 'priority': {
          const n = num(v, 'priority', -1_000_000, 1_000_000);
          if (n !== undefined && !Number.isInteger(n)) fail(v, 'type', 'priority must be an integer');
          r['priority'] = n;
          break;
        }
        case 'enabled':
        case 'shadow':
          r[k] = bool(v, k);
          break;
        case 'tags':
          if (!isSeq(v)) fail(v ?? kn, 'type', 'tags must be a list of strings');
          else r['tags'] = v.items.map((t) => str(t as Node, 'tag'));
          break;
        default:
          unknownKey(kn, k, 'a rule', RULE_KEYS);
      }
    }
    for (const required of ['id', 'when', 'action', 'reason']) {
      if (!node.items.some((p) => isScalar(p.key) && p.key.value === required)) {
        fail(
          node,
          'schema',
          `rule${typeof r['id'] === 'string' ? ` '${r['id']}'` : ''} is missing '${required}'`,
        );
      }
    }
    if (r['action'] === 'score' && contributionNode === null) {
      fail(node, 'schema', `rule '${String(r['id'])}': action 'score' needs a 'contribution' in [-1, 1]`);
    }
    if (r['action'] !== undefined && r['action'] !== 'score' && contributionNode !== null) {
      fail(contributionNode, 'schema', `'contribution' only applies to action 'score'`);
    }
    if (issues.length > before) return undefined;
    return { ...(r as Omit<RuleSpec, 'pos'>), pos: pos(node) };
  };

  // ---- policy ------------------------------------------------------------------------------
  const policy = (node: Node | null): PolicySpec | undefined => {
    if (!isMap(node)) {
      fail(node, 'type', 'policy must be a map');
      return undefined;
    }
    const out = {
      thresholds: { ...DEFAULT_POLICY.thresholds },
      missing_model: DEFAULT_POLICY.missing_model,
      missing_graph: DEFAULT_POLICY.missing_graph,
      disagreement: DEFAULT_POLICY.disagreement,
      lists: { ...DEFAULT_POLICY.lists },
    };
    const before = issues.length;
    for (const [k, kn, v] of entries(node)) {
      if (k === 'thresholds') {
        if (!isMap(v)) {
          fail(v ?? kn, 'type', 'thresholds must be a map { review, block }');
          continue;
        }
        for (const [tk, tkn, tv] of entries(v)) {
          if (tk === 'review' || tk === 'block') {
            const n = num(tv, `thresholds.${tk}`, 0, 1);
            if (n !== undefined) out.thresholds[tk] = n;
          } else unknownKey(tkn, tk, 'thresholds', ['review', 'block']);
        }
        if (out.thresholds.review > out.thresholds.block) {
          fail(
            v,
            'schema',
            `thresholds.review (${out.thresholds.review}) must not exceed thresholds.block (${out.thresholds.block})`,
          );
        }
      } else if (k === 'missing_model' || k === 'missing_graph' || k === 'disagreement') {
        const m = oneOf<MissingPolicy>(v, k, MISSING_POLICIES);
        if (m) out[k] = m;
      } else if (k === 'lists') {
        if (!isMap(v)) {
          fail(v ?? kn, 'type', 'lists must be a map { allow, deny }');
          continue;
        }
        for (const [lk, lkn, lv] of entries(v)) {
          if (lk === 'allow') {
            const m = oneOf(lv, 'lists.allow', ['approve', 'ignore'] as const);
            if (m) out.lists.allow = m;
          } else if (lk === 'deny') {
            const m = oneOf(lv, 'lists.deny', ['block', 'review', 'ignore'] as const);
            if (m) out.lists.deny = m;
          } else unknownKey(lkn, lk, 'policy.lists', ['allow', 'deny']);
        }
      } else
        unknownKey(kn, k, 'policy', [
          'thresholds',
          'missing_model',
          'missing_graph',
          'disagreement',
          'lists',
        ]);
    }
    return issues.length > before ? undefined : out;
  };

  // ---- the set -----------------------------------------------------------------------------
  const root = doc.contents as Node | null;
  if (!isMap(root)) {
    fail(root, 'type', 'a rule set must be a map with at least `rules:`');
    return { ok: false, issues };
  }
  const SET_KEYS = ['name', 'label', 'description', 'shadow', 'policy', 'rules'];
  const set: Record<string, unknown> = {
    name: 'rules',
    label: 'unlabelled',
    description: '',
    shadow: false,
    policy: DEFAULT_POLICY,
  };
  let rulesNode: Node | null = null;
  for (const [k, kn, v] of entries(root)) {
    switch (k) {
      case 'name':
        set['name'] = str(v, 'name', ID, 'must be lower-case letters, digits, _ . - (max 64)');
        break;
      case 'label':
        set['label'] = str(
          v,
          'label',
          /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/,
          'must be letters, digits, _ . : - (max 64)',
        );
        break;
      case 'description':
        set['description'] = str(v, 'description');
        break;
      case 'shadow':
        set['shadow'] = bool(v, 'shadow');
        break;
      case 'policy':
        set['policy'] = policy(v);
        break;
      case 'rules':
        rulesNode = v ?? kn;
        break;
      default:
        unknownKey(kn, k, 'the rule set', SET_KEYS);
    }
  }
  const rules: RuleSpec[] = [];
  if (rulesNode === null) fail(root, 'schema', "rule set is missing 'rules'");
  else if (isScalar(rulesNode) && rulesNode.value === null) {
    // `rules:` with nothing under it: a thresholds-and-lists-only policy, like `rules: []`.
  } else if (!isSeq(rulesNode)) fail(rulesNode, 'type', "'rules' must be a list");
  else {
    if (rulesNode.items.length > LIMITS.maxRules)
      fail(rulesNode, 'limit', `more than ${LIMITS.maxRules} rules`);
    const seen = new Map<string, Pos>();
    for (const item of rulesNode.items) {
      const r = rule(item as Node);
      if (!r) continue;
      const dup = seen.get(r.id);
      if (dup) fail(item as Node, 'schema', `duplicate rule id '${r.id}' (first at line ${dup.line})`);
      else seen.set(r.id, r.pos);
      rules.push(r);
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, spec: { ...(set as Omit<RuleSetSpec, 'rules'>), rules } };
}
