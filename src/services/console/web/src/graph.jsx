// The case card's neighbourhood as a radial drawing: the card in the centre, the nodes one
// relation away on the inner ring, two relations away on the outer rings, each fanned around
// the node that reached it first (breadth-first), so shared devices and IPs stand out.

const COLORS = {
  card: '#2563eb',
  device: '#9333ea',
  ip: '#0891b2',
  merchant: '#65a30d',
  customer: '#d97706',
};

function layout(graph, W, H) {
  const cx = W / 2;
  const cy = H / 2;
  const center = graph.nodes.find((n) => n.center) ?? graph.nodes[0];
  const adj = new Map(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) {
    adj.get(e.source)?.push(e.target);
    adj.get(e.target)?.push(e.source);
  }
  // Breadth-first from the centre: depth and the parent that reached each node first.
  const depth = new Map([[center.id, 0]]);
  const children = new Map();
  const queue = [center.id];
  while (queue.length) {
    const id = queue.shift();
    for (const m of adj.get(id) ?? []) {
      if (depth.has(m)) continue;
      depth.set(m, depth.get(id) + 1);
      if (!children.has(id)) children.set(id, []);
      children.get(id).push(m);
      queue.push(m);
    }
  }
  /** @type {Map<string, {x: number, y: number, a: number, crowded?: boolean}>} */
  const pos = new Map([[center.id, { x: cx, y: cy, a: 0 }]]);
  const ring1 = children.get(center.id) ?? [];
  const RX = [0, 130, 235, 300];
  const RY = [0, 95, 180, 215];
  ring1.forEach((id, i) => {
    const a = (2 * Math.PI * i) / ring1.length - Math.PI / 2;
    pos.set(id, { x: cx + RX[1] * Math.cos(a), y: cy + RY[1] * Math.sin(a), a });
  });
  const slice = (2 * Math.PI) / Math.max(ring1.length, 1);
  for (const d of [1, 2]) {
    for (const [parent, kids] of children) {
      if (depth.get(parent) !== d) continue;
      const base = pos.get(parent)?.a ?? 0;
      const step = Math.min(0.3, (slice * 0.9) / Math.max(kids.length, 1));
      kids.forEach((id, i) => {
        const a = base + (i - (kids.length - 1) / 2) * step;
        const r = d + 1 === 2 && i % 2 ? 1.16 : 1;
        pos.set(id, {
          x: cx + RX[d + 1] * r * Math.cos(a),
          y: cy + RY[d + 1] * r * Math.sin(a),
          a,
          crowded: kids.length > 6,
        });
      });
    }
  }
  return pos;
}

export function NeighbourhoodGraph({ graph }) {
  if (!graph || graph.nodes.length <= 1)
    return <p class="muted">No neighbourhood yet (no stored transactions for this card).</p>;
  const W = 660;
  const H = 480;
  const pos = layout(graph, W, H);
  const short = (s) => (s.length > 16 ? `${s.slice(0, 15)}…` : s);
  return (
    <figure class="graph">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="graph neighbourhood">
        <title>Graph neighbourhood of the case card</title>
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
              stroke-width={Math.min(1 + Math.log2(e.count || 1), 5)}
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
