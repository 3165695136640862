import { once } from 'node:events';
import { type Command, numberFlag, openOutput, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud simulate [options]

Generates seeded synthetic card transactions with labelled fraud scenarios (card testing,
account takeover, fraud ring, compromised merchant, amount outlier, impossible travel, friendly fraud).

History mode (--out): writes an event-time-ordered JSONL history and its labels CSV.
  bin/fraud simulate --count 300000 --seed 11 --out /tmp/h.jsonl
Live mode (no --out): publishes at --rate tx/s to Kafka (KAFKA_BROKERS), timestamps = now,
keyed by card_id; labels go to the labels topic once due (if the run still lasts).
  KAFKA_BROKERS=127.0.0.1:9092 bin/fraud simulate --rate 200 --duration 60

Options:
  --rate N            live: transactions per second (default 20)
  --count N           number of transactions (history: required unless --duration)
  --duration S        live: stop after S seconds; history: count = rate x S
  --seed K            seed of every random choice (default 1); same seed => same bytes
  --out FILE.jsonl    history mode: write transactions here
  --labels-out FILE   labels CSV (default <FILE without .jsonl>.labels.csv)
  --days D            history: days the history spans (default 56)
  --start ISO         history: first day (default 2025-01-06T00:00:00Z)
  --fraud-rate R      share of fraudulent transactions (default 0.01)
  --customers N       population size (default 5000; merchants = customers / 5, min 200)
  --time-scale X      multiplies scenario and label delays (default 1; live demos: 0.001)
  --topic T           live: transactions topic (default transactions)
  --labels-topic T    live: labels topic (default labels)
  --quiet             no progress on stderr
`;

const MB = 1 << 20;

interface Common {
  seed: number;
  fraudRate: number;
  customers: number;
  count: number | undefined;
  quiet: boolean;
}

const command: Command = {
  name: 'simulate',
  summary: 'Generate labelled synthetic transactions to Kafka or a JSONL history file',
  usage,
  async run(argv) {
    const { FraudError } = await import('../../core/errors/index.ts');
    const { values } = parseFlags(argv, {
      rate: { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'labels-out': { type: 'string' },
      days: { type: 'string' },
      start: { type: 'string' },
      'fraud-rate': { type: 'string' },
      customers: { type: 'string' },
      'time-scale': { type: 'string' },
      topic: { type: 'string' },
      'labels-topic': { type: 'string' },
      quiet: { type: 'boolean' },
    });
    const integer = (name: string, v: string | undefined, fallback: number) => {
      const n = numberFlag(name, v, fallback);
      if (!Number.isInteger(n))
        throw new FraudError('FRAUD_USAGE', `--${name} must be an integer, got '${v}'`);
      return n;
    };
    const rate = numberFlag('rate', values.rate, 20);
    const duration = values.duration === undefined ? undefined : numberFlag('duration', values.duration, 0);
    const fraudRate = numberFlag('fraud-rate', values['fraud-rate'], 0.01);
    if (fraudRate > 0.5)
      throw new FraudError('FRAUD_USAGE', `--fraud-rate must be at most 0.5, got ${fraudRate}`);
    const timeScale = numberFlag('time-scale', values['time-scale'], 1);
    if (timeScale <= 0) throw new FraudError('FRAUD_USAGE', '--time-scale must be positive');
    const common: Common = {
      seed: integer('seed', values.seed, 1),
      fraudRate,
      customers: integer('customers', values.customers, 5000),
      count: values.count === undefined ? undefined : integer('count', values.count, 0),
      quiet: values.quiet ?? false,
    };
    if (values.out !== undefined) {
      let count = common.count;
      if (count === undefined && duration !== undefined) count = Math.round(rate * duration);
      if (count === undefined) {
        throw new FraudError('FRAUD_USAGE', '--out needs --count N (or --duration S with --rate N)');
      }
      const days = numberFlag('days', values.days, 56);
      if (days <= 0) throw new FraudError('FRAUD_USAGE', '--days must be positive');
      let start: number | undefined;
      if (values.start !== undefined) {
        start = Date.parse(values.start);
        if (Number.isNaN(start))
          throw new FraudError('FRAUD_USAGE', `--start '${values.start}' is not an ISO date`);
      }
      const labelsOut = values['labels-out'] ?? `${values.out.replace(/\.jsonl$/, '')}.labels.csv`;
      return writeHistory({ ...common, count, days, start, timeScale, out: values.out, labelsOut });
    }
    if (rate <= 0) throw new FraudError('FRAUD_USAGE', '--rate must be positive');
    return publishLive({
      ...common,
      rate,
      duration,
      timeScale,
      topic: values.topic ?? 'transactions',
      labelsTopic: values['labels-topic'] ?? 'labels',
    });
  },
};
export default command;

function progress(quiet: boolean) {
  const started = performance.now();
  let lastReport = started;
  return {
    started,
    /** Reports at most once a second, only after the first second (short runs stay silent). */
    tick(done: number, total: number | undefined) {
      const now = performance.now();
      if (quiet || now - lastReport < 1000) return;
      lastReport = now;
      const rate = Math.round(done / ((now - started) / 1000));
      const of = total ? `/${total} (${Math.floor((100 * done) / total)}%)` : '';
      process.stderr.write(`simulate: ${done}${of} transactions, ${rate} tx/s\n`);
    },
    elapsedS: () => (performance.now() - started) / 1000,
  };
}

function scenarioSummary(stats: import('../../services/ingestor/index.ts').SimulatorStats): string {
  const parts = Object.entries(stats.byScenario).map(([k, v]) => `${k} ${v}`);
  const pct = stats.transactions ? ((100 * stats.frauds) / stats.transactions).toFixed(2) : '0.00';
  return `frauds ${stats.frauds} (${pct}%): ${parts.join(', ')}`;
}

async function writeHistory(
  o: Common & {
    count: number;
    days: number;
    start: number | undefined;
    timeScale: number;
    out: string;
    labelsOut: string;
  },
): Promise<number> {
  const { createSimulator, transactionJson, compareLabels, labelCsvRow, LABELS_CSV_HEADER } = await import(
    '../../services/ingestor/index.ts'
  );
  type Label = import('../../core/contracts/label.ts').Label;
  const sim = createSimulator({
    seed: o.seed,
    fraudRate: o.fraudRate,
    customers: o.customers,
    count: o.count,
    spanDays: o.days,
    start: o.start,
    timeScale: o.timeScale,
  });
  const p = progress(o.quiet);
  const out = await openOutput(o.out, 'out');
  const labelsOut = await openOutput(o.labelsOut, 'labels-out');
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const labels: Label[] = [];
  let buf = '';
  let first = '';
  let last = '';
  for (let i = 0; i < o.count; i++) {
    const e = sim.next();
    if (i === 0) first = e.transaction.timestamp;
    last = e.transaction.timestamp;
    buf += `${transactionJson(e.transaction)}\n`;
    if (e.label) labels.push(e.label);
    if (buf.length >= MB) {
      await write(buf);
      buf = '';
      p.tick(i + 1, o.count);
    }
  }
  await write(buf);
  out.end();
  await once(out, 'finish');

  labels.sort(compareLabels);
  labelsOut.write(`${LABELS_CSV_HEADER}\n`);
  let lbuf = '';
  for (const l of labels) lbuf += `${labelCsvRow(l)}\n`;
  labelsOut.end(lbuf);
  await once(labelsOut, 'finish');

  const stats = sim.stats();
  const elapsed = p.elapsedS();
  process.stdout.write(
    [
      `simulate: wrote ${o.count} transactions to ${o.out}${o.count ? ` (${first} .. ${last})` : ''}`,
      `  ${scenarioSummary(stats)}`,
      `  labels ${stats.labels} (${stats.frauds} fraud, ${stats.reviewedLegit} reviewed legitimate) to ${o.labelsOut}`,
      `  seed ${o.seed}, ${sim.options.customers} customers, ${sim.options.merchants} merchants; ${elapsed.toFixed(2)} s, ${Math.round(o.count / elapsed)} tx/s`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function publishLive(
  o: Common & {
    rate: number;
    duration: number | undefined;
    timeScale: number;
    topic: string;
    labelsTopic: string;
  },
): Promise<number> {
  const { FraudError } = await import('../../core/errors/index.ts');
  const { loadConfig } = await import('../../config/index.ts');
  const config = loadConfig();
  if (!config.kafkaBrokers) {
    throw new FraudError(
      'FRAUD_USAGE',
      'publishing needs Kafka: set KAFKA_BROKERS=host:port (e.g. after `bin/fraud infra up kafka`), ' +
        'or write a history file with --out FILE.jsonl. `bin/fraud up` runs the embedded platform with this simulator in-process.',
    );
  }
  const { createBus } = await import('../../platform/index.ts');
  const { createSimulator, runLiveFeed } = await import('../../services/ingestor/index.ts');
  const bus = createBus(config);
  try {
    await bus.ensureTopics([
      { name: o.topic, partitions: config.partitions },
      { name: o.labelsTopic, partitions: config.partitions },
    ]);
  } catch (err) {
    await bus.close().catch(() => {});
    throw new FraudError(
      'FRAUD_DEPENDENCY_UNAVAILABLE',
      `Kafka at ${config.kafkaBrokers.join(',')}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  // Live ids carry the run's start (base 36) so that successive runs never reuse an id: the
  // transaction id is the pipeline's idempotency key.
  const sim = createSimulator({
    seed: o.seed,
    fraudRate: o.fraudRate,
    customers: o.customers,
    timeScale: o.timeScale,
    idPrefix: `tx_${Date.now().toString(36)}_`,
  });
  const p = progress(o.quiet);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let result: Awaited<ReturnType<typeof runLiveFeed>>;
  try {
    result = await runLiveFeed({
      bus,
      simulator: sim,
      rate: o.rate,
      count: o.count,
      durationMs: o.duration === undefined ? undefined : o.duration * 1000,
      topic: o.topic,
      labelsTopic: o.labelsTopic,
      signal: abort.signal,
      onTick: (sent) => p.tick(sent, o.count),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await bus.close();
  }
  const { sent, labelsSent, labelsPending, stats } = result;
  const elapsed = p.elapsedS();
  process.stdout.write(
    [
      `simulate: published ${sent} transactions to '${o.topic}' on ${config.kafkaBrokers.join(',')}`,
      `  ${scenarioSummary(stats)}`,
      `  labels: ${labelsSent} published to '${o.labelsTopic}', ${labelsPending} not yet due when the run ended`,
      `  ${elapsed.toFixed(1)} s, ${Math.round(sent / elapsed)} tx/s (target ${o.rate})`,
      '',
    ].join('\n'),
  );
  return 0;
}
