import { type Command, numberFlag, parseFlags, subcommands } from '../command.ts';

const usage = `Usage: bin/fraud rules <validate|deploy|backtest|show> [options]

  validate FILE...           Validate rule set files (YAML or JSON). Each problem is printed as
                             FILE:LINE:COLUMN: message; exits 1 if any file is invalid.
      --json                 Print the result as JSON.

  deploy FILE                Validate, then publish the rule set. With KAFKA_BROKERS set it goes on
                             the compacted Kafka topic 'rules' and every processor switches on
                             receipt; otherwise it is PUT to the running API (FRAUD_API_URL,
                             default http://127.0.0.1:8080). An invalid set is never published.
      --dry-run              Validate against the target without activating it (API only).

  backtest --rules FILE --input HISTORY.jsonl [--labels LABELS.csv] [--baseline CURRENT.yaml]
                             Replay history through the same decision core with point-in-time
                             features; report per rule and overall hits, review/block rates,
                             precision, recall and false-positive rate, and the decisions that
                             change against the baseline, with examples.
      --json                 Print the report as JSON instead of text.
      --examples N           Examples kept per kind of decision change (default 5).
      --no-graph             Do not replay graph signals (graph.* conditions are then null).

  show                       Print the rule set active in the running API (version, rules).
      --source               Include the rule set source.

HISTORY lines are transactions (the 'transactions' topic), streamed through the backfill engine
for point-in-time features and through the in-process graph for point-in-time graph signals;
or objects with 'transaction' and optional 'features' (the 'enriched-transactions' topic),
'model_score' and 'graph', whose recorded values are used as they are.
LABELS is a CSV with transaction_id,is_fraud[,labeled_at] (or the 'labels' topic as JSONL);
transactions without a label count as legitimate.

The language is documented in docs/rules.md.
`;

async function validate(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, true);
  if (positionals.length === 0) {
    const { FraudError } = await import('../../core/errors/index.ts');
    throw new FraudError('FRAUD_USAGE', 'rules validate needs at least one FILE');
  }
  const { readFile } = await import('node:fs/promises');
  const { parseRuleSet, formatIssue, compileRuleSet } = await import('../../core/rules/index.ts');
  const { ListStore } = await import('../../core/lists/index.ts');
  const { loadCatalogue } = await import('../../services/rules-engine/catalogue.ts');
  const catalogue = await loadCatalogue();
  let failed = 0;
  const results: unknown[] = [];
  for (const file of positionals) {
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch (err) {
      failed++;
      process.stderr.write(`${file}: cannot read: ${(err as Error).message}\n`);
      results.push({
        file,
        valid: false,
        errors: [{ file, line: 0, column: 0, message: (err as Error).message }],
      });
      continue;
    }
    const r = parseRuleSet(source, file, catalogue);
    if (!r.ok) {
      failed++;
      if (!values.json) for (const i of r.issues) process.stderr.write(`${formatIssue(i)}\n`);
      results.push({ file, valid: false, errors: r.issues });
      continue;
    }
    const compiled = compileRuleSet(r.spec, catalogue, new ListStore());
    const summary = {
      file,
      valid: true,
      version: compiled.version,
      rules: r.spec.rules.length,
      live: compiled.live.length,
      shadow: compiled.shadow.length,
      disabled: r.spec.rules.filter((x) => !x.enabled).length,
    };
    results.push(summary);
    if (!values.json) {
      process.stdout.write(
        `${file}: valid, version ${summary.version}: ${summary.rules} rules (${summary.live} live, ${summary.shadow} shadow, ${summary.disabled} disabled)\n`,
      );
    }
  }
  if (values.json)
    process.stdout.write(`${JSON.stringify(positionals.length === 1 ? results[0] : results, null, 2)}\n`);
  if (failed > 0 && !values.json)
    process.stderr.write(`${failed} of ${positionals.length} rule set(s) invalid\n`);
  return failed > 0 ? 1 : 0;
}

const apiUrl = () => (process.env['FRAUD_API_URL'] ?? 'http://127.0.0.1:8080').replace(/\/$/, '');

async function callApi(
  method: string,
  path: string,
  body?: string,
  contentType = 'application/yaml',
): Promise<unknown> {
  const { FraudError } = await import('../../core/errors/index.ts');
  const url = `${apiUrl()}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      ...(body !== undefined ? { body, headers: { 'content-type': contentType } } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new FraudError(
      'FRAUD_DEPENDENCY_UNAVAILABLE',
      `no API at ${apiUrl()} (${(err as Error).cause ?? (err as Error).message}); start it with 'bin/fraud api' or set FRAUD_API_URL`,
    );
  }
  const text = await res.text();
  let json: { error?: { code: string; message: string; details?: { field: string; message: string }[] } };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new FraudError(
      'FRAUD_DEPENDENCY_UNAVAILABLE',
      `${method} ${url} answered ${res.status} with a non-JSON body`,
    );
  }
  if (!res.ok) {
    const e = json.error;
    const code = (e?.code ?? 'FRAUD_INTERNAL') as 'FRAUD_INTERNAL';
    throw new FraudError(code, `${method} ${url}: ${e?.message ?? res.status}`, {
      details: e?.details ?? [],
    });
  }
  return json;
}

async function deploy(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'dry-run': { type: 'boolean' } }, true);
  const { FraudError } = await import('../../core/errors/index.ts');
  if (positionals.length !== 1) throw new FraudError('FRAUD_USAGE', 'rules deploy needs exactly one FILE');
  const file = positionals[0]!;
  const { readRuleFile, createPolicyCompiler } = await import('../../services/rules-engine/index.ts');
  const source = await readRuleFile(file);
  // Validate locally first: an invalid set never leaves this machine.
  const policy = (await createPolicyCompiler())(source, file);
  const { loadConfig } = await import('../../config/index.ts');
  const config = loadConfig();
  if (config.kafkaBrokers) {
    if (values['dry-run']) {
      process.stdout.write(`${file}: valid, version ${policy.version} (dry run: not published)\n`);
      return 0;
    }
    const { createBus } = await import('../../platform/index.ts');
    const { publishRuleSet } = await import('../../services/rules-engine/watch.ts');
    const { TOPICS } = await import('../../core/contracts/index.ts');
    const bus = createBus(config);
    try {
      await bus.ensureTopics([{ name: TOPICS.rules, partitions: 1, compacted: true }]);
      await publishRuleSet(bus, {
        version: policy.version,
        file,
        source,
        deployedBy: process.env['USER'] ?? 'cli',
      });
    } finally {
      await bus.close();
    }
    process.stdout.write(
      `published ${policy.version} (${policy.ruleSet.spec.rules.length} rules) on Kafka topic '${TOPICS.rules}' at ${config.kafkaBrokers.join(',')}; every processor switches on receipt\n`,
    );
    return 0;
  }
  const q = new URLSearchParams({ file, ...(values['dry-run'] ? { dry_run: 'true' } : {}) });
  const res = (await callApi('PUT', `/v1/rules?${q}`, source)) as {
    version: string;
    previous?: string;
    activated: boolean;
  };
  if (values['dry-run'])
    process.stdout.write(`${file}: valid on ${apiUrl()}, version ${res.version} (dry run: not activated)\n`);
  else if (res.activated)
    process.stdout.write(`deployed ${res.version} to ${apiUrl()} (was ${res.previous})\n`);
  else process.stdout.write(`${res.version} is already active on ${apiUrl()}\n`);
  return 0;
}

async function show(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { source: { type: 'boolean' } });
  const res = await callApi('GET', `/v1/rules${values.source ? '?source=true' : ''}`);
  process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
  return 0;
}

async function backtest(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    rules: { type: 'string' },
    input: { type: 'string' },
    labels: { type: 'string' },
    baseline: { type: 'string' },
    json: { type: 'boolean' },
    examples: { type: 'string' },
    'no-graph': { type: 'boolean' },
  });
  const { FraudError } = await import('../../core/errors/index.ts');
  if (!values.rules || !values.input)
    throw new FraudError('FRAUD_USAGE', 'rules backtest needs --rules FILE and --input HISTORY.jsonl');
  const examples = numberFlag('examples', values.examples, 5);
  const bt = await import('../../services/rules-engine/backtest.ts');
  const { readRuleFile, createPolicyCompiler } = await import('../../services/rules-engine/index.ts');
  const { FEATURE_NAMES } = await import('../../core/features/index.ts');
  const progress = (msg: string) => process.stderr.write(`\r${msg}`);

  const labels = values.labels ? await bt.readLabels(values.labels) : undefined;
  if (labels) {
    process.stderr.write(
      `read ${labels.labels.size} labels from ${values.labels}${labels.rejected.length ? `, ${labels.rejected.length} rejected` : ''}\n`,
    );
    for (const r of labels.rejected.slice(0, 10))
      process.stderr.write(`  ${values.labels}:${r.line}: ${r.message}\n`);
  }
  const report = (line: number, message: string) =>
    process.stderr.write(`\n  ${values.input}:${line}: ${message}\n`);

  // Plain transactions stream through the features engineer's backfill engine (point-in-time,
  // the same FeatureEngine as online, no need to hold the history in memory); enriched lines
  // with recorded features, model scores or graph signals are read whole.
  const { readFile, open } = await import('node:fs/promises');
  const head = await open(values.input, 'r').then(async (fh) => {
    try {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString('utf8').split('\n', 1)[0] ?? '';
    } finally {
      await fh.close();
    }
  });
  const wrapped = /^\s*\{\s*"transaction"\s*:/.test(head);
  let items: AsyncIterable<readonly import('../../services/rules-engine/backtest.ts').BacktestItem[]>;
  let total = 0;
  let anyModel = false;
  let anyRecordedGraph = false;
  if (wrapped) {
    progress(`reading ${values.input} …`);
    const history = await bt.readHistory(values.input, (n) =>
      progress(`reading ${values.input}: ${n} lines`),
    );
    process.stderr.write(
      `\rread ${history.records.length} transactions from ${values.input}${history.rejected.length ? `, ${history.rejected.length} rejected` : ''}\n`,
    );
    for (const r of history.rejected.slice(0, 10)) report(r.line, r.message);
    total = history.records.length;
    anyModel = history.records.some((r) => r.modelScore !== null);
    anyRecordedGraph = history.records.some((r) => r.graph !== undefined);
    const needReplay = history.records.some((r) => r.features === undefined);
    const features = needReplay ? await replayFeatureSource() : undefined;
    items = bt.historyBatches(history.records, {
      featureNames: FEATURE_NAMES,
      ...(features ? { features } : {}),
      ...(labels ? { labels: labels.labels } : {}),
    });
  } else {
    const { replayHistoryBatches } = await import('../../services/backfill/index.ts');
    // The backfill reads the labels CSV the simulator writes (transaction_id,is_fraud,labeled_at).
    const labelsHeader = values.labels
      ? ((await readFile(values.labels, 'utf8')).split('\n', 1)[0] ?? '')
      : '';
    const featureLabels =
      values.labels && labelsHeader.startsWith('transaction_id,is_fraud,labeled_at')
        ? values.labels
        : undefined;
    if (values.labels && !featureLabels) {
      process.stderr.write(
        'note: labels are not a transaction_id,is_fraud,labeled_at CSV; label-aware features see no labels\n',
      );
    }
    let rejected = 0;
    const replay = replayHistoryBatches({
      input: values.input,
      ...(featureLabels ? { labels: featureLabels } : {}),
      batchSize: 500,
      onBadLine: (bad) => {
        if (++rejected <= 10) report(bad.line, bad.reason);
      },
    });
    items = (async function* () {
      for await (const batch of replay) {
        total += batch.length;
        yield batch.map((r) => ({
          line: r.line,
          transaction: r.transaction,
          vector: r.vector,
          modelScore: null,
        }));
      }
      if (rejected > 0) process.stderr.write(`\n${rejected} history lines rejected\n`);
    })();
  }

  // Graph signals: replayed point-in-time through the in-process graph unless recorded.
  let graphReplayed = false;
  if (!anyRecordedGraph && !values['no-graph']) {
    const { MemoryGraph } = await import('../../adapters/graph-memory/index.ts');
    items = bt.withGraphReplay(items, new MemoryGraph(), labels?.labels);
    graphReplayed = true;
  }

  // Without model scores (or graph signals) every decision would otherwise fall back to review
  // for the missing signal, which says nothing about the rules: the backtest ignores them.
  const anyGraph = anyRecordedGraph || graphReplayed;
  const overrides = {
    ...(anyModel ? {} : { missing_model: 'ignore' as const }),
    ...(anyGraph ? {} : { missing_graph: 'ignore' as const }),
  };
  const compile = await createPolicyCompiler({ policyOverrides: overrides });
  const candidate = compile(await readRuleFile(values.rules), values.rules);
  const baseline = values.baseline
    ? compile(await readRuleFile(values.baseline), values.baseline)
    : undefined;
  if (!anyModel)
    process.stderr.write(
      'note: history has no model scores; the missing-model review fallback is off for this backtest\n',
    );
  if (graphReplayed)
    process.stderr.write('note: graph signals replayed point-in-time through the in-process graph\n');
  else if (!anyGraph)
    process.stderr.write('note: no graph signals (--no-graph); graph.* conditions are null (never fire)\n');

  let lastProgress = 0;
  const result = await bt.runBacktest({
    candidate,
    ...(baseline ? { baseline } : {}),
    items,
    ...(labels ? { labels: labels.labels } : {}),
    examples,
    onProgress: (done) => {
      // At most twice a second: label flushes make many small batches.
      const now = Date.now();
      if (now - lastProgress < 500) return;
      lastProgress = now;
      progress(
        wrapped
          ? `backtest: ${done}/${total} transactions (${Math.floor((done / Math.max(1, total)) * 100)}%)`
          : `backtest: ${done} transactions`,
      );
    },
  });
  process.stderr.write(`\rbacktest: ${result.transactions} transactions decided\n`);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : bt.formatReport(result));
  return 0;
}

/** Point-in-time features by replay: the in-process feature store runs the same feature core. */
async function replayFeatureSource() {
  const { MemoryFeatureStore } = await import('../../adapters/features-memory/index.ts');
  return new MemoryFeatureStore();
}

const command: Command = {
  name: 'rules',
  summary: 'Validate, deploy and backtest rule sets',
  usage,
  run: subcommands('rules', usage, { validate, deploy, backtest, show }),
};
export default command;
