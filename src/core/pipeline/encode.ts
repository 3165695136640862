/**
 * UTF-8 encodes a batch of record values into views of ONE allocation. Buffer.from(string)
 * takes slices of an 8 KiB pool, so a batch of ~2 KB enriched records allocated a new
 * ArrayBuffer every few records; in profiles those allocations (and the GC work behind them)
 * showed up as stalls of tens of milliseconds. Buffers pass through untouched.
 */
export function encodeValues(values: readonly (Buffer | string)[]): Buffer[] {
  let bytes = 0;
  for (const v of values) bytes += typeof v === 'string' ? Buffer.byteLength(v) : 0;
  const slab = Buffer.allocUnsafe(bytes);
  const out: Buffer[] = new Array(values.length);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v === 'string') {
      const n = slab.write(v, at, 'utf8');
      out[i] = slab.subarray(at, at + n);
      at += n;
    } else {
      out[i] = v;
    }
  }
  return out;
}
