import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, connectLive, disconnectLive, fmt, onLive, val } from './api.js';
import { Alerts, Audit, Cases, CaseView, Dashboard, Lists, Rules } from './pages.jsx';
import './styles.css';

/** Hash routes, so the server serves one static page and deep links still work. */
function useRoute() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.slice(1);
}

function Login({ onIn }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      onIn(await api('/v1/auth/login', { method: 'POST', body: { username, password } }));
    } catch (x) {
      setError(x.message);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit}>
        <h1>Fraud console</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            value={username}
            onInput={(e) => setUsername(val(e))}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(val(e))}
            required
          />
        </label>
        <button type="submit">Sign in</button>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}

function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(
    () =>
      onLive((type, e) => {
        if (type !== 'alert') return;
        const item = {
          id: e.alert_id,
          text: `${e.decision} · score ${fmt.score(e.score)} · ${e.reason}`,
          caseId: e.case_id,
          decision: e.decision,
        };
        setItems((xs) => [item, ...xs].slice(0, 4));
        setTimeout(() => setItems((xs) => xs.filter((x) => x !== item)), 8000);
      }),
    [],
  );
  return (
    <div class="toasts" aria-live="polite">
      {items.map((t) => (
        <a key={t.id} class={`toast t-${t.decision}`} href={`#/cases/${t.caseId}`} data-testid="toast">
          New alert: {t.text} → case #{t.caseId}
        </a>
      ))}
    </div>
  );
}

function App() {
  const [me, setMe] = useState(undefined);
  const [live, setLive] = useState(false);
  const route = useRoute();
  useEffect(() => {
    api('/v1/auth/me').then(setMe, () => setMe(null));
    const out = () => {
      disconnectLive();
      setMe(null);
    };
    window.addEventListener('fraud:signed-out', out);
    return () => window.removeEventListener('fraud:signed-out', out);
  }, []);
  useEffect(() => {
    if (me) connectLive(setLive);
  }, [me]);
  if (me === undefined) return null;
  if (!me) return <Login onIn={setMe} />;
  const logout = async () => {
    await api('/v1/auth/logout', { method: 'POST' }).catch(() => null);
    disconnectLive();
    setMe(null);
  };
  const caseMatch = /^\/cases\/(\d+)$/.exec(route);
  let page;
  if (caseMatch) page = <CaseView id={Number(caseMatch[1])} me={me} key={caseMatch[1]} />;
  else if (route === '/alerts') page = <Alerts />;
  else if (route === '/cases') page = <Cases me={me} />;
  else if (route === '/rules') page = <Rules />;
  else if (route === '/lists') page = <Lists me={me} />;
  else if (route === '/audit' && me.role === 'admin') page = <Audit />;
  else page = <Dashboard />;
  const nav = [
    ['/', 'Dashboard'],
    ['/alerts', 'Alerts'],
    ['/cases', 'Cases'],
    ['/rules', 'Rules'],
    ['/lists', 'Lists'],
    ...(me.role === 'admin' ? [['/audit', 'Audit']] : []),
  ];
  const active = (p) => (p === '/' ? route === '/' || route === '' : route.startsWith(p));
  return (
    <div class="shell">
      <nav class="side">
        <div class="brand">fraud console</div>
        {nav.map(([p, label]) => (
          <a key={p} href={`#${p}`} class={active(p) ? 'on' : ''}>
            {label}
          </a>
        ))}
        <div class="who">
          <span
            class={`dot ${live ? 'live' : ''}`}
            title={live ? 'live updates connected' : 'live updates disconnected'}
          />
          <span data-testid="who">
            {me.username} <small>({me.role})</small>
          </span>
          <button type="button" class="link" onClick={logout}>
            sign out
          </button>
        </div>
      </nav>
      <main class="content">{page}</main>
      <Toasts />
    </div>
  );
}

render(<App />, /** @type {HTMLElement} */ (document.getElementById('app')));
