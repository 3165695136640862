import { type Command, numberFlag, parseFlags, subcommands } from '../command.ts';

const BACKFILL_USAGE = `Usage: bin/fraud features backfill --input history.jsonl [--labels labels.csv] --out features.csv
                                [--allowed-lateness-seconds N] [--max-bad-reports N]

Computes, for every transaction of a history (JSONL, one transaction per line, in arrival
order), exactly the point-in-time feature vector the online path computed: state before the
transaction, no future events, no label before its labeled_at. Streams: memory stays bounded
by the feature state, not by the file.

Output CSV: transaction_id,timestamp,card_id,customer_id,merchant_id,<every feature in
catalogue order>; a missing feature is an empty cell. Bad lines are reported on stderr with
their line number, skipped and counted; progress goes to stderr, a summary at the end (with
the CPU seconds of each thread: this thread runs the feature engine in input order, a worker
thread reads, parses and validates the input and formats and writes the CSV).

Options:
  --input FILE                     history JSONL (required)
  --labels FILE                    labels CSV: transaction_id,is_fraud,labeled_at[,scenario]
  --out FILE                       output CSV (required)
  --allowed-lateness-seconds N     out-of-order tolerance, as online (default 300)
  --max-bad-reports N              bad lines printed individually (default 20; all are counted)`;

const CATALOGUE_USAGE = `Usage: bin/fraud features catalogue [--json]

Prints the feature set version and every feature in vector order (name, entity, window,
aggregation); --json prints the full definitions.`;

const USAGE = `Usage: bin/fraud features <subcommand>

Subcommands:
  backfill    compute point-in-time features for a history file (training sets, backtests)
  catalogue   list the feature catalogue and its version

See docs/features.md and docs/feature-catalogue.md.`;

async function backfill(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${BACKFILL_USAGE}\n`);
    return 0;
  }
  const { values } = parseFlags(argv, {
    input: { type: 'string' },
    labels: { type: 'string' },
    out: { type: 'string' },
    'allowed-lateness-seconds': { type: 'string' },
    'max-bad-reports': { type: 'string' },
  });
  const { FraudError } = await import('../../core/errors/index.ts');
  if (!values.input || !values.out) {
    throw new FraudError(
      'FRAUD_USAGE',
      '--input and --out are required; see bin/fraud features backfill --help',
    );
  }
  const lateness = numberFlag('allowed-lateness-seconds', values['allowed-lateness-seconds'], 300);
  const maxReports = numberFlag('max-bad-reports', values['max-bad-reports'], 20);
  const { existsSync } = await import('node:fs');
  for (const f of [values.input, values.labels]) {
    if (f !== undefined && !existsSync(f)) throw new FraudError('FRAUD_USAGE', `file not found: ${f}`);
  }
  const { backfillToCsv } = await import('../../services/backfill/index.ts');
  let reported = 0;
  let suppressed = 0;
  const err = process.stderr;
  const result = await backfillToCsv({
    input: values.input,
    labels: values.labels,
    out: values.out,
    allowedLatenessMs: lateness * 1000,
    onBadLine: (bad) => {
      if (reported < maxReports) {
        reported++;
        err.write(`backfill: skipped ${bad.file}:${bad.line}: ${bad.reason}\n`);
      } else suppressed++;
    },
    onProgress: (s, ms) => {
      err.write(
        `backfill: ${s.transactions.toLocaleString('en')} transactions, ${Math.round(s.transactions / (ms / 1000)).toLocaleString('en')} tx/s, ${s.badLines} bad lines\n`,
      );
    },
  });
  if (suppressed > 0) err.write(`backfill: ${suppressed} more bad lines not shown\n`);
  const secs = result.elapsedMs / 1000;
  err.write(
    [
      `backfill: done in ${secs.toFixed(1)} s — ${result.transactions.toLocaleString('en')} transactions (${Math.round(result.transactions / secs).toLocaleString('en')} tx/s) → ${result.out}`,
      `  feature set ${result.featureSetVersion}, ${result.engine.applied} applied, ${result.engine.replays} duplicate transaction ids, ${result.engine.lateEvents} late beyond the allowed lateness`,
      ...(result.threadCpu
        ? [
            `  CPU seconds per thread: engine ${result.threadCpu.engine.toFixed(2)}, I/O (read, parse, validate, format, write) ${result.threadCpu.io.toFixed(2)}`,
          ]
        : []),
      `  bad lines: ${result.badLines} in the input, ${result.badLabelLines} in the labels`,
      `  labels: ${result.labels} read, ${result.fraudLabels} fraud, ${result.engine.labelsApplied} applied, ${result.engine.labelsPending} without a transaction in the history, ${result.engine.labelsDuplicate} duplicates`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function catalogue(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${CATALOGUE_USAGE}\n`);
    return 0;
  }
  const { values } = parseFlags(argv, { json: { type: 'boolean' } });
  const { FEATURE_DEFINITIONS, FEATURE_SET_VERSION } = await import('../../core/features/index.ts');
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ version: FEATURE_SET_VERSION, features: FEATURE_DEFINITIONS }, null, 2)}\n`,
    );
    return 0;
  }
  // Piped into `head`, stdout closes early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const lines = FEATURE_DEFINITIONS.map(
    (d, i) =>
      `${String(i).padStart(3)}  ${d.name.padEnd(36)} ${d.entity.padEnd(18)} ${(d.window?.label ?? '-').padEnd(4)} ${d.aggregation}`,
  );
  process.stdout.write(
    `feature set ${FEATURE_SET_VERSION} (${FEATURE_DEFINITIONS.length} features)\n${lines.join('\n')}\n`,
  );
  return 0;
}

const command: Command = {
  name: 'features',
  summary: 'Feature catalogue and offline point-in-time backfill',
  usage: USAGE,
  run: subcommands('features', USAGE, { backfill, catalogue }),
};
export default command;
