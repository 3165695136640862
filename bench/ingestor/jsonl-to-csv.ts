// Purpose: turns a simulated history (JSONL) into a plain CSV with foreign column names, to
// feed 'bin/fraud dataset import' at scale (docs/benchmarks.md, Ingestor).
// Run: node bench/ingestor/jsonl-to-csv.ts /tmp/m.jsonl /tmp/m.csv

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: node bench/ingestor/jsonl-to-csv.ts IN.jsonl OUT.csv');
const out = createWriteStream(output);
out.write('id,ts,amt,ccy,card,shop,kind,cust,ctry,present,dev,ip\n');
let buf = '';
for await (const line of createInterface({ input: createReadStream(input) })) {
  if (line === '') continue;
  const t = JSON.parse(line);
  // 'YYYY-MM-DD HH:MM:SS.mmm' without a zone: read back in UTC, the importer's default.
  const ts = String(t.timestamp).replace('T', ' ').replace('Z', '');
  buf += `${[t.transaction_id, ts, t.amount, t.currency, t.card_id, t.merchant_id, t.merchant_category, t.customer_id, t.merchant_country, t.card_present, t.device_id, t.ip_address].join(',')}\n`;
  if (buf.length > 1 << 20) {
    if (!out.write(buf)) await once(out, 'drain');
    buf = '';
  }
}
out.end(buf);
await once(out, 'finish');
