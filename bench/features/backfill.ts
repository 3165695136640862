// Purpose: offline backfill throughput (tx/s wall, 2 threads on the 2 cores; CPU per thread) and peak memory, JSONL in → CSV out.
// Run: node bench/features/backfill.ts [--count 2000000] [--customers N]   (temp files under $TMPDIR, removed after)
// The population defaults to count / 40 customers: the density of the acceptance run
// (`bin/fraud simulate --count 200000` has 5,000 customers over 56 days, ~0.7 tx per customer-day).

import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { backfillToCsv } from '../../src/services/backfill/index.ts';
import { createSimulator, transactionJson } from '../../src/services/ingestor/index.ts';
import { flag, machine } from './common.ts';

const count = flag('count', 2_000_000);
const customers = flag('customers', Math.round(count / 40));
const dir = mkdtempSync(join(tmpdir(), 'fraud-bench-backfill-'));
const input = join(dir, 'history.jsonl');
const labelsPath = join(dir, 'labels.csv');
// Write the history streaming too: 2 million transactions never sit in memory.
const sim = createSimulator({ seed: 7, count, customers });
const ws = createWriteStream(input);
const labels: string[] = ['transaction_id,is_fraud,labeled_at,scenario'];
let chunk = '';
for (let i = 0; i < count; i++) {
  const e = sim.next();
  chunk += `${transactionJson(e.transaction)}\n`;
  if (e.label)
    labels.push(
      `${e.label.transaction_id},${e.label.is_fraud},${e.label.labeled_at},${e.label.scenario ?? ''}`,
    );
  if (chunk.length > 1 << 20) {
    if (!ws.write(chunk)) await once(ws, 'drain');
    chunk = '';
  }
}
ws.write(chunk);
ws.end();
await once(ws, 'finish');
const ls = createWriteStream(labelsPath);
ls.end(`${labels.join('\n')}\n`);
await once(ls, 'finish');

let peakRss = 0;
const timer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);
const c0 = process.cpuUsage();
const result = await backfillToCsv({ input, labels: labelsPath, out: join(dir, 'features.csv') });
const c = process.cpuUsage(c0);
clearInterval(timer);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
console.log(
  JSON.stringify({
    bench: 'features/backfill',
    machine: machine(),
    transactions: result.transactions,
    customers,
    input_mb: Math.round(statSync(input).size / 1e6),
    output_mb: Math.round(statSync(join(dir, 'features.csv')).size / 1e6),
    seconds: Number((result.elapsedMs / 1000).toFixed(2)),
    tx_per_s_wall: Math.round(result.transactions / (result.elapsedMs / 1000)),
    tx_per_s_cpu: Math.round(result.transactions / ((c.user + c.system) / 1e6)),
    cpu_s_per_thread: result.threadCpu,
    load_average: loadavg().map((x) => Number(x.toFixed(2))),
    peak_rss_mb: Math.round(peakRss / 1e6),
    labels_applied: result.engine.labelsApplied,
  }),
);
rmSync(dir, { recursive: true, force: true });
