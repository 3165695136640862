// Purpose: 'bin/fraud dataset import' throughput (rows/s) on a simulated history re-exported as
// a CSV with foreign column names, local timestamps and comma decimals.
// Run: node bench/ingestor/dataset-import.ts [rows=500000]

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseAssignments,
  streamImport,
  transactionConverter,
} from '../../src/services/ingestor/dataset-import.ts';
import { createSimulator } from '../../src/services/ingestor/index.ts';

const rows = Number(process.argv[2] ?? 500_000);
const dir = await mkdtemp(join(tmpdir(), 'bench-import-'));
const csvPath = join(dir, 'bank.csv');
const sim = createSimulator({ seed: 3, count: rows });
const lines = ['ref;booked;value;ccy;card;shop;kind;client;country;present;fp;addr'];
for (let i = 0; i < rows; i++) {
  const t = sim.next().transaction;
  const d = new Date(t.timestamp);
  const local = `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  lines.push(
    [
      t.transaction_id,
      local,
      String(t.amount).replace('.', ','),
      t.currency,
      t.card_id,
      t.merchant_id,
      t.merchant_category,
      t.customer_id,
      t.merchant_country,
      t.card_present ? 'yes' : 'no',
      t.device_id,
      t.ip_address,
    ].join(';'),
  );
}
await writeFile(csvPath, `${lines.join('\n')}\n`);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const summary = await streamImport({
  input: createReadStream(csvPath),
  out: createWriteStream(join(dir, 'out.jsonl')),
  rejects: createWriteStream(join(dir, 'rejects.csv')),
  spec: {
    map: parseAssignments(
      'transaction_id=ref,timestamp=booked,amount=value,currency=ccy,card_id=card,merchant_id=shop,merchant_category=kind,customer_id=client,merchant_country=country,card_present=present,device_id=fp,ip_address=addr',
      'map',
    ),
    set: {},
    delimiter: ';',
    decimal: ',',
    timezone: 'Europe/Lisbon',
  },
  compile: transactionConverter,
  format: (tx) => JSON.stringify(tx),
  idOf: (tx) => String(tx['transaction_id']),
  timeOf: (tx) => String(tx['timestamp']),
});
const s = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
console.log(
  JSON.stringify({
    bench: 'dataset import',
    rows: summary.rows,
    converted: summary.converted,
    rejected: summary.rejected,
    seconds: Number(s.toFixed(2)),
    rows_per_s: Math.round(summary.rows / s),
    rows_per_cpu_s: Math.round(summary.rows / cpuS),
  }),
);
