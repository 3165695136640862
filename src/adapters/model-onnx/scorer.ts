import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Contribution } from '../../core/contracts/index.ts';
import { FraudError } from '../../core/errors/index.ts';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '../../core/features/index.ts';
import type { FeatureVector, ModelScorer } from '../../ports/index.ts';
import { createExplainer, type Explainer, type ExplainJson } from './explain.ts';
import { ExplainThread } from './explain-thread.ts';
import { isRegistrySpec, type ResolvedModel, resolveRegistrySpec } from './registry.ts';

/**
 * `model.json`, written by ml/training/train_model.py next to `model.onnx`: everything serving
 * needs to use the graph correctly and to say which model made each decision.
 */
export interface ModelMetadata {
  readonly name: string;
  /** Goes into `model_version` on every score, e.g. `xgboost-20250210-1a2b3c4d` (content hash). */
  readonly model_version: string;
  readonly algorithm: 'xgboost' | 'lightgbm' | 'logreg';
  readonly feature_set_version: string;
  /** The model's input columns, in order. */
  readonly feature_names: string[];
  /** Chosen on the time-ordered validation window (target FPR or daily review capacity). */
  readonly thresholds: { readonly review: number; readonly block: number; readonly policy: string };
  readonly onnx: {
    readonly file: string;
    readonly input: string;
    readonly output: string;
    readonly probability_column: number;
  };
  readonly explain: { readonly file: string; readonly method: 'treeshap' | 'linear' };
  readonly training: Record<string, unknown>;
  readonly metrics: Record<string, number>;
}

export interface LoadModelOptions {
  /**
   * The catalogue the scorer is fed: vectors arrive in this order. Default: the core
   * `FEATURE_NAMES` / `FEATURE_SET_VERSION`. Tests pass their own.
   */
  readonly featureNames?: readonly string[];
  readonly featureSetVersion?: string;
  /** onnxruntime intra-op threads. Default 1: the processor batches, and the cores are shared. */
  readonly threads?: number;
  /** Repository root, for the default model and the local MLflow store. Default: `FRAUD_ROOT` or cwd. */
  readonly root?: string;
  /**
   * Explain review and block decisions on a worker thread (`explainMany`). Default true;
   * false keeps them on the caller's thread.
   */
  readonly explainThread?: boolean;
}

/** A loaded model: the ModelScorer port plus what the decision layer and tools may read. */
export interface OnnxModel extends ModelScorer {
  readonly metadata: ModelMetadata;
  readonly thresholds: { readonly review: number; readonly block: number };
  /** Directory the files came from, and the registry version when loaded by alias. */
  readonly source: { readonly dir: string; readonly registry?: ResolvedModel };
  /** Signed contributions for every model feature, plus the bias (sums to the logit). */
  attribute(vector: FeatureVector): { bias: number; contributions: Float64Array; names: readonly string[] };
  /** `explainMany` for one vector, computed on the caller's thread. */
  explain(vector: FeatureVector, top?: number): Contribution[];
}

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | null = null;
/** onnxruntime-node loads a native library: imported on first use only. */
function ort(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

function unavailable(message: string): FraudError {
  return new FraudError('FRAUD_MODEL_UNAVAILABLE', message);
}

/** Finds a file in a model dir: at the top, or under `extra_files/` (the MLflow layout). */
function modelFile(dir: string, name: string): string {
  const direct = join(dir, name);
  if (existsSync(direct)) return direct;
  const extra = join(dir, 'extra_files', name);
  if (existsSync(extra)) return extra;
  throw unavailable(`model directory ${dir} has no ${name}`);
}

export async function readModelMetadata(dir: string): Promise<ModelMetadata> {
  const path = modelFile(dir, 'model.json');
  let meta: ModelMetadata;
  try {
    meta = JSON.parse(await readFile(path, 'utf8')) as ModelMetadata;
  } catch (err) {
    throw unavailable(`${path}: not valid JSON (${(err as Error).message})`);
  }
  for (const key of [
    'model_version',
    'feature_set_version',
    'feature_names',
    'thresholds',
    'onnx',
  ] as const) {
    if (meta[key] === undefined) throw unavailable(`${path}: missing '${key}'`);
  }
  return meta;
}

/**
 * Loads a model for serving.
 *
 * `spec` is a model directory, `models:/name@alias` or `models:/name/version` (the MLflow
 * registry: the local SQLite store `ml/mlflow.db`, or the server at `MLFLOW_TRACKING_URI`).
 * `null` means the shipped default, `models/default`, if present (else `null`: no model,
 * decisions fall back to rules and review).
 *
 * Refuses (FRAUD_MODEL_UNAVAILABLE) a model trained on another feature set version: its
 * inputs would silently mean something else.
 */
export async function loadModel(
  spec: string | null,
  options: LoadModelOptions = {},
): Promise<OnnxModel | null> {
  const root = options.root ?? process.env['FRAUD_ROOT'] ?? process.cwd();
  let dir: string;
  let registry: ResolvedModel | undefined;
  if (spec === null) {
    dir = join(root, 'models', 'default');
    if (!existsSync(join(dir, 'model.onnx'))) return null;
  } else if (isRegistrySpec(spec)) {
    registry = await resolveRegistrySpec(spec, { root });
    dir = registry.dir;
  } else {
    dir = resolve(spec);
    if (!existsSync(dir) || !(await stat(dir)).isDirectory())
      throw unavailable(`model directory not found: ${spec}`);
  }
  return loadModelDir(dir, options, registry);
}

async function loadModelDir(
  dir: string,
  options: LoadModelOptions,
  registry?: ResolvedModel,
): Promise<OnnxModel> {
  const meta = await readModelMetadata(dir);
  const catalogue = options.featureNames ?? FEATURE_NAMES;
  const expectedVersion = options.featureSetVersion ?? FEATURE_SET_VERSION;
  if (meta.feature_set_version !== expectedVersion) {
    throw unavailable(
      `model ${meta.model_version} (${dir}) was trained on feature set ${meta.feature_set_version}, ` +
        `but this platform computes ${expectedVersion}; retrain it on current features (bin/fraud train)`,
    );
  }
  // Model column j reads catalogue position index[j]: the model may order (or subset) features differently.
  const position = new Map(catalogue.map((n, i) => [n, i]));
  const index = Int32Array.from(
    meta.feature_names.map((n) => {
      const i = position.get(n);
      if (i === undefined)
        throw unavailable(`model ${meta.model_version} needs feature '${n}', which the catalogue lacks`);
      return i;
    }),
  );
  const explainJson = JSON.parse(
    await readFile(modelFile(dir, meta.explain?.file ?? 'explain.json'), 'utf8'),
  ) as ExplainJson;
  // The caller-thread explainer is built on first use: the hot path explains on the thread.
  let explainer: Explainer | null = null;
  const explainerHere = () => {
    explainer ??= createExplainer(explainJson);
    return explainer;
  };
  const thread = options.explainThread === false ? null : new ExplainThread(explainJson, explainerHere);
  const { InferenceSession, Tensor } = await ort();
  let session: Awaited<ReturnType<typeof InferenceSession.create>>;
  try {
    session = await InferenceSession.create(modelFile(dir, meta.onnx.file), {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw unavailable(`cannot load ${join(dir, meta.onnx.file)}: ${(err as Error).message}`);
  }
  const input = meta.onnx.input;
  const output = meta.onnx.output;
  const column = meta.onnx.probability_column ?? 1;
  const k = index.length;
  const names = meta.feature_names;

  const toModelOrder = (vector: FeatureVector, into: Float64Array | Float32Array, offset: number) => {
    for (let j = 0; j < k; j++) into[offset + j] = vector[index[j]!]!;
  };

  const explainHere = (vector: FeatureVector, top = 5): Contribution[] => {
    const x = new Float64Array(k);
    toModelOrder(vector, x, 0);
    return topContributions(x, explainerHere().attribute(x).contributions, names, top);
  };

  return {
    version: meta.model_version,
    metadata: meta,
    thresholds: { review: meta.thresholds.review, block: meta.thresholds.block },
    source: registry ? { dir, registry } : { dir },

    async score(vectors) {
      const n = vectors.length;
      const out = new Float64Array(n);
      if (n === 0) return out;
      const data = new Float32Array(n * k);
      for (let r = 0; r < n; r++) toModelOrder(vectors[r]!, data, r * k);
      let result: Record<string, { data: unknown; dims: readonly number[] }>;
      try {
        result = await session.run({ [input]: new Tensor('float32', data, [n, k]) }, [output]);
      } catch (err) {
        throw unavailable(`model ${meta.model_version} failed to score: ${(err as Error).message}`);
      }
      const probs = result[output]!;
      const width = probs.dims[1] ?? 2;
      const values = probs.data as Float32Array;
      for (let r = 0; r < n; r++) out[r] = values[r * width + column]!;
      return out;
    },

    attribute(vector) {
      const x = new Float64Array(k);
      toModelOrder(vector, x, 0);
      const a = explainerHere().attribute(x);
      return { bias: a.bias, contributions: a.contributions, names };
    },

    explain: explainHere,

    async explainMany(vectors, top = 5): Promise<Contribution[][]> {
      const n = vectors.length;
      if (n === 0) return [];
      if (thread === null) return vectors.map((v) => explainHere(v, top));
      const rows = new Float64Array(n * k);
      for (let r = 0; r < n; r++) toModelOrder(vectors[r]!, rows, r * k);
      const { contributions } = await thread.attribute(rows, n);
      const out: Contribution[][] = new Array(n);
      for (let r = 0; r < n; r++) {
        const at = r * k;
        out[r] = topContributions(rows.subarray(at, at + k), contributions.subarray(at, at + k), names, top);
      }
      return out;
    },

    async close() {
      await thread?.close();
      await session.release();
    },
  };
}

/** The `top` largest contributions by magnitude, zeros left out. */
function topContributions(
  x: Float64Array,
  contributions: Float64Array,
  names: readonly string[],
  top: number,
): Contribution[] {
  const order = Array.from(contributions.keys()).sort(
    (a, b) => Math.abs(contributions[b]!) - Math.abs(contributions[a]!),
  );
  const out: Contribution[] = [];
  for (const j of order) {
    if (out.length >= top) break;
    const c = contributions[j]!;
    if (c === 0) break;
    const v = x[j]!;
    out.push({ feature: names[j]!, value: Number.isNaN(v) ? null : v, contribution: round6(c) });
  }
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
