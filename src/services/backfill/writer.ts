/*
 * Backfill writer (runs on the I/O thread): formats the feature vectors the engine thread
 * computed into CSV rows, straight to bytes, and writes them in order.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { CsvBytes } from './csv.ts';
import type { CsvWorkerData, VectorBatch } from './pipeline.ts';

/** Writes the header, then the rows of each VectorBatch received on `port`, acknowledging each. */
export function runWriter(port: MessagePort, data: CsvWorkerData): void {
  const { out, header, width } = data;
  const ws = createWriteStream(out, { highWaterMark: 1 << 20 });
  let failed: Error | null = null;
  ws.on('error', (err) => {
    failed ??= err;
    port.postMessage({ kind: 'error', message: err.message });
  });
  ws.write(`${header}\n`);
  const csv = new CsvBytes();

  port.on('message', async (m: VectorBatch | { kind: 'end' }) => {
    if (failed) return;
    if (m.kind === 'end') {
      ws.end();
      await once(ws, 'finish').catch(() => {});
      if (!failed) port.postMessage({ kind: 'finished', cpu: process.threadCpuUsage() });
      return;
    }
    const { vectors } = m;
    const prefixes = Buffer.from(m.prefixes, 'utf8');
    let start = 0;
    for (let row = 0; start < prefixes.length; row++) {
      const nl = prefixes.indexOf(10, start);
      csv.bytes(prefixes, start, nl);
      start = nl + 1;
      csv.reserve(width * 32 + 1);
      const end = (row + 1) * width;
      for (let i = row * width; i < end; i++) csv.cell(vectors[i]!);
      csv.byte(10);
    }
    // Acknowledge once the stream has taken the chunk (or drained), which bounds memory.
    if (!ws.write(csv.take())) await once(ws, 'drain').catch(() => {});
    port.postMessage({ kind: 'ack' });
  });
}
