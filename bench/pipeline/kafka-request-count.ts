/**
 * Preload that counts the Kafka requests a process sends, by API, from the client's own
 * diagnostics channel. Snapshots go to `$KAFKA_REQUEST_COUNT_DIR/<role>-<pid>-<time>.json` on
 * SIGUSR2 and at exit; two snapshots give requests per second over the time between them.
 *
 *   NODE_OPTIONS="--import ./bench/pipeline/kafka-request-count.ts" bin/fraud bench --mode kafka
 *   pkill -USR2 -f 'main.ts (bench|process)'   # at the start and the end of a window
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const dir = process.env['KAFKA_REQUEST_COUNT_DIR'] ?? '/tmp';
const counts: Record<string, number> = {};
const API: Record<number, string> = {
  0: 'produce',
  1: 'fetch',
  8: 'offset_commit',
  12: 'heartbeat',
  3: 'metadata',
};
tracingChannel('plt:kafka:connections:api').subscribe({
  start(d) {
    const key = API[(d as { apiKey: number }).apiKey] ?? String((d as { apiKey: number }).apiKey);
    counts[key] = (counts[key] ?? 0) + 1;
  },
  end() {},
  asyncStart() {},
  asyncEnd() {},
  error() {},
});
const role = process.argv.slice(2).find((a) => a === 'process' || a === 'bench') ?? 'other';
const snapshot = (tag: string) =>
  writeFileSync(`${dir}/${role}-${process.pid}-${tag}.json`, JSON.stringify({ t: Date.now(), counts }));
process.on('SIGUSR2', () => snapshot(String(Date.now())));
process.on('exit', () => snapshot('exit'));
