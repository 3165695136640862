/**
 * Preload that CPU-profiles a process's main thread over a window you choose: the first
 * SIGUSR2 starts V8's sampling profiler (through the in-process inspector), the next writes
 * `$CPU_PROFILE_DIR/<role>-<pid>-<time>.cpuprofile` (Chrome DevTools format) and stops it.
 * Unlike `--cpu-prof`, which covers the whole run, this profiles only, say, the sustained phase
 * of a benchmark. Combines with kafka-request-count.ts, which snapshots on the same signal.
 *
 *   NODE_OPTIONS="--import ./bench/pipeline/cpu-profile.ts" bin/fraud bench --mode kafka --seconds 40
 *   pkill -USR2 -f 'main.ts process'   # once the sustained phase has begun, and again 20 s later
 *   node bench/support/cpu-profile-summary.ts /tmp/process-<pid>-<time>.cpuprofile
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const dir = process.env['CPU_PROFILE_DIR'] ?? '/tmp';
// Sampling interval in µs (V8's default is 1,000).
const interval = Number(process.env['CPU_PROFILE_INTERVAL_US'] ?? 500);
const role = process.argv.slice(2).find((a) => a === 'process' || a === 'bench') ?? 'other';
let session: Session | null = null;

process.on('SIGUSR2', () => {
  if (session === null) {
    const s = new Session();
    s.connect();
    s.post('Profiler.enable', () =>
      s.post('Profiler.setSamplingInterval', { interval }, () => s.post('Profiler.start')),
    );
    session = s;
    return;
  }
  const s = session;
  session = null;
  s.post('Profiler.stop', (err, result) => {
    if (!err) {
      const file = `${dir}/${role}-${process.pid}-${Date.now()}.cpuprofile`;
      writeFileSync(file, JSON.stringify(result.profile));
      process.stderr.write(`cpu-profile: wrote ${file}\n`);
    }
    s.disconnect();
  });
});
