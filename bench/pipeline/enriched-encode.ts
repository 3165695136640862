/**
 * Enriched-record encoding, per record: the string path (`enrichedJson`, then UTF-8 into a
 * buffer, as the bus does with a string value) against `EnrichedEncoder` (bytes straight into
 * a reused buffer, what the processor uses), and the encoder's two feature forms (`named`, an
 * object by name; `vector`, the default). Real feature vectors from simulated traffic.
 *
 *   node --disable-warning=ExperimentalWarning bench/pipeline/enriched-encode.ts [--records 4000] [--rounds 30]
 */
import { parseArgs } from 'node:util';
import { MemoryFeatureStore } from '../../src/adapters/features-memory/index.ts';
import { EnrichedEncoder, enrichedJson } from '../../src/core/pipeline/index.ts';
import { transactionJson } from '../../src/services/ingestor/index.ts';
import { simulate } from '../features/common.ts';

const { values } = parseArgs({ options: { records: { type: 'string' }, rounds: { type: 'string' } } });
const records = Number(values.records ?? 4000);
const rounds = Number(values.rounds ?? 30);

const { transactions } = simulate(records * 3);
const store = new MemoryFeatureStore();
const vectors: Float64Array[] = [];
for (let i = 0; i < transactions.length; i += 256)
  for (const v of await store.enrich(transactions.slice(i, i + 256))) vectors.push(Float64Array.from(v));
// The last third: cards with history, as in steady traffic.
const V = vectors.slice(-records);
const texts = transactions.slice(-records).map((t) => transactionJson(t));
const raws = texts.map((t) => Buffer.from(t));
const enrichedAt = new Date().toISOString();
const target = Buffer.allocUnsafe(records * 8192);
const named = new EnrichedEncoder('named');
const vector = new EnrichedEncoder('vector');

const paths: Record<string, () => number> = {
  'string (enrichedJson + UTF-8 write), named': () => {
    let at = 0;
    for (let i = 0; i < V.length; i++)
      at += target.write(enrichedJson(texts[i]!, V[i]!, enrichedAt, 'named'), at, 'utf8');
    return at;
  },
  'bytes (EnrichedEncoder), named': () => bytes(named),
  'bytes (EnrichedEncoder), vector': () => bytes(vector),
};

function bytes(encoder: EnrichedEncoder): number {
  encoder.reset();
  let n = 0;
  for (let i = 0; i < V.length; i++) n += encoder.encode(raws[i]!, V[i]!, enrichedAt).length;
  return n;
}

const results: Record<string, { us_per_record: number[]; bytes_per_record: number }> = {};
for (let rep = 0; rep < 3; rep++) {
  for (const [name, run] of Object.entries(paths)) {
    for (let i = 0; i < 5; i++) run();
    const t = process.hrtime.bigint();
    let bytes = 0;
    for (let i = 0; i < rounds; i++) bytes = run();
    const us = Number(process.hrtime.bigint() - t) / 1e3 / rounds / V.length;
    results[name] ??= { us_per_record: [], bytes_per_record: Math.round(bytes / V.length) };
    results[name].us_per_record.push(Number(us.toFixed(2)));
    process.stderr.write(`${name}: ${us.toFixed(2)} µs/record\n`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [s, b, v] = Object.values(results).map((r) => median(r.us_per_record)) as [number, number, number];
console.log(
  JSON.stringify(
    {
      node: process.version,
      records,
      rounds,
      results,
      ratio_string_over_bytes: Number((s / b).toFixed(2)),
      ratio_named_over_vector: Number((b / v).toFixed(2)),
    },
    null,
    2,
  ),
);
