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

  show                       Print the rule set active in the running API (version, rules).
      --source               Include the rule set source.

HISTORY lines are transactions (the 'transactions' topic), or objects with 'transaction' and
optional 'features' (the 'enriched-transactions' topic), 'model_score' and 'graph'. Without
recorded features they are recomputed point-in-time by replaying the history in order.
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
  });
  const { FraudError } = await import('../../core/errors/index.ts');
  if (!values.rules || !values.input)
    throw new FraudError('FRAUD_USAGE', 'rules backtest needs --rules FILE and --input HISTORY.jsonl');
  const examples = numberFlag('examples', values.examples, 5);
  const bt = await import('../../services/rules-engine/backtest.ts');
  const { readRuleFile, createPolicyCompiler } = await import('../../services/rules-engine/index.ts');
  const { FEATURE_NAMES } = await import('../../core/features/index.ts');
  const progress = (msg: string) => process.stderr.write(`\r${msg}`);

  progress(`reading ${values.input} …`);
  const history = await bt.readHistory(values.input, (n) => progress(`reading ${values.input}: ${n} lines`));
  process.stderr.write(
    `\rread ${history.records.length} transactions from ${values.input}${history.rejected.length ? `, ${history.rejected.length} rejected` : ''}\n`,
  );
  for (const r of history.rejected.slice(0, 10))
    process.stderr.write(`  ${values.input}:${r.line}: ${r.message}\n`);
  if (history.rejected.length > 10) process.stderr.write(`  … and ${history.rejected.length - 10} more\n`);

  const labels = values.labels ? await bt.readLabels(values.labels) : undefined;
  if (labels) {
    process.stderr.write(
      `read ${labels.labels.size} labels from ${values.labels}${labels.rejected.length ? `, ${labels.rejected.length} rejected` : ''}\n`,
    );
    for (const r of labels.rejected.slice(0, 10))
      process.stderr.write(`  ${values.labels}:${r.line}: ${r.message}\n`);
  }

  // Without recorded model scores / graph signals every decision would otherwise fall back to
  // review for the missing signal, which says nothing about the rules: the backtest ignores them.
  const anyModel = history.records.some((r) => r.modelScore !== null);
  const anyGraph = history.records.some((r) => r.graph !== undefined);
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
  if (!anyGraph)
    process.stderr.write('note: history has no graph signals; graph.* conditions are null (never fire)\n');

  const needReplay = history.records.some((r) => r.features === undefined);
  const features = needReplay ? await replayFeatureSource() : undefined;
  const items = bt.historyBatches(history.records, {
    featureNames: FEATURE_NAMES,
    ...(features ? { features } : {}),
    ...(labels ? { labels: labels.labels } : {}),
  });
  const total = history.records.length;
  let lastProgress = 0;
  const report = await bt.runBacktest({
    candidate,
    ...(baseline ? { baseline } : {}),
    items,
    ...(labels ? { labels: labels.labels } : {}),
    examples,
    onProgress: (done) => {
      // At most twice a second: label flushes make many small batches.
      const now = Date.now();
      if (now - lastProgress < 500 && done < total) return;
      lastProgress = now;
      progress(`backtest: ${done}/${total} transactions (${Math.floor((done / Math.max(1, total)) * 100)}%)`);
    },
  });
  process.stderr.write('\n');
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : bt.formatReport(report));
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
