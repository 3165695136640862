import { type Command, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud score --history FILE.jsonl [--labels labels.csv] --model DIR|models:/NAME@ALIAS
                  [--from DATE] [--until DATE] --out scores.csv

Batch scoring and backtest. Replays the history point-in-time with the feature backfill engine
(labels become visible to the features only from their labeled_at), scores every transaction
whose timestamp is in [--from, --until) with the model, and writes
  transaction_id,score,decision,timestamp,card_id,model_version
The decision uses the model's thresholds (model.json): block ≥ block, review ≥ review.
Evaluate the result with: bin/fraud evaluate --scores scores.csv --labels labels.csv

Options:
  --model SPEC      model directory, models:/NAME@ALIAS or models:/NAME/VERSION
                    (default: FRAUD_MODEL, else models/default)
  --from / --until  half-open window, UTC dates or ISO-8601 (default: the whole history)`;

const command: Command = {
  name: 'score',
  summary: 'Batch-score a history point-in-time with a model (backtest) into a scores CSV',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      history: { type: 'string' },
      labels: { type: 'string' },
      model: { type: 'string' },
      from: { type: 'string' },
      until: { type: 'string' },
      out: { type: 'string' },
    });
    const { FraudError } = await import('../../core/errors/index.ts');
    const { existsSync } = await import('node:fs');
    if (!values.history || !values.out)
      throw new FraudError('FRAUD_USAGE', '--history and --out are required; see bin/fraud score --help');
    for (const f of [values.history, values.labels]) {
      if (f !== undefined && !existsSync(f)) throw new FraudError('FRAUD_USAGE', `file not found: ${f}`);
    }
    const { parseInstant, scoreHistory } = await import('../../services/ml/index.ts');
    const window = { from: parseInstant('from', values.from), until: parseInstant('until', values.until) };
    const { loadModel } = await import('../../adapters/model-onnx/index.ts');
    const model = await loadModel(values.model ?? process.env['FRAUD_MODEL'] ?? null);
    if (!model)
      throw new FraudError(
        'FRAUD_MODEL_UNAVAILABLE',
        'no model: pass --model (models/default is not present)',
      );
    process.stderr.write(`score: model ${model.version} (${model.source.dir})\n`);
    let last = performance.now();
    let bad = 0;
    const summary = await scoreHistory({
      history: values.history,
      labels: values.labels,
      models: [{ model, thresholds: model.thresholds }],
      window,
      out: values.out,
      onBadLine: (b) => {
        if (++bad <= 20) process.stderr.write(`score: skipped ${b.file}:${b.line}: ${b.reason}\n`);
      },
      onProgress: (done, scored) => {
        const now = performance.now();
        if (now - last >= 1000) {
          last = now;
          process.stderr.write(
            `score: ${done.toLocaleString('en')} transactions replayed, ${scored.toLocaleString('en')} scored\n`,
          );
        }
      },
    });
    await model.close();
    const d = summary.decisions;
    process.stderr.write(
      [
        `score: done in ${(summary.elapsedMs / 1000).toFixed(1)} s — ${summary.scored.toLocaleString('en')} of ${summary.transactions.toLocaleString('en')} transactions scored → ${values.out}`,
        `  decisions: ${d.approve} approve, ${d.review} review, ${d.block} block; ${summary.badLines} bad lines skipped`,
        `  model scoring: ${summary.scored ? ((summary.scoringMs * 1000) / summary.scored).toFixed(2) : '0'} µs per transaction (batches of up to 2048)`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
export default command;
