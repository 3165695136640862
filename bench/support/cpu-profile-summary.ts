/**
 * Where a `.cpuprofile` (from bench/pipeline/cpu-profile.ts or `node --cpu-prof`) spent its
 * samples: the share that was busy, then self time by source file and by function, and
 * inclusive time (a function and everything it called). `--from`/`--to` keep only the samples
 * between those seconds after the profile's start (for a `--cpu-prof` of a whole run); `--lines`
 * names functions (`name:line`) to break down by source line.
 *
 *   node bench/support/cpu-profile-summary.ts FILE [--top 40] [--from S] [--to S] [--lines signalsFor:685,…]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
  readonly positionTicks?: { line: number; ticks: number }[];
}
export interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileSummary {
  /** Samples in the window. */
  readonly total: number;
  /** Share of them that were not idle. */
  readonly busy: number;
  readonly selfByFile: Map<string, number>;
  readonly selfByFunction: Map<string, number>;
  /** Samples with the function anywhere on the stack (once per stack, however deep its recursion). */
  readonly inclusive: Map<string, number>;
}

/** Sums the samples between `fromUs` and `toUs` after the profile's start. */
export function summarize(
  profile: Profile,
  fromUs = 0,
  toUs = Number.POSITIVE_INFINITY,
  root = process.cwd(),
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = (n: ProfileNode) => n.callFrame.url.replace(/^file:\/\//, '').replace(`${root}/`, '');
  const fn = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${where(n).replace(/.*\//, '')}:${n.callFrame.lineNumber + 1}`;
  const hits = new Map<number, number>();
  let t = 0;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const id = profile.samples[i]!;
    hits.set(id, (hits.get(id) ?? 0) + 1);
    total++;
  }
  const selfByFile = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  for (const [id, n] of hits) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') idle += n;
    add(selfByFile, where(node) || node.callFrame.functionName || '(native)', n);
    add(selfByFunction, fn(node), n);
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const k = fn(byId.get(x)!);
      if (seen.has(k)) continue;
      seen.add(k);
      add(inclusive, k, n);
    }
  }
  return { total, busy: total === 0 ? 0 : 1 - idle / total, selfByFile, selfByFunction, inclusive };
}

/** Ticks per source line of the functions named `name:line`, over the whole profile. */
export function lineTicks(profile: Profile, want: string): Map<number, number> {
  const lines = new Map<number, number>();
  for (const n of profile.nodes) {
    if (`${n.callFrame.functionName}:${n.callFrame.lineNumber + 1}` !== want) continue;
    for (const p of n.positionTicks ?? []) lines.set(p.line, (lines.get(p.line) ?? 0) + p.ticks);
  }
  return lines;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '40' },
      from: { type: 'string', default: '0' },
      to: { type: 'string', default: 'Infinity' },
      lines: { type: 'string', default: '' },
    },
  });
  const file = positionals[0];
  if (!file) {
    console.error(
      'Usage: node bench/support/cpu-profile-summary.ts FILE [--top N] [--from S] [--to S] [--lines fn:line,…]',
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const top = Number(values.top);
  const s = summarize(profile, Number(values.from) * 1e6, Number(values.to) * 1e6);
  if (s.total === 0) {
    console.error('no samples in that window');
    process.exit(1);
  }
  const seconds = ((profile.endTime - profile.startTime) / 1e6).toFixed(1);
  console.log(`${file}: ${s.total} samples (profile ${seconds} s), busy ${(100 * s.busy).toFixed(1)} %`);
  const show = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [k, n] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${((100 * n) / s.total).toFixed(2).padStart(6)} %  ${k}`);
  };
  show('self time by file', s.selfByFile);
  show('self time by function', s.selfByFunction);
  show('inclusive time', s.inclusive);
  for (const want of values.lines.split(',').filter(Boolean)) {
    const lines = lineTicks(profile, want);
    const sum = [...lines.values()].reduce((a, b) => a + b, 0);
    console.log(`\nlines of ${want} (${sum} ticks, whole profile)`);
    for (const [line, n] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, 12))
      console.log(`${((100 * n) / Math.max(1, sum)).toFixed(1).padStart(6)} %  line ${line}`);
  }
}
