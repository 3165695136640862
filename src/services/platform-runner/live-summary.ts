import type { DecisionResult } from '../decision-engine/index.ts';
import { Samples, summarize } from '../telemetry/index.ts';

/**
 * The live terminal summary of `bin/fraud up`: throughput, decision mix and end-to-end latency
 * over the last window, plus running totals.
 */
export class LiveSummary {
  private readonly window = new Samples();
  private windowStart = Date.now();
  private windowCount = 0;
  private readonly mix = { approve: 0, review: 0, block: 0 };
  total = 0;
  alerts = 0;
  deadLettered = 0;

  observe(results: readonly DecisionResult[], deadLettered: number, endToEndMs: readonly number[]): void {
    for (const r of results) {
      this.mix[r.score.decision]++;
      if (r.alert) this.alerts++;
    }
    for (const ms of endToEndMs) this.window.push(ms);
    this.windowCount += results.length;
    this.total += results.length;
    this.deadLettered += deadLettered;
  }

  /** One line for the last window; resets the window. */
  line(): string {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.windowStart) / 1000);
    const rate = this.windowCount / seconds;
    const lat = summarize(this.window.values());
    const all = Math.max(1, this.mix.approve + this.mix.review + this.mix.block);
    const pct = (n: number) => `${((100 * n) / all).toFixed(1)}%`;
    this.window.clear();
    this.windowCount = 0;
    this.windowStart = now;
    const latency =
      lat.count === 0 ? 'p50 -, p99 -' : `p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms`;
    return (
      `${rate.toFixed(0).padStart(6)} tx/s | approve ${pct(this.mix.approve)} review ${pct(this.mix.review)} block ${pct(this.mix.block)}` +
      ` | ${latency} | total ${this.total}, alerts ${this.alerts}, dlq ${this.deadLettered}`
    );
  }
}
