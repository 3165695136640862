// Per-process CPU time from Linux /proc, for benchmarks that share the machine's cores with
// the services they drive (Neo4j, the broker): what each process spent per transaction.
import { readdirSync, readFileSync } from 'node:fs';

/** User + system CPU of a process so far, ms (Linux /proc; null elsewhere or once it exited). */
export function cpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms (USER_HZ 100)
  } catch {
    return null;
  }
}

/** Pids whose command line contains `needle` (this process excluded). */
export function pidsWith(needle: string): number[] {
  const found: number[] = [];
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle))
          found.push(Number(d));
      } catch {}
    }
  } catch {}
  return found;
}
