/*
 * Backfill writer (runs on the I/O thread): formats the feature vectors the engine thread
 * computed into CSV rows, straight to bytes, after the id cells the reader kept for the batch
 * (same thread, same order), and writes them in order.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { CsvBytes } from './csv-bytes.ts';
import type { CsvWorkerData, VectorBatch } from './pipeline.ts';
import type { PrefixBatch } from './reader.ts';

/**
 * Writes the header, then the rows of each VectorBatch received on `port` (their id cells
 * taken from the head of `prefixes`), acknowledging each.
 */
export function runWriter(
  port: MessagePort,
  data: CsvWorkerData,
  prefixes: PrefixBatch[],
  spentPrefixes: Buffer[],
): void {
  const { out, header, width } = data;
  const ws = createWriteStream(out, { highWaterMark: 1 << 20 });
  let failed: Error | null = null;
  ws.on('error', (err) => {
    failed ??= err;
    port.postMessage({ kind: 'error', message: err.message });
  });
  ws.write(`${header}\n`);
  const csv = new CsvBytes(1);
  // Output buffers are reused once the stream has written them, and the vectors' and id
  // cells' buffers go back to their producers: no megabyte allocations per chunk, which
  // made this thread collect garbage for external memory pressure.
  const outputs: Buffer[] = [];

  port.on('message', async (m: VectorBatch | { kind: 'end' }) => {
    if (failed) return;
    if (m.kind === 'end') {
      ws.end();
      await once(ws, 'finish').catch(() => {});
      if (!failed) port.postMessage({ kind: 'finished', cpu: process.threadCpuUsage() });
      return;
    }
    const { vectors, count } = m;
    const cells = prefixes.shift();
    if (cells === undefined) throw new Error('backfill writer: rows without id cells');
    const { bytes, ends } = cells;
    csv.buf = outputs.pop() ?? Buffer.allocUnsafe(2 << 20);
    csv.pos = 0;
    let start = 0;
    for (let row = 0; row < count; row++) {
      const cellsEnd = ends[row]!;
      csv.bytes(bytes, start, cellsEnd);
      start = cellsEnd;
      csv.reserve(width * 32 + 1);
      const end = (row + 1) * width;
      for (let i = row * width; i < end; i++) csv.cell(vectors[i]!);
      csv.byte(10);
    }
    spentPrefixes.push(bytes);
    const full = csv.buf;
    // Acknowledge once the stream has taken the chunk (or drained), which bounds memory.
    if (!ws.write(full.subarray(0, csv.pos), () => outputs.push(full))) {
      await once(ws, 'drain').catch(() => {});
    }
    port.postMessage({ kind: 'ack', vectors }, [vectors.buffer]);
  });
}
