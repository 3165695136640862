// Purpose: does the graph service keep up with the pipeline (issue 6)? Runs `bin/fraud
// graph-service` against real Neo4j while `bin/fraud bench --mode kafka` drives the real
// pipeline (saturation burst, then a sustained rate), and samples the graph service's
// consumer-group lag on enriched-transactions every second until it has caught up.
//
// Run: KAFKA_BROKERS=127.0.0.1:9092 NEO4J_URI=bolt://127.0.0.1:7687 [NEO4J_PID=…] node --disable-warning=ExperimentalWarning bench/graph/live.ts [--seconds 60] [--rate 5000] [--count 100000] [--catch-up 600] [--svg .data/bench] [--warm-up N] [--customers N]
//
// Everything shares the machine's cores: broker, processor, load generator, graph service and
// Neo4j. The graph service is its own process in a new consumer group pinned to the end of
// enriched-transactions, so it writes exactly what this run's pipeline produces. Prints JSON
// (stdout): the pipeline bench's own result, then the graph's lag and rates per phase; writes
// the lag and rate timelines as SVG. On Linux it also reads each process's CPU time from
// /proc at every phase change (broker, processor, load generator, graph service, Neo4j: set
// NEO4J_PID when more than one Neo4j runs), to show where the machine's cores go.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, getPriority, loadavg, setPriority } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '@platformatic/kafka';
import neo4j from 'neo4j-driver';
import { connectionOptions } from '../../src/adapters/bus-kafka/index.ts';
import { groupLag, pinGroupToEnd } from '../../src/adapters/bus-kafka/offsets.ts';
import { loadConfig } from '../../src/config/index.ts';
import { TOPICS } from '../../src/core/contracts/index.ts';
import { createBus, kafkaOptions, topicSpecs } from '../../src/platform/index.ts';
import { cpuMs, pidsWith } from '../support/proc-cpu.ts';
import { lineChart } from '../support/svg-charts.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '5000' },
    count: { type: 'string', default: '100000' },
    'catch-up': { type: 'string', default: '600' },
    svg: { type: 'string', default: '.data/bench' },
    'warm-up': { type: 'string' },
    customers: { type: 'string' },
    'graph-nice': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: KAFKA_BROKERS=… NEO4J_URI=… node --disable-warning=ExperimentalWarning bench/graph/live.ts [--seconds 60] [--rate 5000] [--count 100000] [--catch-up 600] [--svg DIR] [--warm-up N] [--customers N] [--graph-nice N]\n' +
      "--seconds/--rate/--count: the pipeline bench phases (bin/fraud bench --mode kafka); --catch-up: seconds to wait for the graph after the load; --warm-up: the graph service's --warm-up; --customers: the simulated population (default 5000); --graph-nice: run the graph service and every Neo4j thread at this nice value for the run (restored after), so the pipeline has the cores first.",
  );
  process.exit(0);
}
const config = loadConfig();
if (!config.kafkaBrokers || !config.neo4j)
  throw new Error(
    'KAFKA_BROKERS and NEO4J_URI are required (bin/fraud infra up kafka, bin/fraud infra up neo4j)',
  );
const brokers = [...config.kafkaBrokers];
const log = (line: string) => process.stderr.write(`graph-live: ${line}\n`);
const root = new URL('../..', import.meta.url).pathname;

const nodeArgs = [...process.execArgv, '--disable-warning=ExperimentalWarning', `${root}src/cli/main.ts`];

const driver = neo4j.driver(
  config.neo4j.uri,
  config.neo4j.user && config.neo4j.password
    ? neo4j.auth.basic(config.neo4j.user, config.neo4j.password)
    : undefined,
  { disableLosslessIntegers: true },
);
const countTransactions = async () => {
  const r = await driver.executeQuery('MATCH (t:Transaction) RETURN count(t) AS n');
  return r.records[0]!.get('n') as number;
};

const bus = createBus(config);
await bus.ensureTopics(topicSpecs(config.partitions));
await bus.close();
const run = Date.now().toString(36);
const group = `bench-graph-${run}`;
await pinGroupToEnd(brokers, group, [TOPICS.enriched]);
const graphBefore = await countTransactions().catch(() => 0);

const children: ChildProcess[] = [];
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => process.exit(code));

const graphArgs = ['graph-service', '--group', group, '--stats-every', '3600'];
if (values['warm-up'] !== undefined) graphArgs.push('--warm-up', values['warm-up']);
const graphNice = values['graph-nice'] === undefined ? null : Number(values['graph-nice']);
if (graphNice !== null && !(Number.isInteger(graphNice) && graphNice >= -20 && graphNice <= 19))
  throw new Error('--graph-nice must be an integer from -20 to 19');
const graphService = spawn(
  graphNice === null ? process.execPath : 'nice',
  graphNice === null
    ? [...nodeArgs, ...graphArgs]
    : ['-n', String(graphNice), process.execPath, ...nodeArgs, ...graphArgs],
  {
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
children.push(graphService);
let graphOut = '';
graphService.stdout!.on('data', (d: Buffer) => {
  graphOut += d.toString();
});
graphService.stderr!.on('data', (d: Buffer) => {
  graphOut += d.toString();
});
for (const deadline = Date.now() + 120_000; !graphOut.includes('graph service started'); ) {
  if (graphService.exitCode !== null || Date.now() > deadline)
    throw new Error(`graph service did not start:\n${graphOut}`);
  await new Promise((r) => setTimeout(r, 100));
}
const warmed = /"batches":(\d+),"firstMs":(\d+),"lastMs":(\d+),"tookMs":(\d+)/.exec(graphOut);
log(
  `graph service running (group ${group}); the graph holds ${graphBefore} transactions` +
    (warmed
      ? `; warm-up: ${warmed[1]} batches rolled back in ${warmed[4]} ms (first ${warmed[2]} ms, last ${warmed[3]} ms)`
      : ''),
);
const neo4jPids = process.env['NEO4J_PID'] ? [Number(process.env['NEO4J_PID'])] : pidsWith('org.neo4j');
const brokerPids = pidsWith('kafka.Kafka');
const procs: Record<string, number | undefined> = {
  broker: brokerPids.length === 1 ? brokerPids[0] : undefined,
  neo4j: neo4jPids.length === 1 ? neo4jPids[0] : undefined,
  graph_service: graphService.pid,
};
if (procs['neo4j'] === undefined)
  log(`Neo4j CPU not measured: ${neo4jPids.length} Neo4j processes (set NEO4J_PID)`);
if (graphNice !== null) {
  // Linux nice is per thread: every thread of the JVM, each put back as it was when we exit.
  const neo4jPid = procs['neo4j'];
  if (neo4jPid === undefined) throw new Error('--graph-nice needs the Neo4j pid (set NEO4J_PID)');
  const tasks = readdirSync(`/proc/${neo4jPid}/task`).map(Number);
  const before = new Map(tasks.map((t) => [t, getPriority(t)]));
  for (const t of tasks) setPriority(t, graphNice);
  process.once('exit', () => {
    for (const [t, p] of before) {
      try {
        setPriority(t, p);
      } catch {} // the thread has ended
    }
  });
  log(`graph service and ${tasks.length} Neo4j threads at nice ${graphNice}`);
}
/** CPU ms of every known process at each phase change. */
const cpuAt: { phase: string; t: number; ms: Record<string, number | null> }[] = [];
/** The last reading of each process, for one that exited since (the processor, with the bench). */
const lastCpu: Record<string, number | null> = {};
const readCpu = () => {
  for (const [name, pid] of Object.entries(procs)) lastCpu[name] = cpuMs(pid) ?? lastCpu[name] ?? null;
};
const snapshotCpu = (phase: string) => {
  readCpu();
  cpuAt.push({ phase, ms: { ...lastCpu }, t: (Date.now() - t0) / 1000 });
};

// The sampler: end offsets (what the pipeline has produced) and the group's commits (what is
// in the graph), summed over partitions, once a second.
interface Sample {
  t: number;
  end: number;
  committed: number;
  lag: number;
}
const admin = new Admin({ clientId: 'bench-graph-live', ...connectionOptions(kafkaOptions(config)) });
const samples: Sample[] = [];
const t0 = Date.now();
const sample = async () => {
  const lags = await groupLag(admin, group, [TOPICS.enriched]);
  let end = 0n;
  let committed = 0n;
  for (const l of lags) {
    end += l.end;
    committed += l.committed ?? 0n;
  }
  const s = {
    t: (Date.now() - t0) / 1000,
    end: Number(end),
    committed: Number(committed),
    lag: Number(end - committed),
  };
  samples.push(s);
  return s;
};
await sample();
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    const next = Date.now() + 1000;
    await sample().catch(() => {});
    readCpu();
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
})();

// The load: the pipeline bench itself, with its processor as its own process.
const phases: { name: string; t: number }[] = [];
const bench = spawn(
  process.execPath,
  [
    ...nodeArgs,
    'bench',
    '--mode',
    'kafka',
    '--seconds',
    values.seconds,
    '--rate',
    values.rate,
    '--count',
    values.count,
    ...(values.customers ? ['--customers', values.customers] : []),
  ],
  { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
);
children.push(bench);
procs['load_generator'] = bench.pid;
let benchJson = '';
let benchErr = '';
bench.stdout!.on('data', (d: Buffer) => {
  benchJson += d.toString();
});
bench.stderr!.on('data', (d: Buffer) => {
  benchErr += d.toString();
  for (const line of d.toString().split('\n')) {
    const m = /^bench: kafka: (warm-up|saturation phase|sustained phase)/.exec(line);
    if (m) {
      // The processor is the bench's child: found once it runs (before the warm-up).
      procs['processor'] ??= pidsWith(' process --group bench-processor-')[0];
      snapshotCpu(m[1]!);
      phases.push({ name: m[1]!.replace(' phase', ''), t: (Date.now() - t0) / 1000 });
      log(
        `${line.slice('bench: '.length)} (t = ${phases.at(-1)!.t.toFixed(1)} s, graph lag ${samples.at(-1)?.lag ?? 0})`,
      );
    }
  }
});
const benchCode = await new Promise<number | null>((r) => bench.once('exit', r));
const loadEnd = (Date.now() - t0) / 1000;
if (benchCode !== 0) throw new Error(`pipeline bench failed (${benchCode}):\n${benchErr}`);
const pipeline = JSON.parse(benchJson);
snapshotCpu('load end');
const atLoadEnd = await sample();
log(
  `load done at t = ${loadEnd.toFixed(1)} s; graph lag ${atLoadEnd.lag} records; waiting for the graph to catch up`,
);

// Caught up: every record the pipeline produced is committed by the graph service.
let caughtUpAt: number | null = null;
for (const deadline = Date.now() + Number(values['catch-up']) * 1000; Date.now() < deadline; ) {
  const s = samples.at(-1)!;
  if (s.t > loadEnd && s.lag === 0) {
    caughtUpAt = s.t;
    break;
  }
  if (Math.round(s.t) % 10 === 0) log(`t = ${s.t.toFixed(0)} s: graph lag ${s.lag}`);
  await new Promise((r) => setTimeout(r, 1000));
}
snapshotCpu('caught up');
sampling = false;
await sampler;
await admin.close();
graphService.kill('SIGTERM');
await new Promise((r) => graphService.once('exit', r));
const graphAfter = await countTransactions();
await driver.close();

// Rates per phase from the samples: produced (end offsets) and written (commits) per second.
const at = (t: number) => samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
const phaseStart = (name: string) => phases.find((p) => p.name === name)?.t ?? null;
const rateBetween = (a: number, b: number) => {
  const sa = at(a);
  const sb = at(b);
  const dt = sb.t - sa.t;
  return dt <= 0
    ? null
    : {
        produced_tx_s: Math.round((sb.end - sa.end) / dt),
        written_tx_s: Math.round((sb.committed - sa.committed) / dt),
        lag_from: sa.lag,
        lag_to: sb.lag,
      };
};
const sat = phaseStart('saturation');
const sus = phaseStart('sustained');
const maxLag = samples.reduce((m, s) => (s.lag > m.lag ? s : m), samples[0]!);
const result = {
  machine: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadavg_1m_after: +(loadavg()[0] ?? 0).toFixed(1),
  },
  pipeline: {
    saturation_tx_s: pipeline.saturation.throughput_tx_s,
    sustained_offered_tx_s: pipeline.sustained.offered_tx_s,
    sustained_latency_ms: pipeline.sustained.latency_ms,
  },
  graph: {
    nice: graphNice ?? 0,
    warm_up: warmed
      ? {
          batches: Number(warmed[1]),
          first_ms: Number(warmed[2]),
          last_ms: Number(warmed[3]),
          took_ms: Number(warmed[4]),
        }
      : null,
    transactions_before: graphBefore,
    transactions_after: graphAfter,
    written: samples.at(-1)!.committed - samples[0]!.committed,
    max_lag: maxLag.lag,
    max_lag_at_s: Math.round(maxLag.t),
    saturation: sat !== null && sus !== null ? rateBetween(sat, sus) : null,
    sustained: sus !== null ? rateBetween(sus, loadEnd) : null,
    after_load:
      caughtUpAt !== null ? rateBetween(loadEnd, caughtUpAt) : rateBetween(loadEnd, samples.at(-1)!.t),
    lag_at_load_end: atLoadEnd.lag,
    caught_up_s_after_load: caughtUpAt === null ? null : Math.round(caughtUpAt - loadEnd),
  },
  /** Average cores each process used between phase changes (its CPU time / wall time). */
  cpu_cores: cpuAt.slice(1).map((c, i) => {
    const prev = cpuAt[i]!;
    const secs = c.t - prev.t;
    const cores: Record<string, number | null> = {};
    for (const name of Object.keys(c.ms)) {
      const a = prev.ms[name];
      const b = c.ms[name];
      cores[name] =
        a == null || b == null || secs <= 0 ? null : Math.round(((b - a) / 1000 / secs) * 100) / 100;
    }
    return { from: prev.phase, to: c.phase, seconds: Math.round(secs * 10) / 10, cores };
  }),
  phases: [...phases, { name: 'load end', t: loadEnd }].map((p) => ({ ...p, t: Math.round(p.t * 10) / 10 })),
  timeline: samples.map((s) => [Math.round(s.t * 10) / 10, s.lag]),
  charts: [] as string[],
};

// Pictures: the lag, and the two rates, over the run.
// Over 5-s windows: the graph commits in batches of 1,000, so 1-s rates jump between 0 and 7,000.
const rates = samples.slice(5).map((s, i) => {
  const p = samples[i]!;
  const dt = s.t - p.t || 1;
  return { t: s.t, produced: (s.end - p.end) / dt, written: (s.committed - p.committed) / dt };
});
const stamp = new Date().toISOString().replace(/[:.]/g, '');
mkdirSync(values.svg, { recursive: true });
// Short, so the title fits the chart.
const phaseNote = `saturation ${sat?.toFixed(0) ?? '?'} s, sustained ${sus?.toFixed(0) ?? '?'} s, load end ${loadEnd.toFixed(0)} s`;
const lagFile = join(values.svg, `graph-live-${stamp}-lag.svg`);
writeFileSync(
  lagFile,
  lineChart({
    title: `Graph service lag, records (${phaseNote})`,
    xLabel: 'seconds since start',
    yLabel: 'records not yet in Neo4j',
    series: [{ name: 'lag', points: samples.map((s) => [s.t, s.lag] as [number, number]) }],
  }),
);
const rateFile = join(values.svg, `graph-live-${stamp}-rates.svg`);
writeFileSync(
  rateFile,
  lineChart({
    title: `Produced vs written to Neo4j, tx/s over 5 s (${phaseNote})`,
    xLabel: 'seconds since start',
    yLabel: 'transactions per second',
    series: [
      {
        name: 'pipeline: enriched-transactions produced',
        points: rates.map((r) => [r.t, r.produced] as [number, number]),
      },
      {
        name: 'graph service: written to Neo4j',
        points: rates.map((r) => [r.t, r.written] as [number, number]),
      },
    ],
    hLines: [{ y: Number(values.rate), label: `sustained rate ${values.rate} tx/s` }],
  }),
);
result.charts.push(lagFile, rateFile);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
const g = result.graph;
log(
  `pipeline ${result.pipeline.saturation_tx_s} tx/s at saturation, p99 ${result.pipeline.sustained_latency_ms.p99} ms at ${values.rate} tx/s; ` +
    `graph: max lag ${g.max_lag} at ${g.max_lag_at_s} s, ${g.sustained?.written_tx_s ?? '?'} tx/s written during the sustained phase, ` +
    (g.caught_up_s_after_load === null
      ? 'did NOT catch up'
      : `caught up ${g.caught_up_s_after_load} s after the load`) +
    `; charts: ${result.charts.join(', ')}`,
);
process.exit(0);
