import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FraudError } from '../../core/errors/index.ts';
import { FEATURE_SET_VERSION } from '../../core/features/index.ts';
import type { ModelScorer } from '../../ports/index.ts';
import { backfillToCsv } from '../backfill/index.ts';
import { evaluateScores, type ScoredRow, type WindowMetrics } from './metrics.ts';
import { readFeaturesCsv, readLabelMap, type TimeWindow } from './scoring.ts';

export const ALGORITHMS = ['xgboost', 'lightgbm', 'logreg'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export function repoRoot(): string {
  return process.env['FRAUD_ROOT'] ?? process.cwd();
}

/** Runs a process, stderr passed through (progress), stdout captured. */
function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? 1, stdout }));
  });
}

/** `.venv/bin/python`, creating the virtual environment first if needed (scripts/setup.sh python). */
export async function python(root = repoRoot()): Promise<string> {
  const py = join(root, '.venv', 'bin', 'python');
  const setup = await run(join(root, 'scripts', 'setup.sh'), ['python', '--quiet'], root);
  if (setup.code !== 0 || !existsSync(py)) {
    throw new FraudError(
      'FRAUD_DEPENDENCY_UNAVAILABLE',
      'the ML virtual environment could not be created (scripts/setup.sh python)',
    );
  }
  return py;
}

/** Runs an ml/ script with the venv's Python; returns its last stdout line parsed as JSON. */
export async function runPython(script: string, args: string[], root = repoRoot()): Promise<unknown> {
  const py = await python(root);
  const r = await run(py, [join(root, script), ...args], root);
  if (r.code !== 0) throw new FraudError('FRAUD_INTERNAL', `${script} exited with code ${r.code}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new FraudError('FRAUD_INTERNAL', `${script} did not print a JSON summary: ${last.slice(0, 200)}`);
  }
}

export interface TrainOptions {
  /** History JSONL; features are computed from it by the TypeScript backfill. */
  readonly history?: string;
  /** Or a features CSV the backfill already wrote (skips the backfill). */
  readonly features?: string;
  readonly labels: string;
  readonly out: string;
  readonly trainFrom?: string;
  readonly trainUntil?: string;
  readonly asOf?: string;
  readonly algorithm?: Algorithm;
  readonly gapDays?: number;
  readonly testDays?: number;
  readonly config?: string;
  readonly seed?: number;
  readonly reviewFpr?: number;
  readonly reviewCardsPerDay?: number;
  readonly blockFpr?: number;
  readonly registerAs?: string;
  readonly alias?: string;
  readonly mlflow?: boolean;
  /** Keep the computed features CSV here (default: a temporary file, removed afterwards). */
  readonly featuresOut?: string;
  readonly onProgress?: (message: string) => void;
}

export interface TrainSummary {
  out: string;
  model_version: string;
  algorithm: string;
  thresholds: { review: number; block: number; policy: string };
  results: Record<string, WindowMetrics & { calibration?: unknown }>;
  mlflow?: {
    run_id: string;
    registered_model?: string;
    version?: string;
    alias?: string | null;
    tracking_uri: string;
  };
}

/** Computes features point-in-time (TypeScript backfill) and writes them to `out`. */
export async function computeFeatures(
  history: string,
  labels: string,
  out: string,
  onProgress?: (m: string) => void,
) {
  onProgress?.(`computing point-in-time features (${FEATURE_SET_VERSION}) from ${history}`);
  const r = await backfillToCsv({
    input: history,
    labels,
    out,
    onProgress: (s) => onProgress?.(`features: ${s.transactions.toLocaleString('en')} transactions`),
  });
  await writeFile(
    `${out}.meta.json`,
    `${JSON.stringify({ feature_set_version: r.featureSetVersion, transactions: r.transactions })}\n`,
  );
  onProgress?.(
    `features: ${r.transactions.toLocaleString('en')} transactions in ${(r.elapsedMs / 1000).toFixed(1)} s, ${r.badLines} bad lines skipped`,
  );
  return r;
}

/**
 * `bin/fraud train`: features from the TypeScript backfill (one definition), then
 * ml/training/train_model.py (train, evaluate, export ONNX, track and register in MLflow).
 */
export async function train(options: TrainOptions): Promise<TrainSummary> {
  const root = repoRoot();
  let features = options.features;
  let temporary: string | null = null;
  if (!features) {
    if (!options.history) throw new FraudError('FRAUD_USAGE', '--history (or --features) is required');
    features =
      options.featuresOut ?? join(resolve(options.out), '..', `.features-${process.pid}-${Date.now()}.csv`);
    if (!options.featuresOut) temporary = features;
    await mkdir(join(features, '..'), { recursive: true });
    await computeFeatures(options.history, options.labels, features, options.onProgress);
  }
  const args = [
    '--features',
    features,
    '--labels',
    options.labels,
    '--out',
    options.out,
    '--feature-set-version',
    FEATURE_SET_VERSION,
  ];
  const opt = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) args.push(flag, String(v));
  };
  opt('--config', options.config);
  opt('--train-from', options.trainFrom);
  opt('--train-until', options.trainUntil);
  opt('--as-of', options.asOf);
  opt('--algorithm', options.algorithm);
  opt('--gap-days', options.gapDays);
  opt('--test-days', options.testDays);
  opt('--seed', options.seed);
  opt('--review-fpr', options.reviewFpr);
  opt('--review-cards-per-day', options.reviewCardsPerDay);
  opt('--block-fpr', options.blockFpr);
  opt('--register-as', options.registerAs);
  opt('--alias', options.alias);
  if (options.mlflow === false) args.push('--no-mlflow');
  try {
    return (await runPython('ml/training/train_model.py', args, root)) as TrainSummary;
  } finally {
    if (temporary) {
      await rm(temporary, { force: true });
      await rm(`${temporary}.meta.json`, { force: true });
    }
  }
}

/** Scores the rows of a features CSV in a window with several models; metrics per model on the same labels. */
export async function compareOnFeatures(options: {
  features: string;
  labels: string;
  window: TimeWindow;
  models: Record<string, { model: ModelScorer; threshold: number }>;
  k?: number;
}): Promise<Record<string, WindowMetrics>> {
  const rows = await readFeaturesCsv(options.features, options.window);
  if (rows.ids.length === 0) throw new FraudError('FRAUD_USAGE', 'no transactions in the comparison window');
  const labels = await readLabelMap(options.labels);
  const out: Record<string, WindowMetrics> = {};
  for (const [name, { model, threshold }] of Object.entries(options.models)) {
    const scores = new Float64Array(rows.ids.length);
    for (let i = 0; i < rows.ids.length; i += 4096) {
      scores.set(await model.score(rows.vectors.slice(i, i + 4096)), i);
    }
    const scored: ScoredRow[] = rows.ids.map((id, i) => ({
      score: scores[i]!,
      fraud: labels.get(id)?.fraud ?? false,
      day: rows.timestamps[i]!.slice(0, 10),
      card: rows.cards[i]!,
    }));
    out[name] = evaluateScores(scored, threshold, options.k ?? 50);
  }
  return out;
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
