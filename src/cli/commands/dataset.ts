import { once } from 'node:events';
import { type Command, numberFlag, openOutput, parseFlags, subcommands } from '../command.ts';

const importUsage = `Usage: bin/fraud dataset import --input FILE.csv --map "FIELD=COLUMN,..." --out FILE.jsonl [options]

Converts your CSV of historical transactions into the transactions contract (JSONL, one per line,
in input order). Rows that do not convert go to the reject file with their line number and reason;
they never stop the import.

  --input FILE.csv     your CSV, with a header row
  --map SPEC           contract field = your column, e.g.
                       "transaction_id=id,timestamp=ts,amount=value,card_id=pan_token,merchant_id=shop"
  --set SPEC           constants for fields you lack (also fill empty cells), e.g.
                       "currency=EUR,card_present=false,ip_address=0.0.0.0"
  --out FILE.jsonl     output
  --rejects FILE       reject file (default <out>.rejects.csv): line,reason,row
  --timezone ZONE      IANA zone of timestamps that carry none (default UTC)
  --date-order dmy|mdy how to read 03/04/2025 (default dmy: 3 April)
  --decimal .|,        decimal separator of amounts (default .)
  --delimiter C        CSV delimiter (default ,; use $'\\t' for TSV)
  --quiet              no progress on stderr

Fields: transaction_id timestamp amount currency card_id merchant_id merchant_category
customer_id merchant_country card_present device_id ip_address status.
Derived when absent: customer_id (= card_id), device_id (dev_unknown_<card_id>), currency
(from merchant_country, known countries), merchant_category (unknown), status (pending).
Timestamps: ISO-8601 with or without zone, epoch seconds or ms, YYYY-MM-DD HH:MM:SS, DD/MM/YYYY HH:MM.
Exit status: 0 when at least one row converted (rejects are reported, not fatal), 1 otherwise.`;

const labelsUsage = `Usage: bin/fraud dataset import-labels --input FILE.csv --map "FIELD=COLUMN,..." --out labels.csv [options]

Normalises your fraud labels to the labels CSV: transaction_id,is_fraud,labeled_at
(is_fraud 1/0, labeled_at ISO-8601 UTC). Bad rows go to the reject file with line and reason.

  --map SPEC              transaction_id=COL,is_fraud=COL,labeled_at=COL
                          (or timestamp=COL with --label-delay-days when you have no label date)
  --set SPEC              constants, e.g. "is_fraud=1" for a file listing only frauds
  --label-delay-days D    labeled_at = timestamp + D days (a pessimistic chargeback delay)
  --out labels.csv        output
  --rejects FILE          default <out>.rejects.csv
  --timezone, --date-order, --delimiter, --quiet   as for 'dataset import'`;

const usage = `Usage: bin/fraud dataset <import|import-labels> [options]

Bring your own data: convert your historical transactions and labels into the platform's contracts.
  import          CSV of transactions -> transactions JSONL (+ reject file)
  import-labels   CSV of labels -> labels CSV transaction_id,is_fraud,labeled_at

Example:
  bin/fraud dataset import --input tx.csv --map "transaction_id=id,timestamp=ts,..." --out tx.jsonl
Run 'bin/fraud dataset import --help' for every option.`;

const commonFlags = {
  input: { type: 'string' },
  map: { type: 'string' },
  set: { type: 'string' },
  out: { type: 'string' },
  rejects: { type: 'string' },
  timezone: { type: 'string' },
  'date-order': { type: 'string' },
  decimal: { type: 'string' },
  delimiter: { type: 'string' },
  'label-delay-days': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function runImport(argv: string[], kind: 'transactions' | 'labels'): Promise<number> {
  const { values } = parseFlags(argv, commonFlags);
  if (values.help) {
    process.stdout.write(`${kind === 'transactions' ? importUsage : labelsUsage}\n`);
    return 0;
  }
  const { FraudError } = await import('../../core/errors/index.ts');
  const { createReadStream } = await import('node:fs');
  const { stat } = await import('node:fs/promises');
  const ingestor = await import('../../services/ingestor/dataset-import.ts');
  const name = kind === 'transactions' ? 'import' : 'import-labels';
  for (const f of ['input', 'map', 'out'] as const) {
    if (!values[f])
      throw new FraudError(
        'FRAUD_USAGE',
        `dataset ${name} needs --${f}; see 'bin/fraud dataset ${name} --help'`,
      );
  }
  const input = values.input!;
  const outPath = values.out!;
  const info = await stat(input).catch(() => null);
  if (!info?.isFile()) throw new FraudError('FRAUD_USAGE', `--input ${input}: not a readable file`);
  const dateOrder = values['date-order'] ?? 'dmy';
  if (dateOrder !== 'dmy' && dateOrder !== 'mdy')
    throw new FraudError('FRAUD_USAGE', '--date-order must be dmy or mdy');
  const decimal = values.decimal ?? '.';
  if (decimal !== '.' && decimal !== ',') throw new FraudError('FRAUD_USAGE', '--decimal must be . or ,');
  if (kind === 'transactions' && values['label-delay-days'] !== undefined) {
    throw new FraudError('FRAUD_USAGE', '--label-delay-days belongs to dataset import-labels');
  }
  const spec = {
    map: ingestor.parseAssignments(values.map, 'map'),
    set: ingestor.parseAssignments(values.set, 'set'),
    timezone: values.timezone ?? 'UTC',
    dateOrder: dateOrder as 'dmy' | 'mdy',
    decimal: decimal as '.' | ',',
    delimiter: values.delimiter ?? ',',
    labelDelayDays:
      values['label-delay-days'] === undefined
        ? undefined
        : numberFlag('label-delay-days', values['label-delay-days'], 0),
  };
  const rejectsPath = values.rejects ?? `${outPath.replace(/\.(jsonl|csv)$/, '')}.rejects.csv`;
  const out = await openOutput(outPath, 'out');
  const rejects = await openOutput(rejectsPath, 'rejects');
  const started = performance.now();
  let lastProgress = started;
  let shown = 0;
  const quiet = values.quiet ?? false;
  const common = {
    input: createReadStream(input),
    out,
    rejects,
    spec,
    onReject: (r: { line: number; reason: string }) => {
      if (shown++ < 10) process.stderr.write(`dataset ${name}: line ${r.line}: ${r.reason}\n`);
    },
    onProgress: (rows: number) => {
      const now = performance.now();
      if (quiet || now - lastProgress < 1000) return;
      lastProgress = now;
      process.stderr.write(
        `dataset ${name}: ${rows} rows, ${Math.round(rows / ((now - started) / 1000))} rows/s\n`,
      );
    },
  };
  let summary: import('../../services/ingestor/dataset-import.ts').ImportSummary;
  try {
    summary =
      kind === 'transactions'
        ? await ingestor.streamImport({
            ...common,
            compile: ingestor.transactionConverter,
            format: (tx) => JSON.stringify(tx),
            idOf: (tx) => String(tx['transaction_id']),
            timeOf: (tx) => String(tx['timestamp']),
          })
        : await ingestor.streamImport({
            ...common,
            compile: ingestor.labelConverter,
            outHeader: 'transaction_id,is_fraud,labeled_at',
            format: (l) => `${ingestor.csvField(l.transaction_id)},${l.is_fraud ? 1 : 0},${l.labeled_at}`,
          });
  } finally {
    out.end();
    rejects.end();
    await Promise.all([once(out, 'close'), once(rejects, 'close')]);
  }
  if (shown > 10)
    process.stderr.write(`dataset ${name}: ... ${shown - 10} more rejected rows in ${rejectsPath}\n`);
  const elapsed = (performance.now() - started) / 1000;
  const byField = Object.entries(summary.rejectedByField)
    .sort((a, b) => b[1] - a[1])
    .map(([f, n]) => `${f} ${n}`)
    .join(', ');
  const lines = [
    `dataset ${name}: ${summary.rows} rows read, ${summary.converted} converted to ${outPath}, ${summary.rejected} rejected` +
      (summary.rejected ? ` to ${rejectsPath} (by field: ${byField})` : ''),
  ];
  if (summary.firstTimestamp)
    lines.push(`  event time ${summary.firstTimestamp} .. ${summary.lastTimestamp}`);
  if (summary.outOfOrder > 0) {
    lines.push(
      `  note: ${summary.outOfOrder} rows are earlier than the row before them; the output keeps input order`,
    );
  }
  lines.push(`  ${elapsed.toFixed(2)} s, ${Math.round(summary.rows / Math.max(elapsed, 1e-9))} rows/s`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return summary.converted > 0 || summary.rows === 0 ? 0 : 1;
}

const command: Command = {
  name: 'dataset',
  summary: 'Import your own transactions and labels from CSV (bring your own data)',
  usage,
  run: subcommands('dataset', usage, {
    import: (argv) => runImport(argv, 'transactions'),
    'import-labels': (argv) => runImport(argv, 'labels'),
  }),
};
export default command;
