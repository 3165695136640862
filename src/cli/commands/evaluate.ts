import { type Command, numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud evaluate --scores scores.csv --labels labels.csv [--threshold T] [--k N] [--json]

Prints the fraud metrics of a scores CSV (from bin/fraud score) against labels: ROC AUC,
average precision (PR AUC), precision / recall / F1 / false-positive rate at the threshold,
recall at 0.1 % and 1 % FPR, card precision@k per day (averaged over days), Brier score and
expected calibration error. Every label in the file counts (evaluation looks back after the
label delay); an unlabelled transaction counts as legitimate.

Options:
  --threshold T   flag at score ≥ T (default: the decisions in the file: review or block = flagged)
  --k N           k of card precision@k (default 50)
  --json          print JSON instead of a table`;

const command: Command = {
  name: 'evaluate',
  summary: 'Print fraud metrics (ROC/PR AUC, recall at FPR, card precision@k, calibration) of a scores CSV',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      scores: { type: 'string' },
      labels: { type: 'string' },
      threshold: { type: 'string' },
      k: { type: 'string' },
      json: { type: 'boolean' },
    });
    const { FraudError } = await import('../../core/errors/index.ts');
    const { existsSync } = await import('node:fs');
    if (!values.scores || !values.labels)
      throw new FraudError(
        'FRAUD_USAGE',
        '--scores and --labels are required; see bin/fraud evaluate --help',
      );
    for (const f of [values.scores, values.labels])
      if (!existsSync(f)) throw new FraudError('FRAUD_USAGE', `file not found: ${f}`);
    const { evaluateScoresFile, metricsTable } = await import('../../services/ml/index.ts');
    const r = await evaluateScoresFile({
      scores: values.scores,
      labels: values.labels,
      threshold: values.threshold === undefined ? undefined : numberFlag('threshold', values.threshold, 0.5),
      k: numberFlag('k', values.k, 50),
    });
    for (const b of r.badLines.slice(0, 20))
      process.stderr.write(`evaluate: skipped ${b.file}:${b.line}: ${b.reason}\n`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(r.metrics, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`${metricsTable({ [values.scores]: r.metrics })}\n`);
    process.stderr.write(
      `evaluate: ${r.metrics.rows} scored transactions, ${r.metrics.positives} fraud, threshold ${r.threshold.toFixed(6)}; ${r.unlabeledPositives} fraud labels are for transactions outside the scores file\n`,
    );
    return 0;
  },
};
export default command;
