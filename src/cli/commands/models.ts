import { type Command, numberFlag, parseFlags, subcommands } from '../command.ts';

const USAGE = `Usage: bin/fraud models <subcommand>

Subcommands:
  list [--name NAME]                          registered versions and their aliases (MLflow)
  promote NAME VERSION [--alias champion]     point an alias at a version; serving hot-swaps
  compare --history FILE --labels FILE ...    champion vs challenger on the same traffic and labels
  show [SPEC]                                 what a model is (version, features, thresholds, metrics)

SPEC is a directory, models:/NAME@ALIAS or models:/NAME/VERSION. The registry is MLflow:
the local store ml/mlflow.db, or the server at MLFLOW_TRACKING_URI. See docs/ml.md.`;

const PROMOTE_USAGE = `Usage: bin/fraud models promote NAME VERSION [--alias champion]

Points the alias (champion by default, or challenger) at VERSION in the MLflow registry.
Every instance serving models:/NAME@ALIAS (FRAUD_MODEL / FRAUD_CHALLENGER_MODEL) hot-swaps
without a restart: at once when KAFKA_BROKERS is set (a message on the models topic), and
in any case at its next registry poll (every 30 s).`;

const COMPARE_USAGE = `Usage: bin/fraud models compare --history FILE.jsonl --labels labels.csv
                           [--champion SPEC] [--challenger SPEC] [--from DATE] [--until DATE] [--k N]
       bin/fraud models compare --scores scores.jsonl --labels labels.csv

Offline: replays the history point-in-time once, scores every transaction of [--from, --until)
with both models, and prints every metric for each on the same transactions and labels, each
at its own review threshold. Defaults: champion models:/fraud-detector@champion (else
models/default), challenger models:/fraud-detector@challenger, the whole history.

Live (--scores): reads records of the scores topic (JSON lines, e.g. kcat -C -t scores -e), where
the champion's model_score and the shadow challenger's shadow.challenger.score were recorded for
the same transactions, and compares them on the labels (flagged = each model's own decision).`;

async function list(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { name: { type: 'string' } });
  const { runPython } = await import('../../services/ml/index.ts');
  const r = (await runPython('ml/training/registry.py', [
    'list',
    '--name',
    values.name ?? 'fraud-detector',
  ])) as {
    name: string;
    tracking_uri?: string;
    error?: string;
    versions: { version: number; aliases: string[]; model_version: string | null; created: number }[];
  };
  if (r.error) {
    process.stdout.write(`${r.name}: not registered (${r.error})\n`);
    return 0;
  }
  process.stdout.write(`${r.name} (${r.tracking_uri})\n`);
  for (const v of r.versions) {
    process.stdout.write(
      `  v${String(v.version).padEnd(4)} ${(v.model_version ?? '?').padEnd(32)} ${new Date(v.created).toISOString()}  ${v.aliases.map((a) => `@${a}`).join(' ')}\n`,
    );
  }
  return 0;
}

async function promote(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${PROMOTE_USAGE}\n`);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, { alias: { type: 'string' } }, true);
  const { FraudError } = await import('../../core/errors/index.ts');
  const [name, version] = positionals;
  if (!name || !version || !/^\d+$/.test(version) || positionals.length > 2) {
    throw new FraudError('FRAUD_USAGE', 'expected: bin/fraud models promote NAME VERSION [--alias champion]');
  }
  const alias = values.alias ?? 'champion';
  if (!/^[A-Za-z0-9_-]+$/.test(alias))
    throw new FraudError('FRAUD_USAGE', `--alias '${alias}' is not a valid alias`);
  const { runPython } = await import('../../services/ml/index.ts');
  await runPython('ml/training/registry.py', ['promote', name, version, '--alias', alias]);
  process.stdout.write(`models:/${name}@${alias} → version ${version}\n`);
  if (process.env['KAFKA_BROKERS']) {
    const { loadConfig } = await import('../../config/index.ts');
    const { createBus, topicSpecs } = await import('../../platform/index.ts');
    const { TOPICS } = await import('../../core/contracts/index.ts');
    const { modelEvent } = await import('../../adapters/model-onnx/index.ts');
    const config = loadConfig();
    const bus = createBus(config);
    try {
      // Topics are explicit (no auto-creation): a promotion on a fresh cluster creates its topic.
      await bus.ensureTopics(topicSpecs(config.partitions).filter((t) => t.name === TOPICS.models));
      await bus.publish(TOPICS.models, [
        { key: `${name}@${alias}`, value: JSON.stringify(modelEvent(name, alias, version)) },
      ]);
      process.stderr.write(`models: announced on the ${TOPICS.models} topic; instances swap now\n`);
    } finally {
      await bus.close();
    }
  } else {
    process.stderr.write('models: instances watching this alias swap at their next registry poll (≤ 30 s)\n');
  }
  return 0;
}

async function compare(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${COMPARE_USAGE}\n`);
    return 0;
  }
  const { values } = parseFlags(argv, {
    history: { type: 'string' },
    scores: { type: 'string' },
    labels: { type: 'string' },
    champion: { type: 'string' },
    challenger: { type: 'string' },
    from: { type: 'string' },
    until: { type: 'string' },
    k: { type: 'string' },
  });
  const { FraudError } = await import('../../core/errors/index.ts');
  if (values.scores && values.labels)
    return compareShadow(values.scores, values.labels, numberFlag('k', values.k, 50));
  if (!values.history || !values.labels) {
    throw new FraudError(
      'FRAUD_USAGE',
      '--history (or --scores) and --labels are required; see bin/fraud models compare --help',
    );
  }
  const { parseInstant, scoreHistory, readLabelMap, evaluateScores, metricsTable } = await import(
    '../../services/ml/index.ts'
  );
  const { loadModel } = await import('../../adapters/model-onnx/index.ts');
  const window = { from: parseInstant('from', values.from), until: parseInstant('until', values.until) };
  const champion = values.champion
    ? await loadModel(values.champion)
    : ((await loadModel('models:/fraud-detector@champion').catch(() => null)) ?? (await loadModel(null)));
  const challenger = await loadModel(values.challenger ?? 'models:/fraud-detector@challenger');
  if (!champion || !challenger)
    throw new FraudError('FRAUD_MODEL_UNAVAILABLE', 'both a champion and a challenger are needed');
  process.stderr.write(`models: champion ${champion.version}, challenger ${challenger.version}\n`);
  const meta: { id: string; day: string; card: string }[] = [];
  const scores: [number[], number[]] = [[], []];
  await scoreHistory({
    history: values.history,
    labels: values.labels,
    models: [
      { model: champion, thresholds: champion.thresholds },
      { model: challenger, thresholds: challenger.thresholds },
    ],
    window,
    onScored: (rows, s) => {
      for (let i = 0; i < rows.length; i++) {
        meta.push({ id: rows[i]!.id, day: rows[i]!.timestamp.slice(0, 10), card: rows[i]!.card });
        scores[0].push(s[0]![i]!);
        scores[1].push(s[1]![i]!);
      }
    },
  });
  const labels = await readLabelMap(values.labels);
  const k = numberFlag('k', values.k, 50);
  const table = metricsTable({
    [`champion ${champion.version}`]: evaluateScores(
      meta.map((m, i) => ({
        score: scores[0][i]!,
        fraud: labels.get(m.id)?.fraud ?? false,
        day: m.day,
        card: m.card,
      })),
      champion.thresholds.review,
      k,
    ),
    [`challenger ${challenger.version}`]: evaluateScores(
      meta.map((m, i) => ({
        score: scores[1][i]!,
        fraud: labels.get(m.id)?.fraud ?? false,
        day: m.day,
        card: m.card,
      })),
      challenger.thresholds.review,
      k,
    ),
  });
  process.stdout.write(`${table}\n`);
  await champion.close();
  await challenger.close();
  return 0;
}

/** Champion vs shadow challenger from recorded scores (the `scores` topic). */
async function compareShadow(path: string, labelsPath: string, k: number): Promise<number> {
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const { readLabelMap, evaluateScores, metricsTable } = await import('../../services/ml/index.ts');
  const { FraudError } = await import('../../core/errors/index.ts');
  const labels = await readLabelMap(labelsPath);
  type Side = { score: number; flagged: boolean; fraud: boolean }[];
  const champion: Side = [];
  const challenger: Side = [];
  const versions = { champion: new Set<string>(), challenger: new Set<string>() };
  let n = 0;
  let skipped = 0;
  for await (const line of createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    n++;
    if (!line.trim()) continue;
    let s: {
      transaction_id?: string;
      model_score?: number | null;
      model_version?: string;
      decision?: string;
      shadow?: { challenger?: { score: number; decision: string; model_version: string } };
    };
    try {
      s = JSON.parse(line);
    } catch {
      process.stderr.write(`models: skipped ${path}:${n}: not JSON\n`);
      skipped++;
      continue;
    }
    const ch = s.shadow?.challenger;
    // Only transactions both models scored are comparable.
    if (!s.transaction_id || typeof s.model_score !== 'number' || !ch) {
      skipped++;
      continue;
    }
    const fraud = labels.get(s.transaction_id)?.fraud ?? false;
    champion.push({ score: s.model_score, flagged: s.decision !== 'approve', fraud });
    challenger.push({ score: ch.score, flagged: ch.decision !== 'approve', fraud });
    versions.champion.add(s.model_version ?? '?');
    versions.challenger.add(ch.model_version);
  }
  if (champion.length === 0)
    throw new FraudError('FRAUD_USAGE', `${path}: no score carries both a model_score and shadow.challenger`);
  // Each side's threshold: its lowest flagged score (the decisions it made or would have made).
  const lowest = (side: Side) =>
    side.reduce((m, r) => (r.flagged && r.score < m ? r.score : m), Number.POSITIVE_INFINITY);
  const table = metricsTable({
    [`champion ${[...versions.champion].join('+')}`]: evaluateScores(champion, lowest(champion), k),
    [`challenger ${[...versions.challenger].join('+')}`]: evaluateScores(challenger, lowest(challenger), k),
  });
  process.stdout.write(`${table}\n`);
  process.stderr.write(
    `models: ${champion.length} transactions scored by both, ${skipped} records skipped\n`,
  );
  return 0;
}

async function show(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {}, true);
  const { loadModel } = await import('../../adapters/model-onnx/index.ts');
  const model = await loadModel(positionals[0] ?? process.env['FRAUD_MODEL'] ?? null);
  if (!model) {
    process.stdout.write('no model (models/default is not present)\n');
    return 1;
  }
  const m = model.metadata;
  process.stdout.write(
    `${JSON.stringify(
      {
        model_version: m.model_version,
        algorithm: m.algorithm,
        dir: model.source.dir,
        registry: model.source.registry ?? null,
        feature_set_version: m.feature_set_version,
        features: m.feature_names.length,
        thresholds: m.thresholds,
        training: m.training,
        metrics: m.metrics,
      },
      null,
      2,
    )}\n`,
  );
  await model.close();
  return 0;
}

const command: Command = {
  name: 'models',
  summary: 'Model registry: list, promote (hot swap), compare champion vs challenger, show',
  usage: USAGE,
  run: subcommands('models', USAGE, { list, promote, compare, show }),
};
export default command;
