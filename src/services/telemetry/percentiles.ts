/** Latency summary in the units given (medians and tail percentiles, never just a mean). */
export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles over a copy of `values`. */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0)
    return { count: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return { count: n, p50: at(50), p95: at(95), p99: at(99), max: sorted[n - 1]!, mean: sum / n };
}

/** A growable buffer of samples that does not allocate per sample. */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
  clear(): void {
    this.length = 0;
  }
}
