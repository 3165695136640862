/**
 * A preload that logs a process's memory and garbage collections, for finding what paces the
 * major GCs of the Kafka processor. Active only in `main.ts process`, so it can ride on a
 * benchmark's Node flags (the bench passes its own flags to the processor it spawns):
 *
 *   node --disable-warning=ExperimentalWarning --v8-pool-size=1 --no-allocation-site-pretenuring \
 *     --heap-growing-percent=200 --import ./bench/support/gc-log.ts src/cli/main.ts bench --mode kafka --seconds 60
 *
 * (bin/fraud's flags, spelled out.) Every second it appends one JSON line to
 * `$GC_LOG_DIR/gc-log-<pid>.jsonl` (default `.data/bench`): ms since start (`t`), V8 heap used,
 * V8's external memory (`ext`) and ArrayBuffer bytes (`ab`), in MB, and the GCs of that second
 * except scavenges under 5 ms: kind (1 scavenge, 2 mark-compact step, 4 mark-compact, 8
 * incremental, 16 weak callbacks), flags (32: started for external memory), duration, and the
 * ArrayBuffer MB when it ended.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

interface GcLine {
  t: number;
  kind: number;
  flags: number;
  ms: number;
  ab: number;
}

if (process.argv.includes('process')) {
  const dir = process.env.GC_LOG_DIR ?? '.data/bench';
  mkdirSync(dir, { recursive: true });
  const out = `${dir}/gc-log-${process.pid}.jsonl`;
  const t0 = performance.now();
  const mb = (bytes: number) => Math.round(bytes / 1e6);
  const gcs: GcLine[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const { kind, flags } = (e as unknown as { detail: { kind: number; flags: number } }).detail;
      if (kind === 1 && e.duration < 5) continue;
      const ms = Math.round(e.duration * 10) / 10;
      gcs.push({
        t: Math.round(e.startTime - t0),
        kind,
        flags,
        ms,
        ab: mb(process.memoryUsage().arrayBuffers),
      });
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    const m = process.memoryUsage();
    const line = {
      t: Math.round(performance.now() - t0),
      heap: mb(m.heapUsed),
      ext: mb(m.external),
      ab: mb(m.arrayBuffers),
      gcs: gcs.splice(0),
    };
    appendFileSync(out, `${JSON.stringify(line)}\n`);
  }, 1000).unref();
}
