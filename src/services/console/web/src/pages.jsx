import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, fmt, onLive, val } from './api.js';
import { Contributions, Histogram, Lines, StackedBars } from './charts.jsx';
import { NeighbourhoodGraph } from './graph.jsx';

const DECISION_COLORS = { approve: '#16a34a', review: '#d97706', block: '#dc2626' };

/** Loads `path` now, whenever `deps` change, every `everyMs`, and on the given live events. */
function useData(path, { everyMs = 0, liveOn = [] } = {}) {
  const [state, setState] = useState({ data: null, error: null });
  const load = useCallback(() => {
    if (!path) return;
    api(path).then(
      (data) => setState({ data, error: null }),
      (error) => setState((s) => ({ data: s.data, error })),
    );
  }, [path]);
  useEffect(() => {
    load();
    const t = everyMs ? setInterval(load, everyMs) : null;
    // Live events coalesce: at most one reload per second however fast alerts arrive.
    let pending = null;
    const soon = () => {
      pending ??= setTimeout(() => {
        pending = null;
        load();
      }, 1000);
    };
    const off = liveOn.length ? onLive((type) => liveOn.includes(type) && soon()) : null;
    return () => {
      if (t) clearInterval(t);
      if (pending) clearTimeout(pending);
      off?.();
    };
  }, [load]);
  return { ...state, reload: load };
}

function ErrorNote({ error }) {
  return error ? (
    <p class="error" role="alert">
      {error.code}: {error.message}
    </p>
  ) : null;
}

export function Badge({ value }) {
  return <span class={`badge b-${value}`}>{String(value).replace('_', ' ')}</span>;
}

// ------------------------------------------------------------------ dashboard

export function Dashboard() {
  const [minutes, setMinutes] = useState(30);
  const { data: s, error } = useData(`/v1/stats?minutes=${minutes}`, { everyMs: 5000, liveOn: ['alert'] });
  if (!s) return <ErrorNote error={error} />;
  // Per-minute figures use the last complete minute: the current one is still filling.
  const prevMinute = new Date(
    Math.floor(Date.parse(s.generated_at) / 60_000) * 60_000 - 60_000,
  ).toISOString();
  const last = s.series.find((r) => r.minute === prevMinute) ?? { transactions: 0, alerts: 0 };
  const labels = s.series.map((r, i) =>
    i % Math.ceil(s.series.length / 6 || 1) === 0 ? r.minute.slice(11, 16) : '',
  );
  const t = s.totals;
  return (
    <section>
      <header class="page-head">
        <h1>Live dashboard</h1>
        <label>
          Window{' '}
          <select value={minutes} onChange={(e) => setMinutes(Number(val(e)))}>
            {[15, 30, 60, 180, 1440].map((m) => (
              <option key={m} value={m}>
                {m < 60 ? `${m} min` : `${m / 60} h`}
              </option>
            ))}
          </select>
        </label>
      </header>
      <ErrorNote error={error} />
      <div class="kpis">
        <Kpi
          label="Transactions / min"
          value={last ? last.transactions : 0}
          hint={`${t.transactions} in window`}
        />
        <Kpi label="Alerts / min" value={last.alerts} hint={`${t.alerts} in window`} />
        <Kpi
          label="Manual review rate"
          value={fmt.pct(t.manual_review_rate)}
          hint={`block rate ${fmt.pct(t.block_rate)}`}
        />
        <Kpi
          label="Latency p50 / p95 / p99"
          value={`${fmt.ms(t.latency_ms.p50)}`}
          hint={`${fmt.ms(t.latency_ms.p95)} / ${fmt.ms(t.latency_ms.p99)}`}
        />
        <Kpi
          label="Open cases"
          value={s.cases.open}
          hint={`${s.cases.sla_breached} past SLA`}
          warn={s.cases.sla_breached > 0}
        />
        <Kpi
          label="Active versions"
          value={s.active?.model_version ?? 'none'}
          hint={`rules ${s.active?.rule_set_version ?? '–'} · features ${s.active?.feature_set_version ?? '–'}`}
        />
      </div>
      <div class="mix">
        {['approve', 'review', 'block'].map((d) => (
          <span
            key={d}
            class="mix-part"
            style={{ flex: t.decisions[d] || 0.0001, background: DECISION_COLORS[d] }}
            title={`${d}: ${t.decisions[d]}`}
          >
            {t.transactions ? `${d} ${fmt.pct(t.decisions[d] / t.transactions)}` : ''}
          </span>
        ))}
      </div>
      <div class="charts">
        <StackedBars
          title="Transactions per minute, by decision"
          rows={s.series}
          labels={labels}
          series={[
            { key: 'approve', color: DECISION_COLORS.approve, label: 'approve' },
            { key: 'review', color: DECISION_COLORS.review, label: 'review' },
            { key: 'block', color: DECISION_COLORS.block, label: 'block' },
          ]}
        />
        <Lines
          title="Alerts per minute"
          rows={s.series}
          labels={labels}
          series={[{ key: 'alerts', color: '#dc2626', label: 'alerts' }]}
        />
        <Lines
          title="Decision latency (ms)"
          rows={s.series}
          labels={labels}
          series={[
            { key: 'latency_p50_ms', color: '#2563eb', label: 'p50' },
            { key: 'latency_p99_ms', color: '#9333ea', label: 'p99' },
          ]}
        />
        <Histogram title="Score distribution" bins={s.score_histogram} />
      </div>
      <p class="muted small">
        Computed from the decision store at {fmt.time(s.generated_at)}; last decision{' '}
        {fmt.time(s.active?.last_decision_at)}.
      </p>
    </section>
  );
}

function Kpi({ label, value, hint, warn = false }) {
  return (
    <div class={`kpi ${warn ? 'warn' : ''}`}>
      <div class="kpi-label">{label}</div>
      <div class="kpi-value">{value}</div>
      <div class="kpi-hint">{hint}</div>
    </div>
  );
}

// ------------------------------------------------------------------ alert queue

export function Alerts() {
  const [filter, setFilter] = useState({
    decision: '',
    reason: '',
    min_score: '',
    merchant_id: '',
    country: '',
    from: '',
  });
  const [fresh, setFresh] = useState(new Set());
  const qs = new URLSearchParams(
    Object.entries(filter)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => [k, k === 'from' ? new Date(v).toISOString() : v]),
  ).toString();
  const { data, error } = useData(`/v1/alerts?limit=200${qs ? `&${qs}` : ''}`, { liveOn: ['alert'] });
  useEffect(
    () =>
      onLive((type, e) => {
        if (type === 'alert') setFresh((s) => new Set(s).add(e.alert_id));
      }),
    [],
  );
  const set = (k) => (e) => setFilter({ ...filter, [k]: val(e) });
  return (
    <section>
      <header class="page-head">
        <h1>Alert queue</h1>
        <span class="muted">new alerts appear live</span>
      </header>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <select value={filter.decision} onChange={set('decision')} aria-label="decision">
          <option value="">any decision</option>
          <option value="block">block</option>
          <option value="review">review</option>
        </select>
        <input placeholder="reason" value={filter.reason} onInput={set('reason')} aria-label="reason" />
        <input
          placeholder="min score"
          type="number"
          min="0"
          max="1"
          step="0.05"
          value={filter.min_score}
          onInput={set('min_score')}
          aria-label="min score"
        />
        <input
          placeholder="merchant"
          value={filter.merchant_id}
          onInput={set('merchant_id')}
          aria-label="merchant"
        />
        <input
          placeholder="country (BR)"
          maxLength={2}
          value={filter.country}
          onInput={(e) => setFilter({ ...filter, country: val(e).toUpperCase() })}
          aria-label="country"
        />
        <input type="datetime-local" value={filter.from} onInput={set('from')} aria-label="from" />
      </form>
      <ErrorNote error={error} />
      <table class="grid" data-testid="alerts">
        <thead>
          <tr>
            <th>Time</th>
            <th>Decision</th>
            <th>Score</th>
            <th>Reason</th>
            <th>Card</th>
            <th>Merchant</th>
            <th>Country</th>
            <th class="num">Amount</th>
            <th>Case</th>
          </tr>
        </thead>
        <tbody>
          {(data?.alerts ?? []).map((a) => (
            <tr
              key={a.alert_id}
              class={fresh.has(a.alert_id) ? 'fresh' : ''}
              data-alert-id={a.alert_id}
              onClick={() => (location.hash = `#/cases/${a.case_id}`)}
            >
              <td>{fmt.time(a.created_at)}</td>
              <td>
                <Badge value={a.decision} />
              </td>
              <td class="num">{fmt.score(a.score)}</td>
              <td>{a.reason}</td>
              <td class="mono">{a.card_id}</td>
              <td class="mono">{a.merchant_id}</td>
              <td>{a.merchant_country}</td>
              <td class="num">{fmt.money(a.amount, a.currency)}</td>
              <td>
                <a href={`#/cases/${a.case_id}`}>#{a.case_id}</a>{' '}
                {a.case_status ? <Badge value={a.case_status} /> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.alerts.length === 0 ? <p class="muted">No alerts match.</p> : null}
    </section>
  );
}

// ------------------------------------------------------------------ case queue (bulk)

export function Cases({ me }) {
  const [status, setStatus] = useState('open');
  const [selected, setSelected] = useState(new Set());
  const [msg, setMsg] = useState(null);
  const { data, error, reload } = useData(`/v1/cases?limit=200${status ? `&status=${status}` : ''}`, {
    liveOn: ['alert', 'case'],
  });
  const canWrite = me.role === 'analyst' || me.role === 'admin';
  const toggle = (id) => {
    const s = new Set(selected);
    s.has(id) ? s.delete(id) : s.add(id);
    setSelected(s);
  };
  const bulk = async (body) => {
    try {
      const r = await api('/v1/cases/bulk', { method: 'POST', body: { case_ids: [...selected], ...body } });
      const failed = r.results.filter((x) => !x.ok);
      setMsg(
        `${r.results.length - failed.length} done${failed.length ? `, ${failed.length} failed: ${failed.map((f) => `#${f.case_id} ${f.error.error.code}`).join(', ')}` : ''}`,
      );
      setSelected(new Set());
      reload();
    } catch (e) {
      setMsg(`${e.code}: ${e.message}`);
    }
  };
  const rows = data?.cases ?? [];
  return (
    <section>
      <header class="page-head">
        <h1>Cases</h1>
        <select value={status} onChange={(e) => setStatus(val(e))} aria-label="status">
          <option value="">all</option>
          <option value="open">open</option>
          <option value="investigating">investigating</option>
          <option value="closed">closed</option>
        </select>
      </header>
      {canWrite ? (
        <div class="bulk">
          <span>{selected.size} selected</span>
          <button
            type="button"
            disabled={!selected.size}
            onClick={() => bulk({ action: 'assign', assignee: me.username })}
          >
            Assign to me
          </button>
          <button
            type="button"
            disabled={!selected.size}
            onClick={() => bulk({ action: 'status', status: 'investigating' })}
          >
            Mark investigating
          </button>
          <button
            type="button"
            disabled={!selected.size}
            class="danger"
            onClick={() => bulk({ action: 'verdict', outcome: 'confirmed_fraud' })}
          >
            Confirm fraud
          </button>
          <button
            type="button"
            disabled={!selected.size}
            class="ok"
            onClick={() => bulk({ action: 'verdict', outcome: 'legitimate' })}
          >
            Legitimate
          </button>
          {msg ? <span class="muted">{msg}</span> : null}
        </div>
      ) : null}
      <ErrorNote error={error} />
      <table class="grid">
        <thead>
          <tr>
            {canWrite ? <th /> : null}
            <th>Case</th>
            <th>Priority</th>
            <th>Queue</th>
            <th>Status</th>
            <th>Card</th>
            <th>Alerts</th>
            <th>Max score</th>
            <th>Assignee</th>
            <th>SLA age</th>
            <th>Outcome</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.case_id}>
              {canWrite ? (
                <td>
                  <input
                    type="checkbox"
                    aria-label={`select case ${c.case_id}`}
                    checked={selected.has(c.case_id)}
                    disabled={c.status === 'closed'}
                    onChange={() => toggle(c.case_id)}
                  />
                </td>
              ) : null}
              <td>
                <a href={`#/cases/${c.case_id}`}>#{c.case_id}</a>
              </td>
              <td>
                <span class={`prio p${c.priority}`}>P{c.priority}</span>
              </td>
              <td>{c.queue}</td>
              <td>
                <Badge value={c.status} />
              </td>
              <td class="mono">{c.card_id}</td>
              <td class="num">{c.alert_count}</td>
              <td class="num">{fmt.score(c.max_score)}</td>
              <td>{c.assignee ?? '–'}</td>
              <td class={c.sla_breached ? 'breach' : ''}>{fmt.age(c.sla_age_seconds)}</td>
              <td>{c.outcome ? <Badge value={c.outcome} /> : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && rows.length === 0 ? <p class="muted">No cases.</p> : null}
    </section>
  );
}

// ------------------------------------------------------------------ case view

export function CaseView({ id, me }) {
  const { data: c, error, reload } = useData(`/v1/cases/${id}`);
  // Reload on changes to this case only (its labels published too): each unmasked view is an
  // audited access.
  useEffect(
    () =>
      onLive(
        (type, e) =>
          (type === 'case' || type === 'alert' || type === 'labels') && e.case_id === id && reload(),
      ),
    [id, reload],
  );
  const { data: graph } = useData(`/v1/cases/${id}/graph`);
  const [note, setNote] = useState('');
  const [actionError, setActionError] = useState(null);
  const act = async (path, body) => {
    setActionError(null);
    try {
      await api(`/v1/cases/${id}/${path}`, { method: 'POST', body });
      setNote('');
      reload();
    } catch (e) {
      setActionError(e);
    }
  };
  if (!c) return <ErrorNote error={error} />;
  const canWrite = me.role === 'analyst' || me.role === 'admin';
  return (
    <section>
      <header class="page-head">
        <h1>
          Case #{c.case_id} <Badge value={c.status} /> {c.outcome ? <Badge value={c.outcome} /> : null}
        </h1>
        <a href="#/cases">← all cases</a>
      </header>
      <div class="case-meta">
        <Meta k="Priority" v={<span class={`prio p${c.priority}`}>P{c.priority}</span>} />
        <Meta k="Queue" v={c.queue} />
        <Meta
          k="Card"
          v={
            <span class="mono" data-testid="case-card">
              {c.card_id}
            </span>
          }
        />
        <Meta k="Customer" v={<span class="mono">{c.customer_id}</span>} />
        <Meta k="Assignee" v={c.assignee ?? '–'} />
        <Meta
          k="SLA age"
          v={<span class={c.sla_breached ? 'breach' : ''}>{fmt.age(c.sla_age_seconds)}</span>}
        />
        <Meta k="Opened" v={fmt.time(c.opened_at)} />
        {c.closed_at ? <Meta k="Closed" v={`${fmt.time(c.closed_at)} by ${c.closed_by}`} /> : null}
      </div>

      {c.can_decide ? (
        <div class="verdict" data-testid="verdict">
          <textarea
            placeholder="Note for the record (optional)"
            value={note}
            onInput={(e) => setNote(val(e))}
            aria-label="note"
          />
          <div class="buttons">
            {c.status === 'open' ? (
              <button type="button" onClick={() => act('status', { status: 'investigating' })}>
                Take (investigate)
              </button>
            ) : null}
            <button
              type="button"
              class="danger"
              onClick={() => act('verdict', { outcome: 'confirmed_fraud', ...(note ? { note } : {}) })}
            >
              Confirmed fraud
            </button>
            <button
              type="button"
              class="ok"
              onClick={() => act('verdict', { outcome: 'legitimate', ...(note ? { note } : {}) })}
            >
              Legitimate
            </button>
            <button
              type="button"
              onClick={() => act('verdict', { outcome: 'inconclusive', ...(note ? { note } : {}) })}
            >
              Inconclusive
            </button>
            {note ? (
              <button type="button" onClick={() => act('notes', { body: note })}>
                Add note only
              </button>
            ) : null}
          </div>
        </div>
      ) : c.status !== 'closed' ? (
        <p class="muted" data-testid="read-only">
          Read-only: your role ({me.role}) cannot decide cases{canWrite ? '' : '; identifiers are masked'}.
        </p>
      ) : null}
      <ErrorNote error={actionError} />

      {c.alerts.map((a) => (
        <article class="alert-card" key={a.alert_id}>
          <h2>
            <Badge value={a.decision} /> score {fmt.score(a.score)} · {a.reason}{' '}
            <span class="muted small">
              {a.alert_id} · {fmt.time(a.created_at)} · model {a.model_version ?? '–'} · rules{' '}
              {a.rule_set_version ?? '–'}
              {a.latency_ms != null ? ` · decided in ${fmt.ms(a.latency_ms)}` : ''}
            </span>
          </h2>
          <div class="cols">
            <div>
              <h3>Transaction</h3>
              <dl class="kv">
                {orderedTx(a.transaction).map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd class="mono">{String(v)}</dd>
                  </div>
                ))}
              </dl>
            </div>
            <div>
              <h3>Rule hits</h3>
              {a.rule_hits?.length ? (
                <table class="grid compact" data-testid="rule-hits">
                  <thead>
                    <tr>
                      <th>Rule</th>
                      <th>Action</th>
                      <th>Values</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.rule_hits.map((h, i) => (
                      <tr key={i} class={h.shadow ? 'shadow' : ''}>
                        <td class="mono">
                          {h.rule_id}
                          {h.shadow ? ' (shadow)' : ''}
                        </td>
                        <td>{h.action}</td>
                        <td class="mono small">
                          {Object.entries(h.values ?? {})
                            .map(([k, v]) => `${k}=${v}`)
                            .join(', ')}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p class="muted">No rule fired.</p>
              )}
              <h3>Model explanation</h3>
              {a.explanations?.length ? (
                <div data-testid="explanation">
                  <p class="muted small">
                    Model score {fmt.score(a.model_score)}: contribution of each feature (red raises risk).
                  </p>
                  <Contributions
                    items={[...a.explanations].sort(
                      (x, y) => Math.abs(y.contribution) - Math.abs(x.contribution),
                    )}
                  />
                </div>
              ) : (
                <p class="muted">No model explanation for this decision.</p>
              )}
              {a.missing_signals?.length ? (
                <p class="warn small">Missing signals: {a.missing_signals.join(', ')}</p>
              ) : null}
            </div>
          </div>
          {a.features ? (
            <details>
              <summary>Features at decision time ({Object.keys(a.features).length})</summary>
              <dl class="kv features">
                {Object.entries(a.features).map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd class="mono">
                      {v == null ? 'missing' : typeof v === 'number' ? Number(v.toFixed(4)) : String(v)}
                    </dd>
                  </div>
                ))}
              </dl>
            </details>
          ) : null}
        </article>
      ))}

      <div class="cols">
        <div>
          <h2>Graph neighbourhood</h2>
          <NeighbourhoodGraph graph={graph} />
        </div>
        <div>
          <h2>Card history</h2>
          <table class="grid compact">
            <thead>
              <tr>
                <th>Time</th>
                <th class="num">Amount</th>
                <th>Merchant</th>
                <th>Decision</th>
                <th>Label</th>
              </tr>
            </thead>
            <tbody>
              {c.card_history.map((h) => (
                <tr key={h.transaction_id}>
                  <td>{fmt.time(h.timestamp)}</td>
                  <td class="num">{fmt.money(h.amount, h.currency)}</td>
                  <td class="mono">
                    {h.merchant_id} ({h.merchant_country})
                  </td>
                  <td>{h.decision ? <Badge value={h.decision} /> : '–'}</td>
                  <td>
                    {h.is_fraud == null ? (
                      '–'
                    ) : h.is_fraud ? (
                      <Badge value="fraud" />
                    ) : (
                      <Badge value="legit" />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>

      <div class="cols">
        <div>
          <h2>Notes</h2>
          {c.notes.length ? (
            <ul class="notes">
              {c.notes.map((n) => (
                <li key={n.note_id}>
                  <b>{n.author}</b> <span class="muted small">{fmt.time(n.created_at)}</span>
                  <p>{n.body}</p>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">No notes.</p>
          )}
        </div>
        <div>
          <h2>Labels</h2>
          {c.labels.length ? (
            <ul class="notes" data-testid="labels">
              {c.labels.map((l) => (
                <li key={`${l.transaction_id}${l.labeled_at}`}>
                  <span class="mono">{l.transaction_id}</span> →{' '}
                  {l.is_fraud ? <Badge value="fraud" /> : <Badge value="legit" />} by {l.labeled_by}{' '}
                  <span class="muted small">
                    {fmt.time(l.labeled_at)} ·{' '}
                    {l.published_at ? 'published to labels topic' : 'pending publish'}
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">No labels yet. Closing the case as fraud or legitimate writes them.</p>
          )}
        </div>
      </div>
    </section>
  );
}

/** The transaction's fields in contract order (the store returns JSON objects unordered). */
const TX_ORDER = [
  'transaction_id',
  'timestamp',
  'amount',
  'currency',
  'card_id',
  'customer_id',
  'merchant_id',
  'merchant_category',
  'merchant_country',
  'card_present',
  'device_id',
  'ip_address',
  'status',
];
function orderedTx(tx) {
  const rank = (k) => TX_ORDER.indexOf(k) + 1 || 99;
  return Object.entries(tx).sort(([a], [b]) => rank(a) - rank(b));
}

function Meta({ k, v }) {
  return (
    <div class="meta">
      <div class="meta-k">{k}</div>
      <div class="meta-v">{v}</div>
    </div>
  );
}

// ------------------------------------------------------------------ rules

export function Rules() {
  const [minutes, setMinutes] = useState(60);
  const { data: active } = useData('/v1/rules');
  const { data: s, error } = useData(`/v1/stats/rules?minutes=${minutes}`, { everyMs: 10000 });
  return (
    <section>
      <header class="page-head">
        <h1>Rules</h1>
        <select value={minutes} onChange={(e) => setMinutes(Number(val(e)))} aria-label="window">
          {[60, 360, 1440, 10080].map((m) => (
            <option key={m} value={m}>
              last {m < 1440 ? `${m / 60} h` : `${m / 1440} d`}
            </option>
          ))}
        </select>
      </header>
      <ErrorNote error={error} />
      <div class="kpis">
        <div class="kpi">
          <div class="kpi-label">Active rule set (engine)</div>
          <div class="kpi-value">{active?.version ?? '–'}</div>
          <div class="kpi-hint">
            {active
              ? `${active.name ?? ''} · ${active.live_rules ?? '?'} live, ${active.shadow_rules ?? 0} shadow · since ${fmt.time(active.active_since)}`
              : 'rules API not mounted'}
          </div>
        </div>
        <div class="kpi">
          <div class="kpi-label">Version seen in decisions</div>
          <div class="kpi-value">{s?.active_rule_set_version ?? '–'}</div>
          <div class="kpi-hint">{s ? `${s.decisions} decisions in window` : ''}</div>
        </div>
      </div>
      <table class="grid">
        <thead>
          <tr>
            <th>Rule</th>
            <th>Action</th>
            <th>Reason</th>
            <th class="num">Hits</th>
            <th class="num">Hit rate</th>
            <th class="num">Labelled</th>
            <th class="num">Precision</th>
          </tr>
        </thead>
        <tbody>
          {(s?.rules ?? []).map((r) => (
            <tr key={r.rule_id} class={r.shadow ? 'shadow' : ''}>
              <td class="mono">
                {r.rule_id}
                {r.shadow ? ' (shadow)' : ''}
              </td>
              <td>{r.action}</td>
              <td>{r.reason}</td>
              <td class="num">{r.hits}</td>
              <td class="num">{fmt.pct(r.hit_rate)}</td>
              <td class="num">{r.labelled}</td>
              <td class="num">{r.precision == null ? '–' : fmt.pct(r.precision)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {s && s.rules.length === 0 ? <p class="muted">No rule fired in this window.</p> : null}
    </section>
  );
}

// ------------------------------------------------------------------ lists

export function Lists({ me }) {
  const { data, error, reload } = useData('/v1/lists', { liveOn: ['lists'] });
  const [form, setForm] = useState({ kind: 'deny', entity: 'card', value: '', reason: '', expires_at: '' });
  const [err, setErr] = useState(null);
  const canWrite = me.role === 'analyst' || me.role === 'admin';
  const add = async (e) => {
    e.preventDefault();
    setErr(null);
    try {
      const body = { kind: form.kind, entity: form.entity, value: form.value.trim() };
      if (form.reason) body.reason = form.reason;
      if (form.expires_at) body.expires_at = new Date(form.expires_at).toISOString();
      await api('/v1/lists', { method: 'POST', body });
      setForm({ ...form, value: '', reason: '' });
      reload();
    } catch (x) {
      setErr(x);
    }
  };
  const remove = async (x) => {
    setErr(null);
    try {
      await api(`/v1/lists/${x.kind}/${x.entity}/${encodeURIComponent(x.value)}`, { method: 'DELETE' });
      reload();
    } catch (y) {
      setErr(y);
    }
  };
  const set = (k) => (e) => setForm({ ...form, [k]: val(e) });
  return (
    <section>
      <header class="page-head">
        <h1>Allow and deny lists</h1>
      </header>
      {canWrite ? (
        <form class="filters" onSubmit={add}>
          <select value={form.kind} onChange={set('kind')} aria-label="kind">
            <option value="deny">deny</option>
            <option value="allow">allow</option>
          </select>
          <select value={form.entity} onChange={set('entity')} aria-label="entity">
            {['card', 'customer', 'device', 'ip', 'merchant', 'country'].map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
          <input required placeholder="value" value={form.value} onInput={set('value')} aria-label="value" />
          <input placeholder="reason" value={form.reason} onInput={set('reason')} aria-label="reason" />
          <input
            type="datetime-local"
            value={form.expires_at}
            onInput={set('expires_at')}
            aria-label="expires"
            title="expires (optional)"
          />
          <button type="submit">Add</button>
        </form>
      ) : null}
      <ErrorNote error={err ?? error} />
      <table class="grid">
        <thead>
          <tr>
            <th>List</th>
            <th>Entity</th>
            <th>Value</th>
            <th>Reason</th>
            <th>Added</th>
            <th>Expires</th>
            {canWrite ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {(data?.entries ?? []).map((x) => (
            <tr key={`${x.kind}:${x.entity}:${x.value}`}>
              <td>
                <Badge value={x.kind} />
              </td>
              <td>{x.entity}</td>
              <td class="mono">{x.value}</td>
              <td>{x.reason ?? ''}</td>
              <td>
                {fmt.time(x.added_at)} {x.added_by ? `by ${x.added_by}` : ''}
              </td>
              <td>{x.expires_at ? fmt.time(x.expires_at) : 'never'}</td>
              {canWrite ? (
                <td>
                  <button type="button" class="link" onClick={() => remove(x)}>
                    remove
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.entries.length === 0 ? <p class="muted">The lists are empty.</p> : null}
    </section>
  );
}

// ------------------------------------------------------------------ audit (admin)

export function Audit() {
  const [action, setAction] = useState('');
  const { data, error } = useData(
    `/v1/audit?limit=300${action ? `&action=${encodeURIComponent(action)}` : ''}`,
    { everyMs: 10000 },
  );
  const { data: verify } = useData('/v1/audit/verify');
  return (
    <section>
      <header class="page-head">
        <h1>Audit trail</h1>
        <span>
          <a
            class="button"
            href={`/v1/audit?format=csv&limit=100000${action ? `&action=${encodeURIComponent(action)}` : ''}`}
          >
            Export CSV
          </a>{' '}
          <a
            class="button"
            href={`/v1/audit?format=json&limit=100000${action ? `&action=${encodeURIComponent(action)}` : ''}`}
          >
            Export JSON
          </a>
        </span>
      </header>
      <p class={verify?.first_broken == null ? 'muted' : 'error'}>
        {verify
          ? verify.first_broken == null
            ? `Hash chain intact over ${verify.rows} entries.`
            : `Hash chain broken at entry ${verify.first_broken}.`
          : ''}{' '}
        Append-only: the database rejects any change or deletion.
      </p>
      <input
        placeholder="filter by action (e.g. case.verdict)"
        value={action}
        onChange={(e) => setAction(val(e))}
        aria-label="action"
      />
      <ErrorNote error={error} />
      <table class="grid compact">
        <thead>
          <tr>
            <th>#</th>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>Before</th>
            <th>After</th>
          </tr>
        </thead>
        <tbody>
          {(data?.entries ?? []).map((r) => (
            <tr key={r.audit_id}>
              <td>{r.audit_id}</td>
              <td>{fmt.time(r.at)}</td>
              <td>
                {r.actor} <span class="muted small">({r.actor_role})</span>
              </td>
              <td class="mono">{r.action}</td>
              <td class="mono">{r.target_type ? `${r.target_type}:${r.target_id ?? ''}` : ''}</td>
              <td class="mono small json">{r.before ? JSON.stringify(r.before) : ''}</td>
              <td class="mono small json">{r.after ? JSON.stringify(r.after) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
