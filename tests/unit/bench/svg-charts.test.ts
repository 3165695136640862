import { describe, expect, it } from 'vitest';
import {
  bucketPercentiles,
  escapeXml,
  formatValue,
  latencyHistogram,
  lineChart,
  logBins,
} from '../../../bench/support/svg-charts.ts';
import { summarize } from '../../../src/services/telemetry/index.ts';

/**
 * A strict-enough well-formedness check for the SVG we emit: one root `<svg>` with the SVG
 * namespace, every tag closed in order, attribute values quoted, and no `&` that does not start
 * an entity. Returns the problem, or null.
 */
function xmlProblem(svg: string): string | null {
  const text = svg.trim();
  if (!text.startsWith('<svg ')) return 'does not start with <svg';
  if (!text.includes('xmlns="http://www.w3.org/2000/svg"')) return 'no SVG xmlns';
  if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) return 'unescaped &';
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let at = 0;
  let roots = 0;
  for (let m = tag.exec(text); m !== null; m = tag.exec(text)) {
    const between = text.slice(at, m.index);
    if (between.includes('<') || between.includes('>')) return `stray markup before ${m[0]}`;
    at = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (stack.length === 0 && !closing) roots++;
    if (closing) {
      if (stack.pop() !== name) return `</${name}> closes the wrong element`;
    } else if (!selfClosing) stack.push(name!);
  }
  if (text.slice(at).trim() !== '') return 'text after the root element';
  if (stack.length > 0) return `unclosed <${stack.join('>, <')}>`;
  return roots === 1 ? null : `${roots} root elements`;
}

/** x1 of the marker line with class `marker <label>`. */
function markerX(svg: string, label: string): number {
  const m = new RegExp(`<line class="marker ${label}" x1="([-\\d.]+)"`).exec(svg);
  if (!m) throw new Error(`no ${label} marker`);
  return Number(m[1]);
}

/** Texts of the elements with class `cls`, unescaped only as far as the tests need. */
function texts(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]!);
}

/** 1, 2, ..., n in a shuffled order (the functions must not rely on sorted input). */
function oneTo(n: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1, seed = 7; i > 0; i--) {
    seed = (seed * 16807) % 2147483647;
    const j = seed % (i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

describe('the well-formedness check used below', () => {
  it('rejects broken markup, so the tests that rely on it can fail', () => {
    expect(xmlProblem('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')).toMatch(/wrong element/);
    expect(xmlProblem('<svg xmlns="http://www.w3.org/2000/svg"><text>a & b</text></svg>')).toMatch(/&/);
    expect(xmlProblem('<svg xmlns="http://www.w3.org/2000/svg"><text>a < b</text></svg>')).not.toBeNull();
    expect(xmlProblem('<svg width="1"><rect/></svg>')).toMatch(/xmlns/);
    expect(xmlProblem('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>')).toBeNull();
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
  });
});

describe('logBins', () => {
  it('covers min..max with log-spaced edges and counts every value once', () => {
    const values = [0.7, 1, 3, 10, 42, 250, 999];
    const { edges, counts } = logBins(values, 0.5, 40);
    expect(counts).toHaveLength(40);
    expect(edges).toHaveLength(41);
    expect(edges[0]).toBeLessThanOrEqual(0.7);
    expect(edges[40]).toBeGreaterThanOrEqual(999);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    const ratio = edges[1]! / edges[0]!;
    for (let i = 1; i < edges.length; i++) expect(edges[i]! / edges[i - 1]!).toBeCloseTo(ratio, 9);
    // The largest value is in the last bin.
    expect(counts[39]).toBe(1);
  });

  it('puts each value in the bin whose edges enclose it', () => {
    const values = [0.9, 2, 7, 33, 120];
    const { edges, counts } = logBins(values, 0.5, 20);
    for (const v of values) {
      const i = edges.findIndex((e, k) => k < counts.length && e <= v && v < edges[k + 1]!);
      expect(i, `bin of ${v}`).toBeGreaterThanOrEqual(0);
      expect(counts[i]).toBeGreaterThanOrEqual(1);
    }
  });

  it('counts values below the floor, zero included, in the first bin', () => {
    const { edges, counts } = logBins([0, 0, 0.1, 5], 0.5, 10);
    expect(edges[0]).toBe(0.5);
    expect(counts[0]).toBe(3);
  });

  it('starts at a 1-2-5 step at or below the smallest value when all are above the floor', () => {
    expect(logBins([23.5, 40.2, 80.1], 0.5, 10).edges[0]).toBe(20);
    // Whole numbers: the half-integer below that step.
    expect(logBins([23, 40, 80], 0.5, 10).edges[0]).toBe(19.5);
  });

  describe('whole-number values (ms from Date.now())', () => {
    // A typical sustained run: most at 1-3 ms, a tail to 180 ms, some at 0.
    const values = [
      ...Array<number>(300).fill(0),
      ...Array<number>(900).fill(1),
      ...Array<number>(400).fill(2),
      ...Array<number>(150).fill(3),
      ...[4, 4, 5, 6, 7, 9, 12, 15, 22, 40, 41, 90, 180],
    ];
    const { edges, counts, whole, below } = logBins(values, 0.5, 40);

    it('puts the edges at half-integers, so each bin holds whole values only', () => {
      expect(whole).toBe(true);
      for (const e of edges.slice(1)) expect(e % 1).toBe(0.5);
    });

    it('gives each small value a bin of its own, with no empty bins between them (no comb)', () => {
      for (const v of [1, 2, 3, 4, 5, 6, 7]) {
        const i = edges.findIndex((e, k) => k < counts.length && e <= v && v < edges[k + 1]!);
        expect(edges[i + 1]! - edges[i]!, `bin of ${v}`).toBe(1);
      }
      expect(counts.slice(1, 8)).toEqual([900, 400, 150, 2, 1, 1, 1]);
    });

    it('never narrows the bins from left to right (no sawtooth), but for the last', () => {
      const widths = edges.slice(2, -1).map((e, k) => e - edges[k + 1]!);
      for (let k = 1; k < widths.length; k++) expect(widths[k]).toBeGreaterThanOrEqual(widths[k - 1]!);
      expect(widths[widths.length - 1]).toBeGreaterThan(1);
    });

    it('counts zeros in a bin of their own, left of 0.5, and covers the maximum', () => {
      expect(below).toBe(true);
      expect(edges[0]).toBeLessThan(0.5);
      expect(edges[1]).toBe(0.5);
      expect(counts[0]).toBe(300);
      expect(edges[edges.length - 1]).toBe(180.5);
      expect(counts[counts.length - 1]).toBe(1);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    });

    it('labels the bars by their values, and draws a 0-ms marker inside the zero bin', () => {
      const s = latencyHistogram({ title: 't', valuesMs: [0, 0, 0, 0, 0, 0, 1, 2, 60] });
      const bars = [
        ...s.matchAll(/<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>([^<]*)</g),
      ];
      // Small values one per bin; 60 ms in a wider bin that ends with it.
      expect(bars.map((m) => m[3]).slice(0, 3)).toEqual(['&lt; 0.5 ms: 6', '1 ms: 1', '2 ms: 1']);
      expect(bars[3]![3]).toMatch(/^\d+–60 ms: 1$/);
      const [x, w] = [Number(bars[0]![1]), Number(bars[0]![2])];
      const p50 = markerX(s, 'p50');
      expect(p50).toBeGreaterThan(x);
      expect(p50).toBeLessThan(x + w);
    });
  });

  it('gives a usable range when every value is the same', () => {
    const { edges, counts } = logBins([5, 5, 5], 0.5, 10);
    expect(edges[edges.length - 1]!).toBeGreaterThan(edges[0]!);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(edges.every(Number.isFinite)).toBe(true);
  });
});

describe('latencyHistogram', () => {
  const svg = latencyHistogram({ title: 'p99 <50 ms & "sustained"', valuesMs: oneTo(1000) });

  it('is a well-formed standalone SVG with a white background', () => {
    expect(xmlProblem(svg)).toBeNull();
    expect(svg).toMatch(/^<svg /);
    expect(svg).toMatch(/<rect x="0" y="0" width="900" height="500" fill="#ffffff"\/>/);
  });

  it('shows the title escaped', () => {
    expect(texts(svg, 'title')).toEqual(['p99 &lt;50 ms &amp; &quot;sustained&quot;']);
    expect(svg).not.toContain('<50 ms');
  });

  it('labels p50, p95, p99 and max with their nearest-rank values, in order along the axis', () => {
    expect(texts(svg, 'marker-label')).toEqual(['p50 500 ms', 'p95 950 ms', 'p99 990 ms', 'max 1000 ms']);
    const x = ['p50', 'p95', 'p99', 'max'].map((m) => markerX(svg, m));
    expect(x[0]).toBeLessThan(x[1]!);
    expect(x[1]).toBeLessThan(x[2]!);
    expect(x[2]).toBeLessThanOrEqual(x[3]!);
  });

  it('places markers on a log scale: equal ratios are equal distances', () => {
    const s = latencyHistogram({ title: 't', valuesMs: [1, 10, 100, 1000], percentiles: [25, 50, 75] });
    const [p25, p50, p75] = ['p25', 'p50', 'p75'].map((m) => markerX(s, m));
    expect(p50! - p25!).toBeGreaterThan(50);
    expect(p75! - p50!).toBeCloseTo(p50! - p25!, 0);
  });

  it('marks the percentiles asked for', () => {
    const s = latencyHistogram({ title: 't', valuesMs: oneTo(1000), percentiles: [10, 90] });
    expect(texts(s, 'marker-label')).toEqual(['p10 100 ms', 'p90 900 ms', 'max 1000 ms']);
  });

  it('agrees with the percentiles of the JSON result (telemetry summarize)', () => {
    const values = Array.from({ length: 5001 }, (_, i) => Math.exp(Math.sin(i * 12.9898) * 4));
    const s = latencyHistogram({ title: 't', valuesMs: values });
    const sum = summarize(values);
    expect(texts(s, 'marker-label')).toEqual([
      `p50 ${formatValue(sum.p50)} ms`,
      `p95 ${formatValue(sum.p95)} ms`,
      `p99 ${formatValue(sum.p99)} ms`,
      `max ${formatValue(sum.max)} ms`,
    ]);
  });

  it('draws a bar for every non-empty bin, with the bin counts summing to n', () => {
    const values = [1, 1, 2, 30, 30, 30, 400];
    const s = latencyHistogram({ title: 't', valuesMs: values });
    const bars = [...s.matchAll(/<rect class="bar"[^>]*><title>[^<]*: (\d+)<\/title>/g)].map((m) =>
      Number(m[1]),
    );
    expect(bars).toEqual([2, 1, 3, 1]);
  });

  it('makes the tallest bar reach the top tick', () => {
    const s = latencyHistogram({ title: 't', valuesMs: [3, 3, 3, 3, 3, 50] });
    const ticks = texts(s, 'ytick').map(Number);
    expect(Math.max(...ticks)).toBeGreaterThanOrEqual(5);
  });

  it('draws a "no data" chart for no values (and for only non-finite ones)', () => {
    for (const valuesMs of [[], [Number.NaN, Number.POSITIVE_INFINITY]]) {
      const s = latencyHistogram({ title: 'empty', valuesMs });
      expect(xmlProblem(s)).toBeNull();
      expect(texts(s, 'no-data')).toEqual(['no data']);
      expect(s).not.toMatch(/NaN|Infinity/);
      expect(s).not.toContain('class="marker');
    }
  });

  it('handles one value, zeros and typed arrays without NaN', () => {
    for (const valuesMs of [[7], [0], new Float64Array([0, 0, 0.2, 12])]) {
      const s = latencyHistogram({ title: 'small', valuesMs });
      expect(xmlProblem(s)).toBeNull();
      expect(s).not.toMatch(/NaN|Infinity/);
      expect(s).toContain('class="marker max"');
    }
  });
});

describe('lineChart', () => {
  const series = [
    {
      name: 'p50',
      points: [
        [0.5, 2],
        [1.5, 3],
        [2.5, 2.5],
      ] as [number, number][],
    },
    {
      name: 'p99 <tail>',
      points: [
        [0.5, 12],
        [1.5, 40],
        [2.5, 18],
      ] as [number, number][],
    },
    {
      name: 'max',
      points: [
        [0.5, 30],
        [1.5, 210],
        [2.5, 60],
      ] as [number, number][],
    },
  ];
  const svg = lineChart({
    title: 'latency over time',
    xLabel: 'send time (s)',
    yLabel: 'latency (ms)',
    series,
    yLog: true,
    hLines: [{ y: 50, label: 'target p99' }],
  });

  it('is a well-formed SVG with a title, axis labels and ticks', () => {
    expect(xmlProblem(svg)).toBeNull();
    expect(texts(svg, 'title')).toEqual(['latency over time']);
    expect(texts(svg, 'xlabel')).toEqual(['send time (s)']);
    expect(texts(svg, 'ylabel')).toEqual(['latency (ms)']);
    expect(texts(svg, 'xtick').length).toBeGreaterThanOrEqual(3);
    expect(texts(svg, 'ytick').length).toBeGreaterThanOrEqual(3);
  });

  it('names every series in the legend, escaped, and draws one line per series', () => {
    expect(texts(svg, 'legend')).toEqual(['p50', 'p99 &lt;tail&gt;', 'max']);
    expect(svg.match(/<polyline class="series"/g)).toHaveLength(3);
  });

  it('uses 1-2-5 ticks on a log y axis covering the data and the reference line', () => {
    const ticks = texts(svg, 'ytick').map(Number);
    expect(Math.min(...ticks)).toBeLessThanOrEqual(2);
    expect(Math.max(...ticks)).toBeGreaterThanOrEqual(210);
    for (const t of ticks) expect(String(t)).toMatch(/^[125]0*$|^0\.0*[125]$/);
  });

  it('draws the labelled reference line between the values below and above it', () => {
    expect(texts(svg, 'hline-label')).toEqual(['target p99 (50)']);
    const y = Number(/<line class="hline" x1="[\d.]+" y1="([\d.]+)"/.exec(svg)![1]);
    const maxLine = /<polyline class="series" points="([^"]+)"[^>]*><title>max</.exec(svg)![1]!;
    const ys = maxLine.split(' ').map((p) => Number(p.split(',')[1]));
    // SVG y grows downwards: 30 ms is below the 50-ms line, 210 ms above it.
    expect(ys[0]).toBeGreaterThan(y);
    expect(ys[1]).toBeLessThan(y);
  });

  it('keeps the points in x order from left to right', () => {
    const p50 = /<polyline class="series" points="([^"]+)"/.exec(svg)![1]!;
    const xs = p50.split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(3);
  });

  it('draws a single point as a dot, without NaN', () => {
    const s = lineChart({
      title: 'one',
      xLabel: 'x',
      yLabel: 'y',
      series: [{ name: 'only', points: [[3, 7]] }],
    });
    expect(xmlProblem(s)).toBeNull();
    expect(s).not.toMatch(/NaN|Infinity/);
    expect(s.match(/<circle /g)).toHaveLength(1);
    expect(texts(s, 'legend')).toEqual(['only']);
    // The axes get a range around the point, and the dot sits inside the plot area.
    const xTicks = texts(s, 'xtick').map(Number);
    const yTicks = texts(s, 'ytick').map(Number);
    expect(Math.min(...xTicks)).toBeLessThan(3);
    expect(Math.max(...xTicks)).toBeGreaterThan(3);
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(7);
    const [cx, cy] = /<circle cx="([\d.]+)" cy="([\d.]+)"/.exec(s)!.slice(1).map(Number);
    expect(cx).toBeGreaterThan(78);
    expect(cx).toBeLessThan(900 - 24);
    expect(cy).toBeGreaterThan(76);
    expect(cy).toBeLessThan(500 - 58);
  });

  it('draws a single point on a log axis, and zero values on its floor, without NaN', () => {
    const s = lineChart({
      title: 'log',
      xLabel: 'x',
      yLabel: 'y',
      yLog: true,
      series: [
        {
          name: 'a',
          points: [
            [0, 0],
            [1, 5],
          ],
        },
      ],
    });
    expect(xmlProblem(s)).toBeNull();
    expect(s).not.toMatch(/NaN|Infinity/);
  });

  it('gives a "no data" chart that still names the series when no series has a point', () => {
    for (const series of [[], [{ name: 'lag', points: [] }]]) {
      const s = lineChart({ title: 'consumer lag', xLabel: 's', yLabel: 'records', series });
      expect(xmlProblem(s)).toBeNull();
      expect(texts(s, 'no-data')).toEqual(['no data']);
      expect(s).not.toMatch(/NaN|Infinity/);
    }
    const s = lineChart({ title: 't', xLabel: 's', yLabel: 'r', series: [{ name: 'lag', points: [] }] });
    expect(texts(s, 'legend')).toEqual(['lag (no data)']);
  });

  it('skips non-finite points and marks an empty series next to a drawn one', () => {
    const s = lineChart({
      title: 't',
      xLabel: 's',
      yLabel: 'r',
      series: [
        {
          name: 'lag',
          points: [
            [0, 1],
            [1, Number.NaN],
            [2, 3],
          ],
        },
        { name: 'other', points: [] },
      ],
    });
    expect(s).not.toMatch(/NaN|Infinity/);
    expect(s.match(/<polyline class="series"/g)).toHaveLength(1);
    expect(s.match(/<circle /g)).toHaveLength(2);
    expect(texts(s, 'legend')).toEqual(['lag', 'other (no data)']);
  });

  it('handles long series (no argument-spreading limits) and drops the dots', () => {
    const points = Array.from({ length: 200_000 }, (_, i) => [i, i % 1000] as [number, number]);
    const s = lineChart({ title: 'long', xLabel: 's', yLabel: 'r', series: [{ name: 'lag', points }] });
    expect(s).not.toMatch(/NaN/);
    expect(s).not.toContain('<circle');
  });
});

describe('bucketPercentiles', () => {
  it('groups values by time bucket and gives each bucket its nearest-rank percentiles and max', () => {
    const times = [0.1, 0.2, 0.9, 1.0, 1.5, 3.2];
    const values = [5, 1, 3, 100, 200, 7];
    expect(bucketPercentiles(times, values, 1, [50, 99])).toEqual([
      { t: 0.5, count: 3, percentiles: [3, 5], max: 5 },
      { t: 1.5, count: 2, percentiles: [100, 200], max: 200 },
      { t: 3.5, count: 1, percentiles: [7, 7], max: 7 },
    ]);
  });

  it('takes typed arrays and skips non-finite pairs', () => {
    const rows = bucketPercentiles(
      new Float64Array([0, 0.5, Number.NaN]),
      new Float64Array([1, Number.NaN, 4]),
    );
    expect(rows).toEqual([{ t: 0.5, count: 1, percentiles: [1, 1], max: 1 }]);
  });

  it('gives no rows for no samples', () => {
    expect(bucketPercentiles([], [])).toEqual([]);
  });
});
