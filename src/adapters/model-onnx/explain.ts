/**
 * Signed feature contributions for one scored vector, in log-odds (margin) units.
 *
 * Issue 5: "Every review or block decision carries the top contributing features with their
 * values and signed contributions (for example, TreeSHAP for the tree models). This is
 * computed within the latency budget."
 *
 * - Tree ensembles (XGBoost, LightGBM): exact path-dependent TreeSHAP (Lundberg et al. 2018,
 *   "Consistent individualized feature attribution for tree ensembles", algorithm 2), run over
 *   the tree structure the trainer exports next to the ONNX graph (`explain.json`). Splits are
 *   compared in float32, as the ONNX runtime does, so the contributions explain the served
 *   score: sum(contributions) + bias = logit(score).
 * - Logistic regression: the exact linear SHAP values with the training mean as background,
 *   coef_i * (x_i - mean_i) / scale_i (missing x_i is imputed as in training).
 */

/** One tree in the flat layout of `explain.json` (node 0 is the root; feature -1 = leaf). */
export interface TreeJson {
  readonly left: number[];
  readonly right: number[];
  readonly missing: number[];
  readonly feature: number[];
  readonly threshold: number[];
  readonly value: number[];
  readonly cover: number[];
}

export type ExplainJson =
  | {
      readonly kind: 'trees';
      /** XGBoost goes left when x < threshold, LightGBM when x <= threshold. */
      readonly decision: '<' | '<=';
      readonly base_margin: number;
      readonly features: string[];
      readonly trees: TreeJson[];
    }
  | {
      readonly kind: 'linear';
      readonly features: string[];
      readonly impute: number[];
      readonly mean: number[];
      readonly scale: number[];
      readonly coef: number[];
      readonly intercept: number;
    };

/** Contributions per model feature, plus the bias (expected margin); they sum to the margin. */
export interface Attribution {
  readonly bias: number;
  readonly contributions: Float64Array;
}

export interface Explainer {
  readonly method: 'treeshap' | 'linear';
  /** `x` is in the model's feature order, NaN = missing. */
  attribute(x: Float64Array): Attribution;
  /** The same attribution by the unoptimised textbook algorithm, for tests. */
  attributeReference?(x: Float64Array): Attribution;
  /** The raw margin the structure computes (for checks). */
  margin(x: Float64Array): number;
}

interface CompiledTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly missing: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly value: Float64Array;
  readonly cover: Float64Array;
  readonly depth: number;
  readonly expected: number;
  readonly leaves: LeafPaths;
}

/**
 * Every leaf's root-to-leaf path, reduced to what its SHAP terms depend on, in flat arrays.
 * In path-dependent TreeSHAP a leaf contributes to each distinct feature d on its path with a
 * weight that depends only on the path's cover fractions (fixed) and on which of those
 * features `x` agrees with all the way down (2^d patterns). So a leaf's terms are computed once
 * per pattern and memoised: explaining a row then costs O(leaves × depth) lookups instead of
 * O(leaves × depth²) arithmetic. Memo size: Σ 2^d·d doubles (12 MB for 100 trees of depth 6).
 */
interface LeafPaths {
  readonly count: number;
  readonly value: Float64Array;
  /** Leaf l's distinct split features are `feature[featureStart[l] .. featureStart[l+1])`. */
  readonly featureStart: Int32Array;
  readonly feature: Int32Array;
  /** Per distinct feature: product of the cover fractions of its nodes on the path. */
  readonly zero: Float64Array;
  /** Leaf l's internal nodes, the child taken at each and its feature's slot: `[nodeStart[l] .. nodeStart[l+1])`. */
  readonly nodeStart: Int32Array;
  readonly node: Int32Array;
  readonly child: Int32Array;
  readonly slot: Int32Array;
  /** Leaf l's terms for pattern p start at `memoStart[l] + p·d` (−1: leaf too deep to memoise). */
  readonly memoStart: Int32Array;
  /** NaN = not computed yet. */
  readonly memo: Float64Array;
}

/** Leaves with more distinct features than this are not memoised (2^d·d terms per leaf). */
const MEMO_MAX_FEATURES = 8;

function leafPaths(tree: Omit<CompiledTree, 'leaves' | 'depth' | 'expected'>): LeafPaths {
  const value: number[] = [];
  const featureStart = [0];
  const feature: number[] = [];
  const zero: number[] = [];
  const nodeStart = [0];
  const node: number[] = [];
  const child: number[] = [];
  const slot: number[] = [];
  const memoStart: number[] = [];
  let memoSize = 0;
  const pathNodes: number[] = [];
  const pathChild: number[] = [];
  const walk = (i: number): void => {
    if (tree.feature[i]! < 0) {
      const first = feature.length;
      for (let k = 0; k < pathNodes.length; k++) {
        const f = tree.feature[pathNodes[k]!]!;
        let j = feature.indexOf(f, first);
        if (j < 0) {
          j = feature.length;
          feature.push(f);
          zero.push(1);
        }
        zero[j]! *= tree.cover[pathChild[k]!]! / tree.cover[pathNodes[k]!]!;
        node.push(pathNodes[k]!);
        child.push(pathChild[k]!);
        slot.push(j - first);
      }
      const d = feature.length - first;
      value.push(tree.value[i]!);
      featureStart.push(feature.length);
      nodeStart.push(node.length);
      if (d <= MEMO_MAX_FEATURES) {
        memoStart.push(memoSize);
        memoSize += (1 << d) * d;
      } else {
        memoStart.push(-1);
      }
      return;
    }
    for (const c of [tree.left[i]!, tree.right[i]!]) {
      pathNodes.push(i);
      pathChild.push(c);
      walk(c);
      pathNodes.pop();
      pathChild.pop();
    }
  };
  walk(0);
  return {
    count: value.length,
    value: Float64Array.from(value),
    featureStart: Int32Array.from(featureStart),
    feature: Int32Array.from(feature),
    zero: Float64Array.from(zero),
    nodeStart: Int32Array.from(nodeStart),
    node: Int32Array.from(node),
    child: Int32Array.from(child),
    slot: Int32Array.from(slot),
    memoStart: Int32Array.from(memoStart),
    memo: new Float64Array(memoSize).fill(Number.NaN),
  };
}

function compileTree(t: TreeJson): CompiledTree {
  const n = t.feature.length;
  const tree = {
    left: Int32Array.from(t.left),
    right: Int32Array.from(t.right),
    missing: Int32Array.from(t.missing),
    feature: Int32Array.from(t.feature),
    threshold: Float32Array.from(t.threshold),
    value: Float64Array.from(t.value),
    cover: Float64Array.from(t.cover),
  };
  if (tree.left.length !== n || tree.cover.length !== n)
    throw new Error('explain.json: tree arrays differ in length');
  // Expected value of the tree under the training distribution (cover-weighted), and depth.
  const walk = (i: number): [number, number] => {
    if (tree.feature[i]! < 0) return [tree.value[i]!, 0];
    const [el, dl] = walk(tree.left[i]!);
    const [er, dr] = walk(tree.right[i]!);
    const cl = tree.cover[tree.left[i]!]!;
    const cr = tree.cover[tree.right[i]!]!;
    return [(cl * el + cr * er) / (cl + cr), 1 + Math.max(dl, dr)];
  };
  const [expected, depth] = walk(0);
  return { ...tree, expected, depth, leaves: leafPaths(tree) };
}

/**
 * The path of TreeSHAP as four flat arrays; each recursion level copies its parent's path
 * into the next slice, so no allocation happens per row.
 */
class Path {
  readonly feature: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly weight: Float64Array;
  constructor(size: number) {
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }
}

/** 1/n for the small integers the path arithmetic divides by (divisions dominate the cost). */
const RECIPROCAL = Float64Array.from({ length: 66 }, (_, n) => (n === 0 ? 0 : 1 / n));

function extend(p: Path, o: number, depth: number, zero: number, one: number, feature: number): void {
  const w = p.weight;
  p.feature[o + depth] = feature;
  p.zero[o + depth] = zero;
  p.one[o + depth] = one;
  w[o + depth] = depth === 0 ? 1 : 0;
  const inv = RECIPROCAL[depth + 1]!;
  for (let i = depth - 1; i >= 0; i--) {
    const wi = w[o + i]!;
    w[o + i + 1]! += one * wi * (i + 1) * inv;
    w[o + i] = zero * wi * (depth - i) * inv;
  }
}

function unwind(p: Path, o: number, depth: number, index: number): void {
  const w = p.weight;
  const one = p.one[o + index]!;
  const zero = p.zero[o + index]!;
  let next = w[o + depth]!;
  if (one !== 0) {
    const c = (depth + 1) / one;
    const z = zero * RECIPROCAL[depth + 1]!;
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = w[o + i]!;
      const wi = next * c * RECIPROCAL[i + 1]!;
      w[o + i] = wi;
      next = tmp - wi * z * (depth - i);
    }
  } else {
    const c = (depth + 1) / zero;
    for (let i = depth - 1; i >= 0; i--) w[o + i] = w[o + i]! * c * RECIPROCAL[depth - i]!;
  }
  for (let i = index; i < depth; i++) {
    p.feature[o + i] = p.feature[o + i + 1]!;
    p.zero[o + i] = p.zero[o + i + 1]!;
    p.one[o + i] = p.one[o + i + 1]!;
  }
}

function unwoundSum(p: Path, o: number, depth: number, index: number): number {
  const w = p.weight;
  const one = p.one[o + index]!;
  const zero = p.zero[o + index]!;
  let total = 0;
  if (one !== 0) {
    let next = w[o + depth]!;
    const c = (depth + 1) / one;
    const z = zero * RECIPROCAL[depth + 1]!;
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = next * c * RECIPROCAL[i + 1]!;
      total += tmp;
      next = w[o + i]! - tmp * z * (depth - i);
    }
  } else {
    const c = (depth + 1) / zero;
    for (let i = depth - 1; i >= 0; i--) total += w[o + i]! * c * RECIPROCAL[depth - i]!;
  }
  return total;
}

class TreeShap implements Explainer {
  readonly method = 'treeshap' as const;
  private readonly trees: CompiledTree[];
  private readonly lessThan: boolean;
  private readonly bias: number;
  private readonly path: Path;
  private readonly x32: Float32Array;
  private readonly nFeatures: number;

  constructor(json: Extract<ExplainJson, { kind: 'trees' }>) {
    this.trees = json.trees.map(compileTree);
    this.lessThan = json.decision === '<';
    this.bias = json.base_margin + this.trees.reduce((s, t) => s + t.expected, 0);
    const d = this.trees.reduce((m, t) => Math.max(m, t.depth), 0) + 2;
    this.path = new Path(((d + 1) * (d + 2)) / 2 + d + 1);
    this.nFeatures = json.features.length;
    this.x32 = new Float32Array(this.nFeatures);
    this.base = json.base_margin;
  }

  private readonly base: number;

  /** The child `x` goes to; float32 comparisons as in the ONNX TreeEnsemble operator. */
  private next(t: CompiledTree, node: number, x: Float32Array): number {
    const v = x[t.feature[node]!]!;
    if (Number.isNaN(v)) return t.missing[node]!;
    const thr = t.threshold[node]!;
    return (this.lessThan ? v < thr : v <= thr) ? t.left[node]! : t.right[node]!;
  }

  margin(x: Float64Array): number {
    const x32 = this.x32;
    x32.set(x);
    let m = this.base;
    for (const t of this.trees) {
      let i = 0;
      while (t.feature[i]! >= 0) i = this.next(t, i, x32);
      m += t.value[i]!;
    }
    return m;
  }

  attribute(x: Float64Array): Attribution {
    const x32 = this.x32;
    x32.set(x);
    const phi = new Float64Array(this.nFeatures);
    const scratch = this.scratch;
    for (const t of this.trees) {
      // Where x goes at every split, once; then each leaf's agreement pattern is bit logic.
      const n = t.feature.length;
      if (this.go.length < n) this.go = new Int32Array(n);
      const go = this.go;
      for (let i = 0; i < n; i++) if (t.feature[i]! >= 0) go[i] = this.next(t, i, x32);
      const L = t.leaves;
      const { featureStart, nodeStart, node, child, slot, memoStart, memo, feature } = L;
      for (let l = 0; l < L.count; l++) {
        const f0 = featureStart[l]!;
        const d = featureStart[l + 1]! - f0;
        if (d === 0) continue; // a one-leaf tree: no feature to credit
        let pattern = (1 << d) - 1;
        for (let k = nodeStart[l]!, end = nodeStart[l + 1]!; k < end; k++) {
          if (go[node[k]!] !== child[k]) pattern &= ~(1 << slot[k]!);
        }
        const m0 = memoStart[l]!;
        if (m0 < 0) {
          this.leafTerms(L, l, pattern, scratch, 0);
          for (let j = 0; j < d; j++) phi[feature[f0 + j]!]! += scratch[j]!;
          continue;
        }
        const at = m0 + pattern * d;
        // NaN marks a pattern not computed yet (one cache line per leaf instead of two).
        if (Number.isNaN(memo[at]!)) this.leafTerms(L, l, pattern, memo, at);
        for (let j = 0; j < d; j++) phi[feature[f0 + j]!]! += memo[at + j]!;
      }
    }
    return { bias: this.bias, contributions: phi };
  }

  private go = new Int32Array(0);
  private readonly scratch = new Float64Array(64);

  /** Leaf l's SHAP term per distinct path feature for one agreement pattern (algorithm 2's leaf step), into out[at..]. */
  private leafTerms(L: LeafPaths, l: number, pattern: number, out: Float64Array, at: number): void {
    const p = this.path;
    const f0 = L.featureStart[l]!;
    const d = L.featureStart[l + 1]! - f0;
    extend(p, 0, 0, 1, 1, -1);
    for (let j = 0; j < d; j++) extend(p, 0, j + 1, L.zero[f0 + j]!, (pattern >>> j) & 1, L.feature[f0 + j]!);
    const leaf = L.value[l]!;
    for (let j = 0; j < d; j++) {
      const w = unwoundSum(p, 0, d, j + 1);
      out[at + j] = w * (p.one[j + 1]! - p.zero[j + 1]!) * leaf;
    }
  }

  /** The textbook recursion (algorithm 2), kept as the reference the memoised form is tested against. */
  attributeReference(x: Float64Array): Attribution {
    const x32 = this.x32;
    x32.set(x);
    const phi = new Float64Array(this.nFeatures);
    for (const t of this.trees) this.recurse(t, 0, x32, phi, 0, 0, 1, 1, -1);
    return { bias: this.bias, contributions: phi };
  }

  private recurse(
    t: CompiledTree,
    node: number,
    x: Float32Array,
    phi: Float64Array,
    parentOffset: number,
    depth: number,
    zero: number,
    one: number,
    feature: number,
  ): void {
    const p = this.path;
    // This level's path lives right after the parent's: copy the parent's `depth` elements.
    const o = parentOffset + depth + 1;
    for (let i = 0; i < depth; i++) {
      p.feature[o + i] = p.feature[parentOffset + i]!;
      p.zero[o + i] = p.zero[parentOffset + i]!;
      p.one[o + i] = p.one[parentOffset + i]!;
      p.weight[o + i] = p.weight[parentOffset + i]!;
    }
    extend(p, o, depth, zero, one, feature);
    const split = t.feature[node]!;
    if (split < 0) {
      const leaf = t.value[node]!;
      for (let i = 1; i <= depth; i++) {
        const w = unwoundSum(p, o, depth, i);
        phi[p.feature[o + i]!]! += w * (p.one[o + i]! - p.zero[o + i]!) * leaf;
      }
      return;
    }
    const hot = this.next(t, node, x);
    const cold = hot === t.left[node]! ? t.right[node]! : t.left[node]!;
    const cover = t.cover[node]!;
    let inZero = 1;
    let inOne = 1;
    let d = depth;
    let k = 0;
    for (; k <= d; k++) if (p.feature[o + k] === split) break;
    if (k !== d + 1) {
      inZero = p.zero[o + k]!;
      inOne = p.one[o + k]!;
      unwind(p, o, d, k);
      d -= 1;
    }
    this.recurse(t, hot, x, phi, o, d + 1, (t.cover[hot]! / cover) * inZero, inOne, split);
    this.recurse(t, cold, x, phi, o, d + 1, (t.cover[cold]! / cover) * inZero, 0, split);
  }
}

class LinearShap implements Explainer {
  readonly method = 'linear' as const;
  private readonly json: Extract<ExplainJson, { kind: 'linear' }>;
  constructor(json: Extract<ExplainJson, { kind: 'linear' }>) {
    this.json = json;
  }
  attribute(x: Float64Array): Attribution {
    const { impute, mean, scale, coef, intercept } = this.json;
    const phi = new Float64Array(coef.length);
    for (let i = 0; i < coef.length; i++) {
      const v = Number.isNaN(x[i]!) ? impute[i]! : x[i]!;
      phi[i] = (coef[i]! * (v - mean[i]!)) / scale[i]!;
    }
    return { bias: intercept, contributions: phi };
  }
  margin(x: Float64Array): number {
    const a = this.attribute(x);
    return a.contributions.reduce((s, v) => s + v, a.bias);
  }
}

/** Contributions of `n` rows of `k` model features (row-major), row-major too, and the bias. */
export function attributeRows(
  explainer: Explainer,
  rows: Float64Array,
  n: number,
  k: number,
): { contributions: Float64Array<ArrayBuffer>; bias: number } {
  const contributions = new Float64Array(n * k);
  let bias = 0;
  for (let r = 0; r < n; r++) {
    const a = explainer.attribute(rows.subarray(r * k, (r + 1) * k));
    contributions.set(a.contributions, r * k);
    bias = a.bias;
  }
  return { contributions, bias };
}

export function createExplainer(json: ExplainJson): Explainer {
  if (json.kind === 'trees') return new TreeShap(json);
  if (json.kind === 'linear') return new LinearShap(json);
  throw new Error(`explain.json: unknown kind '${(json as { kind: string }).kind}'`);
}
