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
  return { ...tree, expected, depth };
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

export function createExplainer(json: ExplainJson): Explainer {
  if (json.kind === 'trees') return new TreeShap(json);
  if (json.kind === 'linear') return new LinearShap(json);
  throw new Error(`explain.json: unknown kind '${(json as { kind: string }).kind}'`);
}
