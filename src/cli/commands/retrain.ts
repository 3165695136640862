import { type Command, numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud retrain --history FILE.jsonl [--labels FILE.csv]... --out DIR
                    [--champion SPEC] [--algorithm xgboost|lightgbm|logreg]
                    [--train-from DATE] [--train-until DATE] [--gap-days N] [--test-days N]
                    [--import-labels FILE.csv] [--register-as NAME] [--no-mlflow]

The feedback loop. Labels from analysts and chargebacks accumulate in the label store
(<data dir>/labels/labels.jsonl; fed from the labels topic or --import-labels). retrain:
  1. merges the store with any --labels files (latest label per transaction wins);
  2. rebuilds the training set point-in-time with the feature backfill;
  3. trains a challenger (test window = the last --test-days of the history, after a
     --gap-days label-delay gap);
  4. scores champion and challenger on that same test window with the same code;
  5. registers the challenger in MLflow with the alias challenger.
Promotion stays a decision: bin/fraud models promote fraud-detector VERSION --alias champion

Options:
  --champion SPEC        model to beat (default models:/fraud-detector@champion, else models/default)
  --import-labels FILE   append a labels CSV to the store first (source: import)
  --register-as NAME     registered model name (default fraud-detector)
  --no-mlflow            do not track or register`;

const command: Command = {
  name: 'retrain',
  summary: 'Retrain on the label store point-in-time, compare with the champion, register the challenger',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      history: { type: 'string' },
      labels: { type: 'string', multiple: true },
      out: { type: 'string' },
      champion: { type: 'string' },
      algorithm: { type: 'string' },
      'train-from': { type: 'string' },
      'train-until': { type: 'string' },
      'gap-days': { type: 'string' },
      'test-days': { type: 'string' },
      'import-labels': { type: 'string' },
      'register-as': { type: 'string' },
      'no-mlflow': { type: 'boolean' },
    });
    const { FraudError } = await import('../../core/errors/index.ts');
    const { existsSync } = await import('node:fs');
    if (!values.history || !values.out)
      throw new FraudError('FRAUD_USAGE', '--history and --out are required; see bin/fraud retrain --help');
    for (const f of [values.history, ...(values.labels ?? []), values['import-labels']]) {
      if (f !== undefined && !existsSync(f)) throw new FraudError('FRAUD_USAGE', `file not found: ${f}`);
    }
    const { loadConfig } = await import('../../config/index.ts');
    const { ALGORITHMS, FileLabelStore, retrain } = await import('../../services/ml/index.ts');
    const algorithm = values.algorithm ?? 'xgboost';
    if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new FraudError('FRAUD_USAGE', `--algorithm must be one of ${ALGORITHMS.join(', ')}`);
    }
    const config = loadConfig();
    if (values['import-labels']) {
      const r = await new FileLabelStore(config.dataDir).importCsv(values['import-labels']);
      process.stderr.write(
        `retrain: imported ${r.added} labels into the store (${r.bad} bad lines skipped)\n`,
      );
    }
    const started = performance.now();
    const result = await retrain({
      history: values.history,
      dataDir: config.dataDir,
      labels: values.labels,
      champion: values.champion,
      out: values.out,
      algorithm: algorithm as (typeof ALGORITHMS)[number],
      trainFrom: values['train-from'],
      trainUntil: values['train-until'],
      gapDays: values['gap-days'] === undefined ? undefined : numberFlag('gap-days', values['gap-days'], 7),
      testDays:
        values['test-days'] === undefined ? undefined : numberFlag('test-days', values['test-days'], 7),
      registerAs: values['register-as'],
      mlflow: !values['no-mlflow'],
      onProgress: (m) => process.stderr.write(`retrain: ${m}\n`),
    });
    process.stdout.write(`Test window [${result.window.from}, ${result.window.until})\n\n${result.table}\n`);
    process.stderr.write(
      `retrain: done in ${((performance.now() - started) / 1000).toFixed(1)} s — challenger ${result.challenger.version}${result.challenger.registered ? ` registered as ${result.challenger.registered} @challenger` : ''}; champion ${result.champion?.version ?? 'none'}\n`,
    );
    return 0;
  },
};
export default command;
