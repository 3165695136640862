import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FraudError } from '../../core/errors/index.ts';
import { FileLabelStore } from './labels.ts';
import { metricsTable, type WindowMetrics } from './metrics.ts';
import { type Algorithm, compareOnFeatures, computeFeatures, train } from './train.ts';

const DAY = 86_400_000;

export interface RetrainOptions {
  readonly history: string;
  readonly dataDir: string;
  /** Extra labels CSVs merged with the label store (e.g. a chargeback file). */
  readonly labels?: readonly string[];
  /** The model to beat: a directory or `models:/name@alias`. Default `models:/fraud-detector@champion`, else models/default. */
  readonly champion?: string | null;
  readonly out: string;
  readonly algorithm?: Algorithm;
  readonly trainFrom?: string;
  readonly trainUntil?: string;
  readonly gapDays?: number;
  readonly testDays?: number;
  readonly registerAs?: string;
  readonly alias?: string;
  readonly mlflow?: boolean;
  readonly onProgress?: (message: string) => void;
}

export interface RetrainResult {
  challenger: { version: string; out: string; registered?: string };
  champion: { version: string } | null;
  window: { from: string; until: string };
  metrics: Record<string, WindowMetrics>;
  table: string;
}

/**
 * `bin/fraud retrain` (issue 5, item 9): rebuilds the training set point-in-time from the
 * history and every label in the store (+ extra CSVs), trains a challenger, evaluates it and
 * the champion on the same test window with the same code, and registers it as `challenger`.
 * Promotion stays a human decision (`bin/fraud models promote`).
 */
export async function retrain(options: RetrainOptions): Promise<RetrainResult> {
  const say = options.onProgress ?? (() => {});
  const work = join(resolve(options.out), '..', `.retrain-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    const store = new FileLabelStore(options.dataDir);
    const labels = join(work, 'labels.csv');
    const n = await store.exportCsv(labels, options.labels ?? []);
    if (n === 0)
      throw new FraudError(
        'FRAUD_USAGE',
        `no labels: the store ${store.path} is empty and no --labels file was given`,
      );
    say(
      `labels: ${n} transactions labelled (store ${store.path}${options.labels?.length ? ` + ${options.labels.join(', ')}` : ''})`,
    );
    const features = join(work, 'features.csv');
    const backfill = await computeFeatures(options.history, labels, features, say);
    if (backfill.transactions === 0)
      throw new FraudError('FRAUD_USAGE', `no valid transaction in ${options.history}`);

    // Default split: the last `testDays` of the history are the test window, after a label-delay gap.
    const { readFeaturesCsv } = await import('./scoring.ts');
    const all = await readFeaturesCsv(features, { from: null, until: null }, []);
    let last = 0;
    for (const t of all.timestamps) last = Math.max(last, Date.parse(t));
    const testDays = options.testDays ?? 7;
    const gapDays = options.gapDays ?? 7;
    const testUntil = Math.floor(last / DAY) * DAY + DAY;
    const testFrom = testUntil - testDays * DAY;
    const trainUntil = options.trainUntil ?? new Date(testFrom - gapDays * DAY).toISOString();
    const result = await train({
      features,
      labels,
      out: options.out,
      trainFrom: options.trainFrom,
      trainUntil,
      gapDays: (testFrom - Date.parse(trainUntil)) / DAY,
      testDays,
      algorithm: options.algorithm,
      registerAs: options.registerAs,
      alias: options.alias ?? 'challenger',
      mlflow: options.mlflow,
    });

    const { loadModel } = await import('../../adapters/model-onnx/index.ts');
    const challenger = await loadModel(options.out);
    let championSpec = options.champion;
    let champion = null;
    if (championSpec === undefined) {
      championSpec = `models:/${options.registerAs ?? 'fraud-detector'}@champion`;
      champion = await loadModel(championSpec).catch(() => null);
      if (!champion) champion = await loadModel(null).catch(() => null);
    } else {
      champion = await loadModel(championSpec);
    }
    const window = { from: testFrom, until: testUntil };
    const models: Record<string, { model: NonNullable<typeof challenger>; threshold: number }> = {};
    if (champion)
      models[`champion ${champion.version}`] = { model: champion, threshold: champion.thresholds.review };
    models[`challenger ${challenger!.version}`] = {
      model: challenger!,
      threshold: challenger!.thresholds.review,
    };
    const metrics = await compareOnFeatures({ features, labels, window, models });
    await champion?.close();
    await challenger?.close();
    const table = metricsTable(metrics);
    const windowText = { from: new Date(testFrom).toISOString(), until: new Date(testUntil).toISOString() };
    await writeFile(
      join(options.out, 'comparison.md'),
      `# Champion vs challenger\n\nSame test window [${windowText.from}, ${windowText.until}), same labels, each model at its own review threshold.\n\n${table}\n`,
    );
    return {
      challenger: {
        version: result.model_version,
        out: options.out,
        ...(result.mlflow?.version
          ? { registered: `${result.mlflow.registered_model}/${result.mlflow.version}` }
          : {}),
      },
      champion: champion ? { version: champion.version } : null,
      window: windowText,
      metrics,
      table,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
