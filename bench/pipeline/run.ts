/**
 * Pipeline benchmark (`bin/fraud bench`): sustained throughput and decision latency of the whole
 * decision pipeline (validate → features → graph → model → rules/policy → produce), embedded or
 * through a real Kafka broker. Latency is measured from the producer's send time of a
 * `transactions` record to the moment its score is produced.
 *
 * Two phases, because one number cannot describe both:
 *  1. saturation: all transactions offered at once; throughput = count / (last score − first send);
 *  2. sustained: transactions offered at a fixed rate; latency percentiles at that load.
 *
 * With `svgDir`, it also writes charts (SVG): each phase's latency histogram and the sustained
 * phase's latency over time.
 */

import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { KafkaBus } from '../../src/adapters/bus-kafka/index.ts';
import { MemoryBus } from '../../src/adapters/bus-memory/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { TOPICS } from '../../src/core/contracts/index.ts';
import { createPlatform, EMBEDDED_RETAIN_PER_PARTITION, topicSpecs } from '../../src/platform/index.ts';
import type { EventBus, OutgoingMessage } from '../../src/ports/index.ts';
import { createSimulator, transactionJson } from '../../src/services/ingestor/index.ts';
import { StreamProcessor } from '../../src/services/processor/index.ts';
import { Samples, type Summary, summarize } from '../../src/services/telemetry/index.ts';
import { type HostProbe, probeHost } from '../support/host-probe.ts';
import { bucketPercentiles, latencyHistogram, lineChart } from '../support/svg-charts.ts';

export interface PipelineBenchOptions {
  readonly mode: 'embedded' | 'kafka';
  /** Transactions in the saturation phase. */
  readonly count: number;
  /** Offered load of the sustained phase, tx/s. */
  readonly rate: number;
  /** Length of the sustained phase, seconds. */
  readonly seconds: number;
  readonly seed: number;
  /** Simulated customers (their cards, devices and IPs). Default: the simulator's 5,000. */
  readonly customers?: number;
  /** Processor batch size. */
  readonly batch: number;
  /**
   * Directory for the charts (SVG): the latency histograms of both phases and the sustained
   * phase's latency over time. None are written when absent.
   */
  readonly svgDir?: string;
  readonly progress?: (line: string) => void;
}

export interface PipelineBenchResult {
  readonly mode: 'embedded' | 'kafka';
  /** `probe`: the host's speed at the run (`bench/support/host-probe.ts`), to compare hosts. */
  readonly machine: { cpus: number; cpu_model: string; node: string; platform: string; probe?: HostProbe };
  readonly pipeline: { features: string; model: string; rules: string; graph: string; partitions: number };
  /** `cpu_ms_per_tx`: this process's CPU time per transaction (embedded: the whole pipeline). */
  readonly saturation: {
    count: number;
    seconds: number;
    throughput_tx_s: number;
    cpu_ms_per_tx?: number;
    /** Embedded: the CPU time of the thread that decides (the main thread) per transaction. */
    decision_thread_cpu_ms_per_tx?: number;
    latency_ms: Summary;
  };
  readonly sustained: {
    offered_tx_s: number;
    achieved_tx_s: number;
    seconds: number;
    latency_ms: Summary;
    /**
     * Kafka mode: the latency split by stage, from each score's `decided_at` and `latency_ms`:
     * send → picked up by the processor, deciding, decided → score produced.
     */
    stages?: { consumed_ms: Summary; decide_ms: Summary; produce_ms: Summary };
    /**
     * Kafka mode: the processor's garbage-collection pauses during the phase, from its own
     * `/metrics` (prom-client's GC histogram): how many, their total, and how many exceeded
     * 10 ms and 100 ms. A pause stops every record in flight, so these bound the tail.
     * `major` counts the full mark-compacts among them, the pauses the 60-s tail is made of.
     */
    processor_gc?: { pauses: number; total_ms: number; over_10ms: number; over_100ms: number; major: number };
  };
  /** Paths of the charts written to `svgDir`. */
  readonly charts?: string[];
}

/** GC pause counters from a prom-client exposition (all kinds summed). */
interface GcCounters {
  count: number;
  sumSeconds: number;
  le10ms: number;
  le100ms: number;
  major: number;
}

export function gcCounters(metrics: string): GcCounters {
  const c: GcCounters = { count: 0, sumSeconds: 0, le10ms: 0, le100ms: 0, major: 0 };
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('fraud_nodejs_gc_duration_seconds')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('fraud_nodejs_gc_duration_seconds_count')) {
      c.count += value;
      if (line.includes('kind="major"')) c.major += value;
    } else if (line.startsWith('fraud_nodejs_gc_duration_seconds_sum')) c.sumSeconds += value;
    else if (line.includes('le="0.01"')) c.le10ms += value;
    else if (line.includes('le="0.1"')) c.le100ms += value;
  }
  return c;
}

export function gcDelta(before: GcCounters, after: GcCounters) {
  const pauses = after.count - before.count;
  return {
    pauses,
    total_ms: round((after.sumSeconds - before.sumSeconds) * 1000, 1),
    over_10ms: pauses - (after.le10ms - before.le10ms),
    over_100ms: pauses - (after.le100ms - before.le100ms),
    major: after.major - before.major,
  };
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const roundSummary = (s: Summary): Summary => ({
  count: s.count,
  p50: round(s.p50),
  p95: round(s.p95),
  p99: round(s.p99),
  max: round(s.max),
  mean: round(s.mean),
});

function saturationResult(
  count: number,
  seconds: number,
  latency: Summary,
  cpuMs?: number,
  decisionThreadCpuMs?: number,
) {
  return {
    count,
    seconds: round(seconds, 3),
    throughput_tx_s: Math.round(count / seconds),
    ...(cpuMs === undefined ? {} : { cpu_ms_per_tx: round(cpuMs / count, 4) }),
    ...(decisionThreadCpuMs === undefined
      ? {}
      : { decision_thread_cpu_ms_per_tx: round(decisionThreadCpuMs / count, 4) }),
    latency_ms: roundSummary(latency),
  };
}

function sustainedResult(offered: number, count: number, seconds: number, latency: Summary) {
  return {
    offered_tx_s: offered,
    achieved_tx_s: Math.round(count / seconds),
    seconds: round(seconds, 3),
    latency_ms: roundSummary(latency),
  };
}

/** One phase of pre-built input: the messages and their transaction ids, in order. */
interface Phase {
  readonly messages: OutgoingMessage[];
  readonly ids: string[];
}

/**
 * Pre-serialised simulated transactions (generation is kept out of the measured window): one
 * continuous history from one seed, cut into consecutive phases, so each phase continues the
 * cards' histories in event-time order as production traffic would. Each phase's values are
 * UTF-8 bytes in one buffer: held as strings, 300,000 transactions are ropes of a dozen pieces
 * each, millions of heap objects that the garbage collector would mark on every major cycle. In
 * embedded mode that heap is the pipeline's, so the benchmark would partly measure its own input.
 */
function generate(sizes: readonly number[], seed: number, prefix: string, customers?: number): Phase[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const sim = createSimulator({ seed, count: total, idPrefix: prefix, ...(customers ? { customers } : {}) });
  return sizes.map((n) => {
    const keys: string[] = new Array(n);
    const ids: string[] = new Array(n);
    const texts: string[] = new Array(n);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const { transaction } = sim.next();
      keys[i] = transaction.card_id;
      ids[i] = transaction.transaction_id;
      texts[i] = transactionJson(transaction);
      bytes += Buffer.byteLength(texts[i]!);
    }
    const slab = Buffer.allocUnsafeSlow(bytes);
    const messages: OutgoingMessage[] = new Array(n);
    for (let i = 0, at = 0; i < n; i++) {
      const len = slab.write(texts[i]!, at, 'utf8');
      messages[i] = { key: keys[i]!, value: slab.subarray(at, at + len) };
      at += len;
    }
    return { messages, ids };
  });
}

/** Sends `messages` stamped with their send time, at `rate` tx/s (Infinity = as fast as possible). */
async function offer(
  bus: EventBus,
  messages: OutgoingMessage[],
  rate: number,
  chunk: number,
): Promise<number> {
  const start = Date.now();
  for (let i = 0; i < messages.length; ) {
    if (Number.isFinite(rate)) {
      const due = Math.floor(((Date.now() - start) / 1000) * rate) + 1;
      if (due <= i) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      const n = Math.min(due - i, messages.length - i, chunk);
      const now = Date.now();
      await bus.publish(
        TOPICS.transactions,
        messages.slice(i, i + n).map((m) => ({ ...m, timestamp: now })),
      );
      i += n;
    } else {
      const now = Date.now();
      await bus.publish(
        TOPICS.transactions,
        messages.slice(i, i + chunk).map((m) => ({ ...m, timestamp: now })),
      );
      i += chunk;
      // Let the in-process consumer run between chunks, as a broker would.
      await new Promise((r) => setImmediate(r));
    }
  }
  return start;
}

/** How often a paced Kafka phase sends (see `offerTracked`). */
const LINGER_MS = 5;

function machine() {
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export async function runPipelineBench(o: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const startedAt = new Date();
  const probe = await probeHost();
  o.progress?.(
    `host probe: the feature engine took ${probe.feature_cpu_us_per_tx} µs of CPU per transaction (runs ${probe.runs_us.join(', ')})`,
  );
  const run = await (o.mode === 'embedded' ? embedded(o) : kafka(o));
  const result = { ...run.result, machine: { ...run.result.machine, probe } };
  if (o.svgDir === undefined) return result;
  return { ...result, charts: await writeCharts(o.svgDir, startedAt, o, run.samples) };
}

/**
 * Per-record samples kept for the charts, in arrival order. The sustained phase's are parallel
 * arrays: each record's send time (ms since the epoch) and its latency (ms).
 */
interface PhaseSamples {
  readonly saturationMs: Float64Array;
  readonly sustainedSentAt: Float64Array;
  readonly sustainedMs: Float64Array;
  /** Start of the sustained phase, ms since the epoch. */
  readonly sustainedStart: number;
}

/** The "target p99" line of the latency-over-time chart, ms. */
export const TARGET_P99_MS = 50;

/** A chart file's time stamp: the start time, to the second, without colons (2026-11-27T221500Z). */
export function chartStamp(startedAt: Date): string {
  return startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '');
}

/**
 * Writes the charts of a run to `dir` as `<mode>-<start time>-<chart>.svg` and returns their
 * paths: each phase's latency histogram, and the sustained phase's p50, p99 and max latency per
 * 1-s bucket of send time.
 */
async function writeCharts(
  dir: string,
  startedAt: Date,
  o: PipelineBenchOptions,
  s: PhaseSamples,
): Promise<string[]> {
  const stamp = chartStamp(startedAt);
  const sustainedTitle = `${o.mode} pipeline, sustained ${o.rate} tx/s for ${o.seconds} s`;
  // Send times in s since the phase start. The last records leave on the offer loop's next tick,
  // a few ms after the nominal end (and embedded send times are estimated a little late): left
  // alone, they would make a last bucket of a handful of records. Up to 250 ms late they count
  // in the last second; a phase that really ran over keeps its later buckets.
  const sentS = s.sustainedSentAt.map((t) => {
    const sec = (t - s.sustainedStart) / 1000;
    return sec >= o.seconds && sec < o.seconds + 0.25 ? o.seconds - 0.001 : sec;
  });
  const buckets = bucketPercentiles(sentS, s.sustainedMs, 1, [50, 99]);
  const charts: Record<string, string> = {
    'sustained-histogram': latencyHistogram({
      title: `${sustainedTitle} — decision latency`,
      valuesMs: s.sustainedMs,
    }),
    'sustained-timeline': lineChart({
      title: `${sustainedTitle} — latency over time`,
      subtitle: `per 1-s bucket of send time; n = ${s.sustainedMs.length}`,
      xLabel: 'send time (s since the start of the phase)',
      yLabel: 'latency (ms, log scale)',
      yLog: true,
      xRange: [0, o.seconds],
      series: [
        { name: 'p50', points: buckets.map((b) => [b.t, b.percentiles[0]!] as const) },
        { name: 'p99', points: buckets.map((b) => [b.t, b.percentiles[1]!] as const) },
        { name: 'max', points: buckets.map((b) => [b.t, b.max] as const) },
      ],
      hLines: [{ y: TARGET_P99_MS, label: 'target p99' }],
    }),
    'saturation-histogram': latencyHistogram({
      title: `${o.mode} pipeline, saturation (${o.count} transactions offered at once) — decision latency`,
      valuesMs: s.saturationMs,
    }),
  };
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, svg] of Object.entries(charts)) {
    const path = join(dir, `${o.mode}-${stamp}-${name}.svg`);
    await writeFile(path, svg);
    paths.push(path);
  }
  return paths;
}

async function embedded(
  o: PipelineBenchOptions,
): Promise<{ result: PipelineBenchResult; samples: PhaseSamples }> {
  const log = o.progress ?? (() => {});
  const env = { ...process.env, KAFKA_BROKERS: '', REDIS_URL: process.env['REDIS_URL'] ?? '' };
  const config = loadConfig(env);
  // The output topics keep what `bin/fraud up` keeps. The input topic must hold the saturation
  // phase, offered at once (twice the even share per partition), or the processor would skip
  // what retention dropped. Keeping all output as well measured the garbage collector marking
  // a log of hundreds of megabytes, which no deployment has.
  const bus = new MemoryBus({
    partitions: config.partitions,
    retainPerPartition: EMBEDDED_RETAIN_PER_PARTITION,
    retainByTopic: {
      [TOPICS.transactions]: Math.ceil(
        (2 * Math.max(o.count, o.rate * o.seconds, 20_000)) / config.partitions,
      ),
    },
  });
  const platform = await createPlatform(config, { bus, watch: false });
  const latencies = new Samples();
  // Each record's send time, for the charts: the batch's produce time minus the record's latency.
  // The batch is reported after the graph has observed it, so the time taken here is a little
  // later than its produce time; the difference only shifts records within the 1-s buckets.
  const sentAt = new Samples();
  let processed = 0;
  let lastAt = 0;
  const processor = new StreamProcessor({
    bus,
    engine: platform.engine,
    features: platform.features,
    graph: platform.graph,
    maxBatchSize: o.batch,
    consumeLabels: false,
    enrichedFeatures: config.enrichedFeatures,
    onBatch: (results, _dead, e2e) => {
      processed += results.length;
      lastAt = Date.now();
      for (const ms of e2e) {
        latencies.push(ms);
        sentAt.push(lastAt - ms);
      }
    },
  });
  await processor.start();
  const waitFor = async (n: number) => {
    while (processed < n) await new Promise((r) => setTimeout(r, 5));
  };

  log(`embedded: generating ${o.count + Math.ceil(o.rate * o.seconds)} simulated transactions`);
  const [warm, saturation, sustained] = generate(
    [Math.min(20_000, o.count), o.count, Math.ceil(o.rate * o.seconds)],
    o.seed,
    'tx_',
    o.customers,
  ).map((p) => p.messages) as [OutgoingMessage[], OutgoingMessage[], OutgoingMessage[]];

  log('embedded: warm-up (JIT, feature state)');
  await offer(bus, warm, Number.POSITIVE_INFINITY, 2_000);
  await waitFor(warm.length);

  log(`embedded: saturation phase, ${o.count} transactions offered at once`);
  latencies.clear();
  sentAt.clear();
  let base = processed;
  const cpuBefore = process.cpuUsage();
  const threadCpuBefore = process.threadCpuUsage();
  const satStart = await offer(bus, saturation, Number.POSITIVE_INFINITY, 2_000);
  await waitFor(base + saturation.length);
  const cpu = process.cpuUsage(cpuBefore);
  const threadCpu = process.threadCpuUsage(threadCpuBefore);
  const satSeconds = (lastAt - satStart) / 1000;
  const satLatency = summarize(latencies.values());
  const satValues = latencies.values().slice();

  log(`embedded: sustained phase, ${o.rate} tx/s for ${o.seconds} s`);
  latencies.clear();
  sentAt.clear();
  base = processed;
  const susStart = await offer(bus, sustained, o.rate, 5_000);
  await waitFor(base + sustained.length);
  const susSeconds = (lastAt - susStart) / 1000;
  const susLatency = summarize(latencies.values());

  await processor.stop();
  const result: PipelineBenchResult = {
    mode: 'embedded',
    machine: machine(),
    pipeline: describePipeline(platform, config.partitions),
    saturation: saturationResult(
      saturation.length,
      satSeconds,
      satLatency,
      (cpu.user + cpu.system) / 1000,
      (threadCpu.user + threadCpu.system) / 1000,
    ),
    sustained: sustainedResult(o.rate, sustained.length, susSeconds, susLatency),
  };
  await platform.close();
  return {
    result,
    samples: {
      saturationMs: satValues,
      sustainedSentAt: sentAt.values(),
      sustainedMs: latencies.values(),
      sustainedStart: susStart,
    },
  };
}

function describePipeline(platform: Awaited<ReturnType<typeof createPlatform>>, partitions: number) {
  return {
    features: platform.features.kind,
    model: platform.model.current?.version ?? 'none',
    rules: platform.policy.current.version,
    graph: platform.graph.kind,
    partitions,
  };
}

async function kafka(
  o: PipelineBenchOptions,
): Promise<{ result: PipelineBenchResult; samples: PhaseSamples }> {
  const log = o.progress ?? (() => {});
  const config = loadConfig();
  if (!config.kafkaBrokers)
    throw new Error("--mode kafka needs KAFKA_BROKERS (start Kafka with 'bin/fraud infra up kafka')");
  const brokers = [...config.kafkaBrokers];
  const { pinGroupToEnd } = await import('../../src/adapters/bus-kafka/offsets.ts');
  const { spawn } = await import('node:child_process');
  const bus = new KafkaBus({ brokers, clientId: 'bench' });
  await bus.ensureTopics(topicSpecs(config.partitions));
  const run = randomUUID().slice(0, 8);
  const group = `bench-processor-${run}`;
  await pinGroupToEnd(brokers, group, [TOPICS.transactions]);
  const watchGroup = `bench-watch-${run}`;
  await pinGroupToEnd(brokers, watchGroup, [TOPICS.scores]);

  // The processor runs as its own process, the way it is deployed; this process only offers
  // load and reads scores.
  const root = new URL('../..', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [
      // The processor runs with this process's Node flags (bin/fraud's V8 pool size among them).
      ...process.execArgv.filter((a) => !a.startsWith('--cpu-prof')),
      '--disable-warning=ExperimentalWarning',
      `${root}src/cli/main.ts`,
      'process',
      '--group',
      group,
      '--port',
      '0',
      '--batch',
      String(o.batch),
    ],
    { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // A bench that fails part-way, or is interrupted, must not leave its processor running (it
  // would compete with the next run for the cores and the partitions).
  // (Removed once the processor has stopped: a series of runs would pile them up otherwise.)
  const killChild = () => child.kill('SIGKILL');
  const onInt = () => process.exit(130);
  const onTerm = () => process.exit(143);
  process.once('exit', killChild);
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  let childOut = '';
  child.stderr!.on('data', (d: Buffer) => {
    childOut += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!childOut.includes('processor running')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`processor did not start:\n${childOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const metricsUrl = /metrics at (\S+\/metrics)/.exec(childOut)?.[1];
  const processorGc = async (): Promise<GcCounters | null> => {
    if (!metricsUrl) return null;
    try {
      return gcCounters(await (await fetch(metricsUrl)).text());
    } catch {
      return null;
    }
  };
  const scores = await bus.subscribe({
    groupId: watchGroup,
    topics: [TOPICS.scores],
    from: 'earliest',
    maxBatchSize: 5_000,
    // The latency is read from each score's own timestamp, so the watcher may fetch lazily: a
    // fetch every 200 ms instead of one per produced batch leaves the broker's CPU to the pipeline.
    fetch: { maxWaitMs: 200, minBytes: 256 * 1024 },
  });

  const sendTimes = new Map<string, number>();
  const latencies = new Samples();
  /** Each score's send time, parallel to `latencies` (for the charts). */
  const sentAt = new Samples();
  const stages = { toProcessor: new Samples(), decide: new Samples(), toProduce: new Samples() };
  const clearStages = () => {
    for (const st of Object.values(stages)) st.clear();
  };
  const stageSummary = () => ({
    consumed_ms: roundSummary(summarize(stages.toProcessor.values())),
    decide_ms: roundSummary(summarize(stages.decide.values())),
    produce_ms: roundSummary(summarize(stages.toProduce.values())),
  });
  let lastAt = 0;
  let received = 0;
  let reading = true;
  const reader = (async () => {
    while (reading) {
      const batch = await scores.next(100);
      if (batch === null) return;
      for (const r of batch) {
        // The id, the decision time and the engine's latency: the latency and its three stages.
        const score = JSON.parse(r.value.toString('utf8')) as {
          transaction_id: string;
          decided_at: string;
          latency_ms: number;
        };
        const sent = sendTimes.get(score.transaction_id);
        if (sent === undefined) continue;
        sendTimes.delete(score.transaction_id);
        latencies.push(r.timestamp - sent);
        sentAt.push(sent);
        // Where the time went: broker and consumer fetch, then deciding, then producing.
        const decidedAt = Date.parse(score.decided_at);
        stages.toProcessor.push(Math.max(0, decidedAt - score.latency_ms - sent));
        stages.decide.push(score.latency_ms);
        stages.toProduce.push(Math.max(0, r.timestamp - decidedAt));
        lastAt = Math.max(lastAt, r.timestamp);
        received++;
      }
    }
  })();
  // At a fixed rate the records leave every LINGER_MS, each stamped with the time it was due, as
  // a Kafka producer with linger.ms 5 (the Java client's default since Kafka 4.0) sends them: the
  // wait counts in the latency. The earlier loop sent every ~2 ms, one produce request per ~10
  // records, and on a small host the broker's per-request CPU was a large share of its load
  // (docs/benchmarks.md, Pipeline).
  const offerTracked = async ({ messages, ids }: Phase, rate: number) => {
    const start = Date.now();
    const paced = Number.isFinite(rate);
    const chunk = 1_000;
    let tick = start;
    for (let i = 0; i < messages.length; ) {
      let n = Math.min(chunk, messages.length - i);
      if (paced) {
        // The next tick (at once when a send took longer than a tick), then whatever is due.
        tick += LINGER_MS;
        const wait = tick - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const due = Math.floor(((Date.now() - start) / 1000) * rate) + 1;
        if (due <= i) continue;
        n = Math.min(n, due - i);
      }
      const now = Date.now();
      const batch: OutgoingMessage[] = [];
      for (let k = i; k < i + n; k++) {
        const sent = paced ? start + Math.floor((k * 1000) / rate) : now;
        sendTimes.set(ids[k]!, sent);
        batch.push({ ...messages[k]!, timestamp: sent });
      }
      await bus.publish(TOPICS.transactions, batch);
      i += n;
    }
    return start;
  };
  const waitFor = async (n: number, timeoutMs = 120_000) => {
    const end = Date.now() + timeoutMs;
    while (received < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  };

  const [warm, saturation, sustained] = generate(
    [Math.min(20_000, o.count), o.count, Math.ceil(o.rate * o.seconds)],
    o.seed,
    `tx_${run}_`,
    o.customers,
  ) as [Phase, Phase, Phase];

  log('kafka: warm-up');
  await offerTracked(warm, Number.POSITIVE_INFINITY);
  await waitFor(warm.messages.length);

  log(`kafka: saturation phase, ${o.count} transactions offered as fast as the producer sends`);
  latencies.clear();
  sentAt.clear();
  received = 0;
  const satStart = await offerTracked(saturation, Number.POSITIVE_INFINITY);
  await waitFor(saturation.messages.length);
  const satSeconds = (lastAt - satStart) / 1000;
  const satReceived = received;
  const satLatency = summarize(latencies.values());
  const satValues = latencies.values().slice();

  log(`kafka: sustained phase, ${o.rate} tx/s for ${o.seconds} s`);
  latencies.clear();
  sentAt.clear();
  clearStages();
  received = 0;
  const gcBefore = await processorGc();
  const susStart = await offerTracked(sustained, o.rate);
  await waitFor(sustained.messages.length);
  const gcAfter = await processorGc();
  const susSeconds = (lastAt - susStart) / 1000;
  const susReceived = received;
  const susLatency = summarize(latencies.values());
  const susStages = stageSummary();

  reading = false;
  await reader;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  process.off('exit', killChild);
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  await bus.close();
  if (satReceived < saturation.messages.length || susReceived < sustained.messages.length) {
    throw new Error(
      `scores missing: saturation ${satReceived}/${saturation.messages.length}, sustained ${susReceived}/${sustained.messages.length}`,
    );
  }
  const result: PipelineBenchResult = {
    mode: 'kafka',
    machine: machine(),
    pipeline: {
      features: /features (\S+);/.exec(childOut)?.[1] ?? 'unknown',
      model: /model (\S+);/.exec(childOut)?.[1] ?? 'unknown',
      rules: /rules (\S+);/.exec(childOut)?.[1] ?? 'unknown',
      graph: /graph (\S+)\)/.exec(childOut)?.[1] ?? 'unknown',
      partitions: config.partitions,
    },
    saturation: saturationResult(saturation.messages.length, satSeconds, satLatency),
    sustained: {
      ...sustainedResult(o.rate, sustained.messages.length, susSeconds, susLatency),
      stages: susStages,
      ...(gcBefore && gcAfter ? { processor_gc: gcDelta(gcBefore, gcAfter) } : {}),
    },
  };
  return {
    result,
    samples: {
      saturationMs: satValues,
      sustainedSentAt: sentAt.values(),
      sustainedMs: latencies.values(),
      sustainedStart: susStart,
    },
  };
}
