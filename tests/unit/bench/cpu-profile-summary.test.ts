import { describe, expect, it } from 'vitest';
import { lineTicks, type Profile, summarize } from '../../../bench/support/cpu-profile-summary.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// (root) → decide (a.ts:10) → features (b.ts:20) → decide again (recursion); plus (idle).
const profile: Profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5] },
    { id: 2, callFrame: frame('decide', 'file:///repo/src/a.ts', 9), children: [3] },
    {
      id: 3,
      callFrame: frame('features', 'file:///repo/src/b.ts', 19),
      children: [4],
      positionTicks: [
        { line: 21, ticks: 3 },
        { line: 22, ticks: 1 },
      ],
    },
    { id: 4, callFrame: frame('decide', 'file:///repo/src/a.ts', 9) },
    { id: 5, callFrame: frame('(idle)') },
  ],
  // One sample a second: decide, features ×2, decide (recursive), idle ×2.
  samples: [2, 3, 3, 4, 5, 5],
  timeDeltas: [1e6, 1e6, 1e6, 1e6, 1e6, 1e6],
  startTime: 0,
  endTime: 6e6,
};

describe('the CPU profile summary', () => {
  it('splits samples into self time per file and function, and inclusive time counted once per stack', () => {
    const s = summarize(profile, 0, Number.POSITIVE_INFINITY, '/repo');
    expect(s.total).toBe(6);
    expect(s.busy).toBeCloseTo(4 / 6);
    expect(s.selfByFile.get('src/a.ts')).toBe(2);
    expect(s.selfByFile.get('src/b.ts')).toBe(2);
    expect(s.selfByFunction.get('features b.ts:20')).toBe(2);
    // decide is on 4 stacks; the recursive one counts once.
    expect(s.inclusive.get('decide a.ts:10')).toBe(4);
    expect(s.inclusive.get('features b.ts:20')).toBe(3);
    expect(s.inclusive.get('(root) :1')).toBe(6);
  });

  it('keeps only the samples of a time window', () => {
    // Samples at 1..6 s: from 2 s to 4 s holds features, features, decide.
    const s = summarize(profile, 2e6, 4e6, '/repo');
    expect(s.total).toBe(3);
    expect(s.busy).toBe(1);
    expect(s.inclusive.get('features b.ts:20')).toBe(3);
    expect(s.selfByFunction.get('decide a.ts:10')).toBe(1);
  });

  it("breaks a function's ticks down by source line", () => {
    expect([...lineTicks(profile, 'features:20')]).toEqual([
      [21, 3],
      [22, 1],
    ]);
  });
});
