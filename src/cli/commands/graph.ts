import { FraudError } from '../../core/errors/index.ts';
import { type Command, parseFlags, subcommands, wantsHelp } from '../command.ts';

const usage = `Usage: bin/fraud graph <subcommand> [options]

Graph analysis over the entity graph (Customer, Card, Device, Merchant, IP). With NEO4J_URI
set, commands run against Neo4j; without it, against an in-process graph loaded with --input.

Subcommands:
  migrate                 create Neo4j constraints and indexes (idempotent)
  load --input FILE       write transactions (JSONL) into the graph in batches (idempotent)
  shared-devices          the brief's query: devices used by more than N cards
  rings                   connected components over shared card/device/IP/customer ids
  path A B                shortest path between two nodes, e.g. card:card_1 customer:cust_2
  neighbourhood TX        a transaction's neighbourhood as {nodes, edges} (JSON)
  analyze                 rings + cluster sizes, written back to Card nodes (signals)
  query "<cypher>"        any read-only Cypher (Neo4j only; writes are refused)
  stats                   nodes per label, relationships per type
  prune --older-than 90d  retention: delete Transaction nodes older than that, counted back
                          from the newest transaction (Neo4j; entities and relations stay)
  signals                 the graph signal catalogue (names used as graph.<name> in rules)

Common options:
  --input FILE.jsonl      transactions or enriched transactions, one JSON per line
                          (bin/fraud simulate --out output); required without NEO4J_URI
  --labels FILE           labels (.csv from bin/fraud simulate, or .jsonl of Label)
  --json                  print JSON instead of a table

Options per subcommand:
  shared-devices  --more-than N (default 3)  --limit N (default 100)
  rings           --min-cards N (default 3)  --min-shared N (default 4)  --hub-degree N (default 50)
                  --limit N (default 20)
                  (a device/IP links its cards only when they belong to >= min-shared customers;
                  1 = plain connected components; hubs with > hub-degree cards/devices are left out)
  path            --max-depth N (default 6, at most 10)
  neighbourhood   --hops N (default 1, at most 3)  --limit N (default 200)
  analyze         --min-cards N  --min-shared N  --hub-degree N
  load            --batch N (default 1000)
  prune           --older-than DURATION (required: 90d, 36h)  --dry-run (count only)

Examples:
  bin/fraud simulate --count 20000 --seed 7 --out /tmp/h.jsonl
  bin/fraud graph rings --input /tmp/h.jsonl --labels /tmp/h.labels.csv
  NEO4J_URI=bolt://127.0.0.1:7687 bin/fraud graph load --input /tmp/h.jsonl
  NEO4J_URI=bolt://127.0.0.1:7687 bin/fraud graph query "MATCH (c:Card)-[:USED_ON]->(d:Device) WITH d, collect(distinct c.card_id) AS cards WHERE size(cards) > 3 RETURN d.device_id, cards"
`;

const COMMON = {
  input: { type: 'string' },
  labels: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Backend = import('../../core/graph/index.ts').GraphBackend;

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function intOpt(name: string, v: string | undefined, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FraudError('FRAUD_USAGE', `--${name} must be an integer in [${min}, ${max}], got '${v}'`);
  }
  return n;
}

/** Reads transactions (plain or enriched) from JSONL, rejecting bad lines with their number. */
async function* readTransactions(file: string) {
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const { checkTransaction } = await import('../../core/contracts/index.ts');
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  let bad = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      bad++;
      process.stderr.write(`graph: ${file}:${n}: not JSON (${(err as Error).message}); skipped\n`);
      continue;
    }
    const candidate =
      value && typeof value === 'object' && 'transaction' in value
        ? (value as { transaction: unknown }).transaction
        : value;
    const r = checkTransaction(candidate);
    if (r.ok) yield r.transaction;
    else {
      bad++;
      process.stderr.write(`graph: ${file}:${n}: ${r.error.message}; skipped\n`);
    }
  }
  if (bad > 0) process.stderr.write(`graph: ${bad} bad line(s) in ${file} skipped (see above)\n`);
}

async function readLabels(file: string) {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(file, 'utf8');
  if (file.endsWith('.csv')) {
    const { parseLabelsCsv } = await import('../../services/ingestor/labels-csv.ts');
    return parseLabelsCsv(text);
  }
  const { validators } = await import('../../core/contracts/index.ts');
  const labels: import('../../core/contracts/index.ts').Label[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const v = JSON.parse(line) as unknown;
    if (validators.label(v)) labels.push(v as import('../../core/contracts/index.ts').Label);
    else process.stderr.write(`graph: ${file}:${i + 1}: not a label; skipped\n`);
  });
  return labels;
}

/** Writes a JSONL file into a backend in batches, with progress on stderr. */
async function load(g: Backend, file: string, batchSize: number, quiet = false) {
  const started = performance.now();
  let batch: import('../../core/contracts/index.ts').Transaction[] = [];
  let rows = 0;
  let created = 0;
  let lastNote = started;
  for await (const t of readTransactions(file)) {
    batch.push(t);
    if (batch.length >= batchSize) {
      const r = await g.write(batch);
      rows += r.rows;
      created += r.created;
      batch = [];
      if (!quiet && performance.now() - lastNote > 2000) {
        lastNote = performance.now();
        const s = (lastNote - started) / 1000;
        process.stderr.write(`graph: ${rows} transactions written (${Math.round(rows / s)} tx/s)\n`);
      }
    }
  }
  if (batch.length > 0) {
    const r = await g.write(batch);
    rows += r.rows;
    created += r.created;
  }
  return { rows, created, seconds: (performance.now() - started) / 1000 };
}

async function open(
  values: { input?: string | undefined; labels?: string | undefined },
  needsData = true,
): Promise<Backend> {
  const { loadConfig } = await import('../../config/index.ts');
  const { createGraphBackend } = await import('../../adapters/graph-neo4j/index.ts');
  const config = loadConfig();
  const g = await createGraphBackend(config);
  if (g.kind === 'memory') {
    if (!values.input && needsData) {
      throw new FraudError(
        'FRAUD_USAGE',
        'no NEO4J_URI: pass --input FILE.jsonl (e.g. from bin/fraud simulate --out) to analyse it in process, or set NEO4J_URI',
      );
    }
    if (values.input) {
      const r = await load(g, values.input, 5000, true);
      process.stderr.write(`graph: loaded ${r.rows} transactions in process from ${values.input}\n`);
    }
  } else if (values.input) {
    throw new FraudError(
      'FRAUD_USAGE',
      `--input is for the in-process graph; with NEO4J_URI use 'bin/fraud graph load --input ${values.input}' first`,
    );
  }
  if (values.labels) {
    const labels = await readLabels(values.labels);
    await g.applyLabels(labels);
    process.stderr.write(`graph: applied ${labels.length} labels from ${values.labels}\n`);
  }
  return g;
}

async function withGraph<T>(g: Backend, fn: (g: Backend) => Promise<T>): Promise<T> {
  try {
    return await fn(g);
  } finally {
    await g.close();
  }
}

function table(rows: Record<string, string | number>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ''))))].join('\n');
}

const run = subcommands('graph', usage, {
  async migrate(argv) {
    parseFlags(argv, {});
    const g = await open({}, false);
    if (g.kind === 'memory') {
      await g.close();
      out('graph: no NEO4J_URI; the in-process graph needs no migration');
      return 0;
    }
    const statements = await withGraph(g, (x) => x.migrate());
    for (const s of statements) out(s);
    process.stderr.write(`graph: ${statements.length} constraints/indexes in place\n`);
  },

  async load(argv) {
    const { values } = parseFlags(argv, { ...COMMON, batch: { type: 'string' }, quiet: { type: 'boolean' } });
    if (!values.input) throw new FraudError('FRAUD_USAGE', 'graph load needs --input FILE.jsonl');
    const g = await open({ labels: undefined }, false);
    const batch = intOpt('batch', values.batch, 1000, 1, 50_000);
    return withGraph(g, async (x) => {
      if (x.kind === 'neo4j') await x.migrate();
      const r = await load(x, values.input as string, batch, values.quiet === true);
      if (values.labels) await x.applyLabels(await readLabels(values.labels));
      const tps = Math.round(r.rows / Math.max(r.seconds, 1e-9));
      if (values.json) out(JSON.stringify({ backend: x.kind, ...r, tx_per_s: tps }));
      else
        out(
          `graph: ${r.rows} transactions (${r.created} new) into ${x.kind} in ${r.seconds.toFixed(1)} s = ${tps} tx/s`,
        );
    });
  },

  async 'shared-devices'(argv) {
    const { values } = parseFlags(argv, {
      ...COMMON,
      'more-than': { type: 'string' },
      limit: { type: 'string' },
    });
    const g = await open(values);
    return withGraph(g, async (x) => {
      const rows = await x.sharedDevices({
        moreThan: intOpt('more-than', values['more-than'], 3, 0, 1_000_000),
        limit: intOpt('limit', values.limit, 100, 1, 100_000),
      });
      if (values.json) return out(JSON.stringify(rows, null, 2));
      out(
        table(
          rows.map((r) => ({ device_id: r.device_id, n: r.cards.length, cards: r.cards.join(',') })),
          ['device_id', 'n', 'cards'],
        ),
      );
      process.stderr.write(
        `graph: ${rows.length} device(s) with more than ${values['more-than'] ?? 3} cards\n`,
      );
    });
  },

  async rings(argv) {
    const { values } = parseFlags(argv, {
      ...COMMON,
      'min-cards': { type: 'string' },
      'min-shared': { type: 'string' },
      'hub-degree': { type: 'string' },
      limit: { type: 'string' },
    });
    const g = await open(values);
    return withGraph(g, async (x) => {
      const rings = await x.rings({
        minCards: intOpt('min-cards', values['min-cards'], 3, 2, 1_000_000),
        minShared: intOpt('min-shared', values['min-shared'], 4, 1, 1_000_000),
        hubDegree: intOpt('hub-degree', values['hub-degree'], 50, 1, 1_000_000),
        limit: intOpt('limit', values.limit, 20, 1, 100_000),
      });
      if (values.json) return out(JSON.stringify(rings, null, 2));
      out(
        table(
          rings.map((r) => ({
            ring_id: r.ring_id,
            size: r.size,
            cards: r.cards,
            devices: r.devices,
            customers: r.customers,
            ips: r.ips,
            fraud: r.fraud_entities,
            density: r.fraud_density.toFixed(3),
            score: r.score.toFixed(3),
          })),
          ['ring_id', 'size', 'cards', 'devices', 'customers', 'ips', 'fraud', 'density', 'score'],
        ),
      );
      process.stderr.write(`graph: ${rings.length} ring(s) shown, highest score first\n`);
    });
  },

  async path(argv) {
    const { values, positionals } = parseFlags(argv, { ...COMMON, 'max-depth': { type: 'string' } }, true);
    if (positionals.length !== 2)
      throw new FraudError('FRAUD_USAGE', 'graph path needs two nodes, e.g. card:card_1 customer:cust_2');
    const { parseEntityRef } = await import('../../core/graph/index.ts');
    const g = await open(values);
    return withGraph(g, async (x) => {
      const maxDepth = intOpt('max-depth', values['max-depth'], 6, 1, 10);
      const [a, b] = await Promise.all(positionals.map((p) => x.resolve(parseEntityRef(p))));
      if (!a) throw new FraudError('FRAUD_NOT_FOUND', `no node '${positionals[0]}' in the graph`);
      if (!b) throw new FraudError('FRAUD_NOT_FOUND', `no node '${positionals[1]}' in the graph`);
      const p = await x.path(a, b, { maxDepth });
      if (values.json) return out(JSON.stringify({ from: a, to: b, path: p }, null, 2));
      if (!p) {
        out(`no path within ${maxDepth} hops`);
        return 1;
      }
      const parts: string[] = [p.nodes[0] as string];
      for (let i = 0; i < p.rels.length; i++) parts.push(`-[${p.rels[i]}]-`, p.nodes[i + 1] as string);
      out(parts.join(' '));
      process.stderr.write(`graph: path of ${p.length} hop(s)\n`);
    });
  },

  async neighbourhood(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { ...COMMON, hops: { type: 'string' }, limit: { type: 'string' } },
      true,
    );
    if (positionals.length !== 1)
      throw new FraudError('FRAUD_USAGE', 'graph neighbourhood needs one transaction id');
    const g = await open(values);
    return withGraph(g, async (x) => {
      const view = await x.neighbourhood(positionals[0] as string, {
        hops: intOpt('hops', values.hops, 1, 0, 3),
        limit: intOpt('limit', values.limit, 200, 3, 5000),
      });
      if (!view)
        throw new FraudError('FRAUD_NOT_FOUND', `transaction '${positionals[0]}' is not in the graph`);
      out(JSON.stringify(view, null, 2));
    });
  },

  async analyze(argv) {
    const { values } = parseFlags(argv, {
      ...COMMON,
      'min-cards': { type: 'string' },
      'min-shared': { type: 'string' },
      'hub-degree': { type: 'string' },
    });
    const g = await open(values);
    return withGraph(g, async (x) => {
      const r = await x.analyze({
        minCards: intOpt('min-cards', values['min-cards'], 3, 2, 1_000_000),
        minShared: intOpt('min-shared', values['min-shared'], 4, 1, 1_000_000),
        hubDegree: intOpt('hub-degree', values['hub-degree'], 50, 1, 1_000_000),
      });
      if (values.json)
        return out(JSON.stringify({ ...r, rings: r.rings.map(({ members, ...rest }) => rest) }, null, 2));
      out(
        `graph: ${r.cards} cards in ${r.components} components; ${r.rings.length} ring(s); ${r.hubs.length} hub(s) excluded; ${r.tookMs} ms` +
          (x.kind === 'neo4j' ? '; cluster_size/ring_id/ring_score written to Card nodes' : ''),
      );
    });
  },

  async query(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { json: { type: 'boolean' }, param: { type: 'string', multiple: true } },
      true,
    );
    if (positionals.length !== 1)
      throw new FraudError('FRAUD_USAGE', 'graph query needs one Cypher string (quote it)');
    const g = await open({}, false);
    if (g.kind !== 'neo4j') {
      await g.close();
      throw new FraudError(
        'FRAUD_USAGE',
        'graph query runs Cypher on Neo4j: set NEO4J_URI (bin/fraud infra up neo4j)',
      );
    }
    const params: Record<string, unknown> = {};
    for (const p of values.param ?? []) {
      const i = p.indexOf('=');
      if (i <= 0) throw new FraudError('FRAUD_USAGE', `--param must be name=value, got '${p}'`);
      const raw = p.slice(i + 1);
      params[p.slice(0, i)] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    }
    const neo = g as import('../../adapters/graph-neo4j/backend.ts').Neo4jGraph;
    return withGraph(g, async () => {
      const rows = await neo.query(positionals[0] as string, params);
      if (values.json) return out(JSON.stringify(rows, null, 2));
      for (const r of rows) out(JSON.stringify(r));
      process.stderr.write(`graph: ${rows.length} row(s) (read-only transaction)\n`);
    });
  },

  async stats(argv) {
    const { values } = parseFlags(argv, COMMON);
    const g = await open(values);
    return withGraph(g, async (x) => {
      const s = await x.stats();
      if (values.json) return out(JSON.stringify({ backend: x.kind, ...s }, null, 2));
      out(`backend: ${x.kind}`);
      for (const [k, v] of Object.entries(s.nodes)) out(`  (:${k})  ${v}`);
      for (const [k, v] of Object.entries(s.relationships)) out(`  [:${k}]  ${v}`);
    });
  },

  async prune(argv) {
    const { values } = parseFlags(argv, {
      'older-than': { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const m = /^(\d+)([dh])$/.exec(values['older-than'] ?? '');
    if (!m)
      throw new FraudError(
        'FRAUD_USAGE',
        `graph prune needs --older-than N followed by d (days) or h (hours), e.g. 90d; got '${values['older-than'] ?? ''}'`,
      );
    const ms = Number(m[1]) * (m[2] === 'd' ? 86_400_000 : 3_600_000);
    const g = await open({}, false);
    if (g.kind !== 'neo4j') {
      await g.close();
      out(
        'graph: no NEO4J_URI; the in-process graph keeps a bounded number of transactions itself (nothing to prune)',
      );
      return 0;
    }
    const neo = g as import('../../adapters/graph-neo4j/backend.ts').Neo4jGraph;
    return withGraph(g, async () => {
      const r = await neo.prune(ms, { dryRun: values['dry-run'] === true });
      if (values.json) return out(JSON.stringify({ dry_run: values['dry-run'] === true, ...r }));
      out(
        r.cutoff === null
          ? 'graph: no transactions in the graph; nothing to prune'
          : `graph: ${r.deleted} Transaction node(s) older than ${r.cutoff} ${values['dry-run'] ? 'would be' : ''} deleted (newest transaction ${r.newest})`.replace(
              '  ',
              ' ',
            ),
      );
    });
  },

  async signals(argv) {
    const { values } = parseFlags(argv, { json: { type: 'boolean' } });
    const { GRAPH_SIGNAL_DESCRIPTIONS } = await import('../../core/graph/index.ts');
    if (values.json) return out(JSON.stringify(GRAPH_SIGNAL_DESCRIPTIONS, null, 2));
    for (const [k, v] of Object.entries(GRAPH_SIGNAL_DESCRIPTIONS)) out(`graph.${k.padEnd(20)} ${v}`);
  },
});

const command: Command = {
  name: 'graph',
  summary:
    'Graph analysis: shared devices, rings, paths, neighbourhoods, read-only Cypher (Neo4j or in-process)',
  usage,
  // `bin/fraud graph rings --help` prints the usage (which lists every subcommand's options).
  run: (argv) => (argv.length > 1 && wantsHelp(argv.slice(1)) ? run(['--help']) : run(argv)),
};
export default command;
