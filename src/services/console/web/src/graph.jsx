// The card's neighbourhood as a radial drawing: the case card in the centre, the devices, IPs,
// merchants and customer it used on the inner ring, other cards sharing them on the outer ring.

const COLORS = {
  card: '#2563eb',
  device: '#9333ea',
  ip: '#0891b2',
  merchant: '#65a30d',
  customer: '#d97706',
};

export function NeighbourhoodGraph({ graph }) {
  if (!graph || graph.nodes.length <= 1)
    return <p class="muted">No neighbourhood yet (no stored transactions for this card).</p>;
  const W = 640;
  const H = 470;
  const cx = W / 2;
  const cy = H / 2;
  const center = graph.nodes.find((n) => n.center) ?? graph.nodes[0];
  const hubs = graph.nodes.filter((n) => n.kind !== 'card');
  const cards = graph.nodes.filter((n) => n.kind === 'card' && n !== center);
  /** @type {Map<string, {x: number, y: number, a?: number, crowded?: boolean}>} */
  const pos = new Map([[center.id, { x: cx, y: cy }]]);
  hubs.forEach((h, i) => {
    const a = (2 * Math.PI * i) / hubs.length - Math.PI / 2;
    pos.set(h.id, { x: cx + 130 * Math.cos(a), y: cy + 95 * Math.sin(a), a });
  });
  // Each other card sits on the outer ring near the first hub it shares with the case card.
  const perHub = new Map();
  for (const c of cards) {
    const e = graph.edges.find((x) => x.source === c.id && pos.has(x.target) && x.target !== center.id);
    const hub = e ? e.target : hubs[0]?.id;
    if (!perHub.has(hub)) perHub.set(hub, []);
    perHub.get(hub).push(c);
  }
  // Cards fan out around their hub's angle, on two staggered rings so labels do not collide.
  const slice = (2 * Math.PI) / Math.max(hubs.length, 1);
  for (const [hub, list] of perHub) {
    const base = pos.get(hub)?.a ?? 0;
    const step = Math.min(0.3, (slice * 0.9) / Math.max(list.length, 1));
    list.forEach((c, i) => {
      const a = base + (i - (list.length - 1) / 2) * step;
      const r = i % 2 ? 1.18 : 1;
      pos.set(c.id, {
        x: cx + 235 * r * Math.cos(a),
        y: cy + 185 * r * Math.sin(a),
        crowded: list.length > 6,
      });
    });
  }
  const short = (s) => (s.length > 16 ? `${s.slice(0, 15)}…` : s);
  return (
    <figure class="graph">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="graph neighbourhood">
        {graph.edges.map((e, i) => {
          const a = pos.get(e.source);
          const b = pos.get(e.target);
          if (!a || !b) return null;
          return (
            <line
              key={i}
              x1={a.x}
              y1={a.y}
              x2={b.x}
              y2={b.y}
              class="edge"
              stroke-width={Math.min(1 + Math.log2(e.count), 5)}
            />
          );
        })}
        {graph.nodes.map((n) => {
          const p = pos.get(n.id);
          if (!p) return null;
          return (
            <g key={n.id} transform={`translate(${p.x},${p.y})`} class={`node ${n.fraud ? 'fraud' : ''}`}>
              <circle r={n.center ? 14 : n.kind === 'card' ? 9 : 11} fill={COLORS[n.kind] ?? '#64748b'} />
              {p.crowded ? null : (
                <text y={n.center ? 28 : 22} text-anchor="middle">
                  {short(n.label)}
                </text>
              )}
              <title>{`${n.kind}: ${n.label}${n.fraud ? ' (labelled fraud)' : ''}`}</title>
            </g>
          );
        })}
      </svg>
      <figcaption class="legend">
        {Object.entries(COLORS).map(([k, c]) => (
          <span key={k}>
            <i style={{ background: c }} />
            {k}
          </span>
        ))}
        <span>
          <i class="ring" />
          labelled fraud
        </span>
      </figcaption>
    </figure>
  );
}
