// Purpose: model scoring cost in the TypeScript scorer (ONNX Runtime): µs per transaction in batches,
// single-row latency p50/p95/p99, and TreeSHAP explanation latency, for the shipped default model.
// Run: node bench/ml/scoring.ts [--model DIR] [--seconds 3]   (bounded: ~4 × --seconds of one core)
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/adapters/model-onnx/index.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const root = new URL('../../', import.meta.url).pathname;
const dir = arg('model', join(root, 'models', 'default'));
const seconds = Number(arg('seconds', '3'));

const model = await loadModel(dir);
if (!model) throw new Error(`no model at ${dir}`);
// Real feature vectors: the parity rows (simulated history, point-in-time), in catalogue order.
const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as { rows: (number | null)[][] };
const rows = parity.rows.map((r) => Float64Array.from(r, (v) => (v === null ? Number.NaN : v)));
const vector = (i: number) => rows[i % rows.length]!;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function batched(size: number): Promise<number> {
  const batch = Array.from({ length: size }, (_, i) => vector(i));
  for (let i = 0; i < 20; i++) await model!.score(batch); // warm-up
  const per: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await model!.score(batch);
    per.push(((performance.now() - t0) * 1000) / size);
  }
  per.sort((a, b) => a - b);
  return pct(per, 0.5);
}

async function single(): Promise<number[]> {
  for (let i = 0; i < 500; i++) await model!.score([vector(i)]);
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const v = vector(i);
    const t0 = performance.now();
    await model!.score([v]);
    lat.push((performance.now() - t0) * 1000);
  }
  return lat.sort((a, b) => a - b);
}

function explain(): number[] {
  for (let i = 0; i < 200; i++) model!.explain(vector(i), 5);
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const v = vector(i);
    const t0 = performance.now();
    model!.explain(v, 5);
    lat.push((performance.now() - t0) * 1000);
  }
  return lat.sort((a, b) => a - b);
}

const trees =
  (JSON.parse(readFileSync(join(dir, 'explain.json'), 'utf8')) as { trees?: unknown[] }).trees?.length ?? 0;
console.log(
  `model ${model.version} (${model.metadata.algorithm}, ${trees} trees, ${model.metadata.feature_names.length} features)`,
);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const size of [64, 512, 2048])
  console.log(
    `batched ${String(size).padStart(4)}: ${(await batched(size)).toFixed(2)} µs/tx (median over batches)`,
  );
const s = single();
const sl = await s;
console.log(
  `single row: p50 ${pct(sl, 0.5).toFixed(0)} µs, p95 ${pct(sl, 0.95).toFixed(0)} µs, p99 ${pct(sl, 0.99).toFixed(0)} µs (${sl.length} calls)`,
);
const el = explain();
console.log(
  `explain top-5 (TreeSHAP): p50 ${pct(el, 0.5).toFixed(0)} µs, p95 ${pct(el, 0.95).toFixed(0)} µs, p99 ${pct(el, 0.99).toFixed(0)} µs (${el.length} calls)`,
);
await model.close();
