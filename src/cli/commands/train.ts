import { type Command, numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud train --history FILE.jsonl --labels labels.csv --out DIR
                  [--train-from DATE] [--train-until DATE] [--as-of DATE]
                  [--algorithm xgboost|lightgbm|logreg] [--gap-days N] [--test-days N]
                  [--review-fpr R | --review-cards-per-day N] [--block-fpr R] [--seed K]
                  [--register-as NAME] [--alias challenger|champion] [--no-mlflow]
                  [--features FILE] [--features-out FILE] [--config ml/configs/experiment.yaml]

Trains a fraud model on point-in-time features. The TypeScript offline backfill computes the
features (the one feature definition, labels visible only from their labeled_at), then
ml/training/train_model.py (in .venv, created by scripts/setup.sh python) trains, evaluates on
a later test window, exports ONNX and tracks the run in MLflow.

Windows are half-open [from, until), dates in UTC (YYYY-MM-DD or ISO-8601).
  --train-from / --train-until   train window (default: the whole history)
  --as-of DATE                   training cutoff: only labels known before it make the target
                                 (default: the end of the history: every label counts)
  --gap-days N                   label-delay gap before the test window (default 7)
  --test-days N                  test window length (default 7)
  --algorithm A                  xgboost (default), lightgbm or logreg
  --review-fpr R                 review threshold at this validation FPR (default 0.01)
  --review-cards-per-day N       ... or for a daily review capacity (cards/day)
  --block-fpr R                  block threshold at this validation FPR (default 0.001)
  --register-as NAME             MLflow registered model (default fraud-detector)
  --alias A                      alias for the new version (e.g. challenger)
  --no-mlflow                    do not track or register
  --features FILE                reuse a features CSV from bin/fraud features backfill
  --features-out FILE            keep the computed features CSV here

Writes DIR/model.onnx, model.json, explain.json, report.{json,md}, roc.png, pr.png.
MLflow: local store ml/mlflow.db (MLFLOW_TRACKING_URI for a server); see the runs with
  .venv/bin/mlflow ui --backend-store-uri sqlite:///ml/mlflow.db

Example:
  bin/fraud simulate --count 300000 --seed 11 --out /tmp/h.jsonl
  bin/fraud train --history /tmp/h.jsonl --labels /tmp/h.labels.csv \\
    --train-from 2025-01-06 --train-until 2025-02-10 --out /tmp/model`;

const command: Command = {
  name: 'train',
  summary: 'Train a model on point-in-time features (XGBoost, LightGBM, logreg) and register it',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      history: { type: 'string' },
      labels: { type: 'string' },
      out: { type: 'string' },
      'train-from': { type: 'string' },
      'train-until': { type: 'string' },
      'as-of': { type: 'string' },
      algorithm: { type: 'string' },
      'gap-days': { type: 'string' },
      'test-days': { type: 'string' },
      'review-fpr': { type: 'string' },
      'review-cards-per-day': { type: 'string' },
      'block-fpr': { type: 'string' },
      seed: { type: 'string' },
      'register-as': { type: 'string' },
      alias: { type: 'string' },
      'no-mlflow': { type: 'boolean' },
      features: { type: 'string' },
      'features-out': { type: 'string' },
      config: { type: 'string' },
    });
    const { FraudError } = await import('../../core/errors/index.ts');
    const { existsSync } = await import('node:fs');
    const { ALGORITHMS, parseInstant, train } = await import('../../services/ml/index.ts');
    if (!values.labels || !values.out || (!values.history && !values.features)) {
      throw new FraudError(
        'FRAUD_USAGE',
        '--history (or --features), --labels and --out are required; see bin/fraud train --help',
      );
    }
    for (const f of [values.history, values.labels, values.features, values.config]) {
      if (f !== undefined && !existsSync(f)) throw new FraudError('FRAUD_USAGE', `file not found: ${f}`);
    }
    const algorithm = values.algorithm ?? 'xgboost';
    if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new FraudError(
        'FRAUD_USAGE',
        `--algorithm must be one of ${ALGORITHMS.join(', ')}, got '${algorithm}'`,
      );
    }
    // Validate dates here, with the flag named, before minutes of backfill.
    for (const flag of ['train-from', 'train-until', 'as-of'] as const) parseInstant(flag, values[flag]);
    const num = (flag: string, v: string | undefined) =>
      v === undefined ? undefined : numberFlag(flag, v, 0);
    const started = performance.now();
    const summary = await train({
      history: values.history,
      features: values.features,
      featuresOut: values['features-out'],
      labels: values.labels,
      out: values.out,
      trainFrom: values['train-from'],
      trainUntil: values['train-until'],
      asOf: values['as-of'],
      algorithm: algorithm as (typeof ALGORITHMS)[number],
      gapDays: num('gap-days', values['gap-days']),
      testDays: num('test-days', values['test-days']),
      reviewFpr: num('review-fpr', values['review-fpr']),
      reviewCardsPerDay: num('review-cards-per-day', values['review-cards-per-day']),
      blockFpr: num('block-fpr', values['block-fpr']),
      seed: num('seed', values.seed),
      registerAs: values['register-as'],
      alias: values.alias,
      mlflow: !values['no-mlflow'],
      config: values.config,
      onProgress: (m) => process.stderr.write(`train: ${m}\n`),
    });
    const { metricsTable } = await import('../../services/ml/index.ts');
    const windows = Object.fromEntries(
      Object.entries(summary.results).map(([w, r]) => [
        w,
        {
          ...r,
          brier: (r.calibration as { brier: number }).brier,
          ece: (r.calibration as { ece: number }).ece,
        },
      ]),
    );
    process.stdout.write(`${metricsTable(windows)}\n\n`);
    const reg = summary.mlflow;
    process.stderr.write(
      [
        `train: done in ${((performance.now() - started) / 1000).toFixed(1)} s — model ${summary.model_version} → ${summary.out}`,
        `  thresholds: review ≥ ${summary.thresholds.review.toFixed(6)}, block ≥ ${summary.thresholds.block.toFixed(6)} (${summary.thresholds.policy})`,
        reg
          ? `  MLflow run ${reg.run_id}${reg.version ? `, registered ${reg.registered_model} version ${reg.version}${reg.alias ? ` @${reg.alias}` : ''}` : ''} (${reg.tracking_uri})`
          : '  MLflow: not tracked (--no-mlflow)',
        `  report: ${summary.out}/report.md`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
export default command;
