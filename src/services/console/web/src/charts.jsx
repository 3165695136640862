// Small SVG charts: the dashboard needs four shapes, not a charting framework.

const W = 560;
const H = 180;
const PAD = { l: 44, r: 10, t: 10, b: 24 };

/** Round axis ticks from 0 up to the first "nice" value at or above max. */
function ticks(max, n = 4) {
  if (!(max > 0)) return [0, 1];
  const step = 10 ** Math.floor(Math.log10(max / n));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => Math.ceil(max / s) <= n) ?? step * 10;
  const top = Math.ceil(max / nice - 1e-9) * nice;
  const out = [];
  for (let i = 0; i * nice <= top + 1e-9; i++) out.push(Number((i * nice).toPrecision(12)));
  return out;
}

function Axes({ max, labels, unit = '' }) {
  const ys = ticks(max);
  const top = ys[ys.length - 1] || 1;
  const y = (v) => PAD.t + (H - PAD.t - PAD.b) * (1 - v / top);
  return (
    <g class="axes">
      {ys.map((v) => (
        <g key={v}>
          <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} />
          <text x={PAD.l - 6} y={y(v) + 4} text-anchor="end">
            {v >= 1000 ? `${(v / 1000).toFixed(v % 1000 ? 1 : 0)}k` : Number.isInteger(v) ? v : v.toFixed(2)}
            {unit}
          </text>
        </g>
      ))}
      {labels.map((l, i) =>
        l ? (
          <text
            key={i}
            x={PAD.l + ((W - PAD.l - PAD.r) * (i + 0.5)) / labels.length}
            y={H - 6}
            text-anchor="middle"
          >
            {l}
          </text>
        ) : null,
      )}
    </g>
  );
}

/** Stacked bars, one per bucket. series: [{ key, color, label }]. */
export function StackedBars({ rows, series, labels, title }) {
  const totals = rows.map((r) => series.reduce((a, s) => a + (r[s.key] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const top = ticks(max).at(-1) || 1;
  const bw = (W - PAD.l - PAD.r) / Math.max(rows.length, 1);
  const h = (v) => ((H - PAD.t - PAD.b) * v) / top;
  return (
    <figure class="chart" aria-label={title}>
      <figcaption>
        {title}
        <span class="legend">
          {series.map((s) => (
            <span key={s.key}>
              <i style={{ background: s.color }} />
              {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img">
        <title>{title}</title>
        <Axes max={max} labels={labels} />
        {rows.map((r, i) => {
          let y = H - PAD.b;
          return (
            <g key={i}>
              {series.map((s) => {
                const hh = h(r[s.key] ?? 0);
                y -= hh;
                return (
                  <rect
                    key={s.key}
                    x={PAD.l + i * bw + 1}
                    y={y}
                    width={Math.max(bw - 2, 1)}
                    height={hh}
                    fill={s.color}
                  />
                );
              })}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** Lines over buckets. series: [{ key, color, label }]; null values break the line. */
export function Lines({ rows, series, labels, title, unit = '' }) {
  const max = Math.max(1e-9, ...rows.flatMap((r) => series.map((s) => r[s.key] ?? 0)));
  const top = ticks(max).at(-1) || 1;
  const bw = (W - PAD.l - PAD.r) / Math.max(rows.length, 1);
  const x = (i) => PAD.l + bw * (i + 0.5);
  const y = (v) => PAD.t + (H - PAD.t - PAD.b) * (1 - v / top);
  return (
    <figure class="chart" aria-label={title}>
      <figcaption>
        {title}
        <span class="legend">
          {series.map((s) => (
            <span key={s.key}>
              <i style={{ background: s.color }} />
              {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img">
        <title>{title}</title>
        <Axes max={max} labels={labels} unit={unit} />
        {series.map((s) => (
          <g key={s.key}>
            <polyline
              fill="none"
              stroke={s.color}
              stroke-width="2"
              points={rows
                .map((r, i) => (r[s.key] == null ? null : `${x(i)},${y(r[s.key])}`))
                .filter(Boolean)
                .join(' ')}
            />
            {rows.map((r, i) =>
              r[s.key] == null ? null : <circle key={i} cx={x(i)} cy={y(r[s.key])} r="2.5" fill={s.color} />,
            )}
          </g>
        ))}
      </svg>
    </figure>
  );
}

/** Score distribution: 20 bins over [0, 1], coloured from green to red. */
export function Histogram({ bins, title }) {
  const rows = bins.map((b) => ({ n: b.count }));
  const max = Math.max(1, ...bins.map((b) => b.count));
  const top = ticks(max).at(-1) || 1;
  const bw = (W - PAD.l - PAD.r) / bins.length;
  const labels = bins.map((b, i) => (i % 4 === 0 ? b.from.toFixed(1) : ''));
  return (
    <figure class="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img">
        <title>{title}</title>
        <Axes max={max} labels={labels} />
        {rows.map((r, i) => {
          const hh = ((H - PAD.t - PAD.b) * r.n) / top;
          const hue = 120 - 120 * (i / (bins.length - 1));
          return (
            <rect
              key={i}
              x={PAD.l + i * bw + 1}
              y={H - PAD.b - hh}
              width={bw - 2}
              height={hh}
              fill={`hsl(${hue} 60% 48%)`}
            >
              <title>{`${bins[i].from.toFixed(2)}–${bins[i].to.toFixed(2)}: ${r.n}`}</title>
            </rect>
          );
        })}
      </svg>
    </figure>
  );
}

/** Signed horizontal bars (model explanation: feature contributions). */
export function Contributions({ items }) {
  const top = items.slice(0, 12);
  const max = Math.max(1e-9, ...top.map((c) => Math.abs(c.contribution)));
  return (
    <table class="contrib">
      <tbody>
        {top.map((c) => (
          <tr key={c.feature}>
            <td class="mono">{c.feature}</td>
            <td class="num">{c.value == null ? '–' : String(c.value)}</td>
            <td class="bar">
              <div class="track">
                <div
                  class={c.contribution >= 0 ? 'pos' : 'neg'}
                  style={{
                    width: `${(50 * Math.abs(c.contribution)) / max}%`,
                    left: c.contribution >= 0 ? '50%' : `${50 - (50 * Math.abs(c.contribution)) / max}%`,
                  }}
                />
              </div>
            </td>
            <td class="num">
              {c.contribution >= 0 ? '+' : ''}
              {c.contribution.toFixed(3)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
