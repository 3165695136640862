import { describe, expect, it } from 'vitest';
import { probeHost } from '../../../bench/support/host-probe.ts';

describe("the benchmark's host probe", () => {
  it("reports the feature engine's CPU time per transaction: every run, and their median", async () => {
    const p = await probeHost(3_000, 3);
    expect(p.transactions).toBe(3_000);
    expect(p.runs_us).toHaveLength(3);
    for (const us of p.runs_us) expect(us).toBeGreaterThan(0);
    const sorted = [...p.runs_us].sort((a, b) => a - b);
    expect(p.feature_cpu_us_per_tx).toBe(sorted[1]);
  });
});
