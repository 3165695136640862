/**
 * Standalone SVG charts for benchmark results: a latency histogram on log-scale bins and a
 * multi-series line chart. Pure and dependency-free: every function returns data or an SVG
 * string (white background, `xmlns` set, text escaped); writing files is the caller's job.
 *
 * Every number written into the SVG goes through `num`, so malformed input (empty arrays, a
 * single point, NaN or Infinity among the values) never puts `NaN` into the output.
 */

export interface ChartSize {
  /** Pixels; default 900. */
  readonly width?: number;
  /** Pixels; default 500. */
  readonly height?: number;
}

export interface HistogramOptions extends ChartSize {
  readonly title: string;
  readonly valuesMs: ArrayLike<number>;
  /** Percentiles marked with a labelled vertical line (nearest rank); default [50, 95, 99]. */
  readonly percentiles?: readonly number[];
  /** Lower edge of the first bin, ms (smaller values, zero included, are counted in it); default 0.5. */
  readonly minMs?: number;
  /** Number of bins; default 40. */
  readonly bins?: number;
}

export interface LineSeries {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartOptions extends ChartSize {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** A smaller line under the title (units, bucket size, n). */
  readonly subtitle?: string;
  /** An x range the axis covers at least (e.g. the whole phase, when its data start later). */
  readonly xRange?: readonly [number, number];
  /** Log-scale y axis; values ≤ 0 are drawn on the axis floor. */
  readonly yLog?: boolean;
  /** The x values are counts (run 1, 2, …): ticks only at whole numbers. */
  readonly xWhole?: boolean;
  /** Horizontal reference lines (a target, a limit), drawn dashed with their label. */
  readonly hLines?: ReadonlyArray<{ readonly y: number; readonly label: string }>;
}

/** Log-spaced bins: `edges` has `counts.length + 1` entries, each a constant ratio above the last. */
export interface LogBins {
  readonly edges: number[];
  readonly counts: number[];
  /** Every value is a whole number: edges at half-integers, each bin at least 1 wide. */
  readonly whole: boolean;
  /** Some values are below the first edge (and counted in the first bin). */
  readonly below: boolean;
}

/** Colour-blind-safe palette (Okabe–Ito), in series order. */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const MARKER_COLOURS = ['#009E73', '#E69F00', '#D55E00', '#000000'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
/** A white outline behind a label, so it stays readable over bars and lines. */
const HALO = 'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"';

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate for an attribute: one decimal, and 0 rather than NaN or Infinity. */
function num(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 10) / 10) : '0';
}

/** A value for a label: up to 3 significant digits, no exponent, thousands as plain digits. */
export function formatValue(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a >= 10) return String(Math.round(x * 10) / 10);
  if (a >= 1) return String(Math.round(x * 100) / 100);
  if (a === 0) return '0';
  return String(Number(x.toPrecision(2)));
}

function finite(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out[n++] = v;
  }
  return out.subarray(0, n);
}

/** Nearest-rank percentile of ascending `sorted` (the definition `summarize` uses). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
}

/**
 * About `count` log-spaced bins from `minMs` (or the smallest value, if larger, rounded down to
 * a 1-2-5 step) to just above the largest value, so the largest value falls in the last bin.
 * Values below the first edge are counted in the first bin.
 *
 * Whole numbers (latencies from `Date.now()` differences are whole ms) get edges at
 * half-integers and widths that never shrink: the geometric width rounded, at least 1. Bins
 * narrower than 1 would leave empty bins between the integers (a comb), and widths alternating
 * between 1 and 2 a sawtooth. The last bin ends half a unit above the largest value. Values
 * below the first edge (zeros) then get a bin of their own, to its left.
 */
export function logBins(valuesMs: ArrayLike<number>, minMs = 0.5, count = 40): LogBins {
  const values = finite(valuesMs);
  let max = 0;
  let min = Number.POSITIVE_INFINITY;
  let whole = values.length > 0;
  for (const v of values) {
    if (v > max) max = v;
    if (v < min) min = v;
    if (whole && !Number.isInteger(v)) whole = false;
  }
  const lo = values.length > 0 && min > minMs ? Math.max(minMs, niceFloor(min)) : minMs;
  const hi = Math.max(max * 1.0001, lo * 2);
  const ratio = (hi / lo) ** (1 / count);
  let edges: number[];
  if (whole) {
    let e = Math.max(0.5, Math.floor(lo - 0.5) + 0.5);
    edges = [e];
    // Rounded widths of a growing geometric series never shrink.
    while (e <= max) {
      e += Math.max(1, Math.round(e * (ratio - 1)));
      edges.push(e);
    }
    // The last bin ends at the largest value (no room drawn for values that do not exist).
    if (edges.length === 1) edges.push(e + 1);
    else edges[edges.length - 1] = Math.min(e, max + 0.5);
    if (min < edges[0]!) edges.unshift(edges[0]! / 2);
  } else {
    edges = Array.from({ length: count + 1 }, (_, i) => lo * ratio ** i);
    edges[count] = hi;
  }
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    // The last edge at or below v (binary search), clamped to the bins.
    let a = 0;
    let b = counts.length - 1;
    while (a < b) {
      const m = (a + b + 1) >> 1;
      if (edges[m]! <= v) a = m;
      else b = m - 1;
    }
    counts[a]!++;
  }
  return { edges, counts, whole, below: values.length > 0 && min < edges[0]! };
}

/** The largest 1-2-5 step (…, 0.5, 1, 2, 5, 10, …) at or below `x` (> 0). */
function niceFloor(x: number): number {
  const decade = 10 ** Math.floor(Math.log10(x));
  for (const m of [5, 2, 1]) if (m * decade <= x) return m * decade;
  return decade;
}

/** 1-2-5 ticks within [lo, hi] for a log axis (fewer steps when the range spans many decades). */
function logTicks(lo: number, hi: number): number[] {
  const decades = Math.log10(hi / lo);
  const steps = decades > 6 ? [1] : decades > 3 ? [1, 3] : [1, 2, 5];
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of steps) {
      const t = m * 10 ** e;
      if (t >= lo * 0.9999 && t <= hi * 1.0001) out.push(Number(t.toPrecision(6)));
    }
  }
  return out;
}

/** About `target` evenly spaced 1-2-5 ticks covering [lo, hi], and the rounded-out range. */
function linearTicks(lo: number, hi: number, target = 5): { ticks: number[]; lo: number; hi: number } {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.5;
    return linearTicks(lo - pad, hi + pad, target);
  }
  const raw = (hi - lo) / target;
  const decade = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * decade >= raw) ?? 10) * decade;
  const first = Math.floor(lo / step) * step;
  const last = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = first; t <= last + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { ticks, lo: first, hi: last };
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

function frame(size: ChartSize, top: number): Frame {
  const width = size.width ?? 900;
  const height = size.height ?? 500;
  return { width, height, left: 78, right: width - 24, top, bottom: height - 58 };
}

function open(f: Frame, title: string, subtitle?: string): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#ffffff"/>`,
    `<text class="title" x="${num(f.width / 2)}" y="26" text-anchor="middle" ${FONT} font-size="17" font-weight="bold" fill="#222222">${escapeXml(title)}</text>`,
  ];
  if (subtitle)
    out.push(
      `<text class="subtitle" x="${num(f.width / 2)}" y="46" text-anchor="middle" ${FONT} font-size="12" fill="#555555">${escapeXml(subtitle)}</text>`,
    );
  return out;
}

function noData(f: Frame, lines: string[]): string {
  lines.push(
    `<rect x="${num(f.left)}" y="${num(f.top)}" width="${num(f.right - f.left)}" height="${num(f.bottom - f.top)}" fill="none" stroke="#999999"/>`,
    `<text class="no-data" x="${num((f.left + f.right) / 2)}" y="${num((f.top + f.bottom) / 2)}" text-anchor="middle" ${FONT} font-size="16" fill="#777777">no data</text>`,
    '</svg>',
  );
  return `${lines.join('\n')}\n`;
}

/** Axes, grid lines and tick labels for a plot area whose scales are `sx` and `sy`. */
function axes(
  f: Frame,
  xTicks: readonly number[],
  sx: (x: number) => number,
  yTicks: readonly number[],
  sy: (y: number) => number,
  xLabel: string,
  yLabel: string,
): string[] {
  const out: string[] = [];
  for (const t of yTicks) {
    const y = sy(t);
    out.push(
      `<line class="grid" x1="${num(f.left)}" y1="${num(y)}" x2="${num(f.right)}" y2="${num(y)}" stroke="#e6e6e6"/>`,
      `<text class="ytick" x="${num(f.left - 6)}" y="${num(y + 4)}" text-anchor="end" ${FONT} font-size="12" fill="#333333">${escapeXml(formatValue(t))}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = sx(t);
    out.push(
      `<line class="grid" x1="${num(x)}" y1="${num(f.top)}" x2="${num(x)}" y2="${num(f.bottom)}" stroke="#f0f0f0"/>`,
      `<line x1="${num(x)}" y1="${num(f.bottom)}" x2="${num(x)}" y2="${num(f.bottom + 5)}" stroke="#333333"/>`,
      `<text class="xtick" x="${num(x)}" y="${num(f.bottom + 19)}" text-anchor="middle" ${FONT} font-size="12" fill="#333333">${escapeXml(formatValue(t))}</text>`,
    );
  }
  out.push(
    `<path d="M${num(f.left)},${num(f.top)} V${num(f.bottom)} H${num(f.right)}" fill="none" stroke="#333333"/>`,
    `<text class="xlabel" x="${num((f.left + f.right) / 2)}" y="${num(f.height - 14)}" text-anchor="middle" ${FONT} font-size="13" fill="#222222">${escapeXml(xLabel)}</text>`,
    `<text class="ylabel" transform="translate(18,${num((f.top + f.bottom) / 2)}) rotate(-90)" text-anchor="middle" ${FONT} font-size="13" fill="#222222">${escapeXml(yLabel)}</text>`,
  );
  return out;
}

/**
 * Histogram of latencies: log-scale bins on x (see `logBins`), the count per bin on a linear y,
 * and dashed vertical markers at the requested percentiles and the maximum, each labelled with
 * its value. A non-empty bin is at least 1 px high, so lone outliers stay visible; a marker for
 * a value below the first edge (0 ms) stands in the middle of the first bin, which counts it.
 */
export function latencyHistogram(o: HistogramOptions): string {
  const values = finite(o.valuesMs).slice().sort();
  const n = values.length;
  const f = frame(o, 62);
  if (n === 0) return noData(f, open(f, o.title, 'n = 0'));

  const { edges, counts, whole, below } = logBins(values, o.minMs ?? 0.5, o.bins ?? 40);
  const lines = open(
    f,
    o.title,
    `n = ${n}, ${counts.length} log-scale bins` +
      (whole ? ' (whole-ms latencies: bins at least 1 ms wide)' : ''),
  );
  const lo = edges[0]!;
  // Some room right of the last bin for the max marker and its label.
  const hi = edges[edges.length - 1]! * (edges[edges.length - 1]! / lo) ** 0.04;
  const sx = (v: number) =>
    f.left + ((Math.log(Math.max(v, lo)) - Math.log(lo)) / Math.log(hi / lo)) * (f.right - f.left);
  // Headroom above the tallest bar for the marker labels.
  const y = linearTicks(0, Math.max(1, extent(counts)[1] * 1.2));
  const sy = (c: number) => f.bottom - (c / y.hi) * (f.bottom - f.top);
  lines.push(
    ...axes(f, logTicks(lo, hi), sx, y.ticks, sy, 'latency (ms, log scale)', 'transactions per bin'),
  );

  const binLabel = (i: number) => {
    const [a, b] = [edges[i]!, edges[i + 1]!];
    if (i === 0 && below) return `< ${formatValue(b)} ms`;
    if (whole) return b - a <= 1 ? `${a + 0.5} ms` : `${a + 0.5}–${b - 0.5} ms`;
    return `${formatValue(a)}–${formatValue(b)} ms`;
  };
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const x0 = sx(edges[i]!);
    const x1 = sx(edges[i + 1]!);
    const top = Math.min(sy(c), f.bottom - 1);
    lines.push(
      `<rect class="bar" x="${num(x0 + 0.5)}" y="${num(top)}" width="${num(Math.max(1, x1 - x0 - 1))}" height="${num(f.bottom - top)}" fill="#56B4E9" stroke="#0072B2" stroke-width="0.5"><title>${escapeXml(`${binLabel(i)}: ${c}`)}</title></rect>`,
    );
  }

  const markers = (o.percentiles ?? [50, 95, 99]).map((p) => ({
    label: `p${p}`,
    value: percentileOfSorted(values, p),
  }));
  markers.push({ label: 'max', value: values[n - 1]! });
  markers.forEach((m, i) => {
    const x = m.value < lo ? (sx(edges[0]!) + sx(edges[1]!)) / 2 : sx(m.value);
    const colour = MARKER_COLOURS[i % MARKER_COLOURS.length]!;
    // Staggered rows keep the labels of close markers (p95, p99) apart; near the right edge
    // the label goes on the left of its line.
    const ty = f.top + 14 + i * 16;
    const leftSide = x > f.right - 110;
    lines.push(
      `<line class="marker ${escapeXml(m.label)}" x1="${num(x)}" y1="${num(f.top)}" x2="${num(x)}" y2="${num(f.bottom)}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5,3"/>`,
      `<text class="marker-label" x="${num(leftSide ? x - 4 : x + 4)}" y="${num(ty)}" text-anchor="${leftSide ? 'end' : 'start'}" ${FONT} font-size="12" font-weight="bold" fill="${colour}" ${HALO}>${escapeXml(`${m.label} ${formatValue(m.value)} ms`)}</text>`,
    );
  });
  lines.push('</svg>');
  return `${lines.join('\n')}\n`;
}

/**
 * Multi-series line chart with a legend under the title, optional log-scale y and dashed
 * horizontal reference lines. Non-finite points are skipped; a series with no points still
 * appears in the legend; series of up to 60 points also get a dot per point (so a single point
 * shows); no points at all gives a "no data" chart.
 */
export function lineChart(o: LineChartOptions): string {
  const series = o.series.map((s) => ({
    name: s.name,
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  }));
  const hLines = (o.hLines ?? []).filter((h) => Number.isFinite(h.y) && (!o.yLog || h.y > 0));
  const f = frame(o, 76);
  const lines = open(f, o.title, o.subtitle);

  // Legend: one row under the title, wrapping when it would pass the right edge.
  let lx = f.left;
  let ly = o.subtitle ? 68 : 56;
  series.forEach((s, i) => {
    const name = s.points.length === 0 ? `${s.name} (no data)` : s.name;
    const w = 34 + name.length * 7.2;
    if (lx + w > f.right && lx > f.left) {
      lx = f.left;
      ly += 16;
    }
    const colour = PALETTE[i % PALETTE.length]!;
    lines.push(
      `<g class="legend-item"><line x1="${num(lx)}" y1="${num(ly - 4)}" x2="${num(lx + 22)}" y2="${num(ly - 4)}" stroke="${colour}" stroke-width="2.5"/><text class="legend" x="${num(lx + 27)}" y="${num(ly)}" ${FONT} font-size="12" fill="#222222">${escapeXml(name)}</text></g>`,
    );
    lx += w + 14;
  });
  const plot: Frame = { ...f, top: Math.max(f.top, ly + 16) };

  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return noData(plot, lines);

  const [xMin, xMax] = extent([...all.map(([x]) => x), ...(o.xRange ?? [])].filter(Number.isFinite));
  const x = linearTicks(xMin, xMax, 8);
  const sx = (v: number) => plot.left + ((v - x.lo) / (x.hi - x.lo)) * (plot.right - plot.left);

  const ys = [...all.map(([, y]) => y), ...hLines.map((h) => h.y)];
  let sy: (v: number) => number;
  let yTicks: number[];
  if (o.yLog) {
    const positive = ys.filter((v) => v > 0);
    const [pMin, pMax] = positive.length > 0 ? extent(positive) : [0.1, 1];
    // Below the smallest value, so a series at its minimum does not run along the x axis.
    const lo = niceFloor(pMin * 0.9);
    const hi = Math.max(niceCeil(pMax), lo * 10);
    const span = Math.log(hi / lo);
    sy = (v: number) => plot.bottom - (Math.log(Math.max(v, lo) / lo) / span) * (plot.bottom - plot.top);
    yTicks = logTicks(lo, hi);
  } else {
    const [yMin, yMax] = extent(ys);
    const y = linearTicks(Math.min(0, yMin), yMax);
    sy = (v: number) => plot.bottom - ((v - y.lo) / (y.hi - y.lo)) * (plot.bottom - plot.top);
    yTicks = y.ticks;
  }
  const xTicks = o.xWhole ? x.ticks.filter((t) => Number.isInteger(t)) : x.ticks;
  lines.push(...axes(plot, xTicks, sx, yTicks, sy, o.xLabel, o.yLabel));

  for (const h of hLines) {
    const y = sy(h.y);
    lines.push(
      `<line class="hline" x1="${num(plot.left)}" y1="${num(y)}" x2="${num(plot.right)}" y2="${num(y)}" stroke="#CC0000" stroke-width="1.5" stroke-dasharray="7,4"/>`,
      `<text class="hline-label" x="${num(plot.right - 4)}" y="${num(y - 5)}" text-anchor="end" ${FONT} font-size="12" font-weight="bold" fill="#CC0000" ${HALO}>${escapeXml(`${h.label} (${formatValue(h.y)})`)}</text>`,
    );
  }
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const colour = PALETTE[i % PALETTE.length]!;
    const pts = s.points.map(([px, py]) => `${num(sx(px))},${num(sy(py))}`);
    lines.push(
      `<polyline class="series" points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round"><title>${escapeXml(s.name)}</title></polyline>`,
    );
    if (s.points.length <= 60)
      for (const p of pts) {
        const [cx, cy] = p.split(',');
        lines.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`);
      }
  });
  lines.push('</svg>');
  return `${lines.join('\n')}\n`;
}

/** [min, max] of a non-empty array, without spreading it into arguments (long series). */
function extent(values: readonly number[]): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** The smallest 1-2-5 step at or above `x` (> 0). */
function niceCeil(x: number): number {
  const decade = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * decade >= x * 0.9999) return m * decade;
  return 10 * decade;
}

/**
 * Per-bucket percentiles of `values` grouped by `times` (e.g. send time in seconds since the
 * phase start, latency in ms): one row per non-empty bucket, `t` at the bucket's middle, with
 * the nearest-rank percentiles `ps` and the maximum. Non-finite pairs are skipped.
 */
export function bucketPercentiles(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  bucket = 1,
  ps: readonly number[] = [50, 99],
): Array<{ t: number; count: number; percentiles: number[]; max: number }> {
  const groups = new Map<number, number[]>();
  const n = Math.min(times.length, values.length);
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    const v = values[i]!;
    if (!Number.isFinite(t) || !Number.isFinite(v)) continue;
    const k = Math.floor(t / bucket);
    const g = groups.get(k);
    if (g) g.push(v);
    else groups.set(k, [v]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([k, g]) => {
      const sorted = Float64Array.from(g).sort();
      return {
        t: (k + 0.5) * bucket,
        count: sorted.length,
        percentiles: ps.map((p) => percentileOfSorted(sorted, p)),
        max: sorted[sorted.length - 1]!,
      };
    });
}
