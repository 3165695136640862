// Purpose: cost of the compiled decision policy per transaction with N rules (issue 4: 200 rules ≤ 10 µs).
//
// Run: node --disable-warning=ExperimentalWarning bench/rules/evaluate.ts [--rules 200] [--tx 20000] [--runs 7] [--leaf-rate 0.05]
//
// Builds a synthetic rule set over the real feature catalogue (FEATURE_NAMES at run time), graph
// signals and transaction fields — comparisons, all/any/not, in-sets, between, field-vs-field,
// list lookups — and decides a fixed pool of transactions with varied feature vectors. Reports
// the median over runs of the mean µs per decision, and p50/p99 of single decisions, for the
// set and for an empty set (the difference is what the rules add).
import { parseArgs } from 'node:util';
import { BRIEF_EXAMPLE_TRANSACTION } from '../../src/core/contracts/index.ts';
import { type DecisionFacts, policyCompiler } from '../../src/core/decision/index.ts';
import { FEATURE_NAMES } from '../../src/core/features/index.ts';
import { ListStore } from '../../src/core/lists/index.ts';

const { values } = parseArgs({
  options: {
    rules: { type: 'string', default: '200' },
    tx: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '7' },
    'leaf-rate': { type: 'string', default: '0.05' },
  },
});
const nRules = Number(values.rules);
const nTx = Number(values.tx);
const runs = Number(values.runs);
const leafRate = Number(values['leaf-rate']);

// Deterministic PRNG so every run benchmarks the same rules and inputs.
let seed = 42;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const features = FEATURE_NAMES.filter((n) => !n.startsWith('is_') && n !== 'card_present');
const countries = ['BR', 'AR', 'US', 'NG', 'RU', 'PT', 'MX', 'CO'];

// Each leaf holds for about `leafRate` of the pool (default 5%); a rule ANDs two or three leaves
// (some under any), so a rule fires on a fraction of a percent of transactions, as production
// rules do. `--leaf-rate 0.3` makes rules fire often, to measure the cost of recording hits.
function leaf(): string {
  const p = leafRate;
  switch (Math.floor(rand() * 8)) {
    case 0:
      return `{ tx.amount: { gte: ${Math.round(6000 * (1 - p))} } }`;
    case 1:
      return `{ all: [ { tx.merchant_country: { in: [${pick(countries)}] } }, { tx.amount: { gte: ${Math.round(6000 * Math.max(0, 1 - 8 * p))} } } ] }`;
    case 2: {
      const lo = rand() * (20 - 20 * p);
      return `{ feature.${pick(features)}: { between: [${lo.toFixed(2)}, ${(lo + 20 * p).toFixed(2)}] } }`;
    }
    case 3:
      return `{ feature.${pick(features)}: { gt: ${(20 * (1 - p)).toFixed(2)} } }`;
    case 4:
      return `{ graph.ring_score: { gte: ${(1 - p).toFixed(3)} } }`;
    case 5:
      return `{ tx.amount: { gt: { field: feature.${pick(features)}, times: ${Math.round(150 / p)} } } }`;
    case 6:
      return `{ not: { model.score: { lt: ${(1 - p).toFixed(3)} } } }`;
    default:
      return `{ any: [ { deny_list: [card] }, { graph.device_cards_24h: { gte: 6 } } ] }`;
  }
}

function condition(): string {
  return rand() < 0.5
    ? `{ all: [ ${leaf()}, ${leaf()} ] }`
    : `{ all: [ ${leaf()}, { any: [ ${leaf()}, ${leaf()} ] } ] }`;
}

function ruleSet(n: number): string {
  const lines = ['label: bench', 'rules:'];
  for (let i = 0; i < n; i++) {
    const action = pick(['review', 'block', 'score', 'score', 'score']);
    lines.push(
      `  - id: r${i}`,
      `    priority: ${Math.floor(rand() * 100)}`,
      `    when: ${condition()}`,
      `    action: ${action}`,
      ...(action === 'score' ? [`    contribution: ${(rand() * 0.2).toFixed(2)}`] : []),
      `    reason: reason_${i}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// Every (1/leafRate)-th card of the pool is on the deny list.
const stride = Math.max(1, Math.round(1 / leafRate));
const lists = new ListStore(
  Array.from({ length: 1000 }, (_, i) => ({
    kind: 'deny' as const,
    entity: 'card' as const,
    value: `card_${i * stride}`,
    added_at: '2026-01-01T00:00:00Z',
  })),
);
const compile = policyCompiler({ catalogue: { featureNames: FEATURE_NAMES, graphSignals: null }, lists });
const policy = compile(ruleSet(nRules), 'bench.yaml');
const empty = compile('label: empty\nrules: []\n', 'empty.yaml');

const pool: DecisionFacts[] = Array.from({ length: 1000 }, (_, i) => ({
  transaction: {
    ...BRIEF_EXAMPLE_TRANSACTION,
    transaction_id: `tx_${i}`,
    card_id: `card_${i}`,
    amount: Math.round(rand() * 6000 * 100) / 100,
    merchant_country: pick(countries) as 'BR',
  },
  features: Float64Array.from(FEATURE_NAMES, () => (rand() < 0.1 ? Number.NaN : rand() * 20)),
  modelScore: rand() < 0.05 ? null : rand(),
  graph:
    rand() < 0.1
      ? undefined
      : {
          device_cards_24h: Math.floor(rand() * 6),
          card_cluster_size: Math.floor(rand() * 10),
          ring_score: rand(),
        },
}));

interface Figures {
  /** Median over runs of wall-clock µs per decision. */
  wall: number;
  /** Median over runs of CPU µs per decision (user + system): robust when the machine is shared. */
  cpu: number;
  p50: number;
  p99: number;
  hits: number;
}

function measure(p: typeof policy): Figures {
  const walls: number[] = [];
  const cpus: number[] = [];
  let hits = 0;
  for (let r = 0; r < runs + 1; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < nTx; i++) hits += p.decide(pool[i % pool.length]!).ruleHits.length;
    const wall = Number(process.hrtime.bigint() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (r > 0) {
      // run 0 warms the JIT up
      walls.push(wall / nTx);
      cpus.push((c.user + c.system) / nTx);
    }
  }
  // Single decisions, timed one by one (includes ~0.1 µs of timer overhead each).
  const singles = new Float64Array(nTx);
  for (let i = 0; i < nTx; i++) {
    const s = process.hrtime.bigint();
    p.decide(pool[i % pool.length]!);
    singles[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  singles.sort();
  return {
    wall: med(walls),
    cpu: med(cpus),
    p50: singles[Math.floor(nTx * 0.5)]!,
    p99: singles[Math.floor(nTx * 0.99)]!,
    hits: hits / nTx / (runs + 1),
  };
}

const base = measure(empty);
const full = measure(policy);
const f = (x: number) => x.toFixed(2);
const line = (name: string, x: Figures) =>
  `  ${name.padEnd(10)} wall ${f(x.wall)} µs/decision, cpu ${f(x.cpu)} µs/decision (medians of ${runs} runs); single decisions p50 ${f(x.p50)} µs, p99 ${f(x.p99)} µs; ${f(x.hits)} hits/decision`;
process.stdout.write(
  [
    `rules: ${nRules} (${policy.ruleSet.live.length} live), leaf rate ${leafRate}, features: ${FEATURE_NAMES.length}, transactions: ${nTx} × ${runs} runs, node ${process.version}`,
    line('empty set', base),
    line(`${nRules} rules`, full),
    `  added by the rules: wall ${f(full.wall - base.wall)} µs, cpu ${f(full.cpu - base.cpu)} µs per decision (target ≤ 10 µs)`,
    '',
  ].join('\n'),
);
