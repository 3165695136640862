// The console's only door to the server: same-origin fetch with the session cookie.

/** @typedef {{ username: string, role: 'viewer'|'analyst'|'admin'|'service', kind: string }} Me */

export class ApiError extends Error {
  /** @param {number} status @param {{code?: string, message?: string}} body */
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? 'HTTP_ERROR';
  }
}

/** @param {string} path @param {{method?: string, body?: unknown}} [opts] */
export async function api(path, opts = {}) {
  const res = await fetch(path, {
    method: opts.method ?? 'GET',
    credentials: 'same-origin',
    headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (res.status === 204) return null;
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new ApiError(res.status, data?.error);
    if (res.status === 401 && !path.startsWith('/v1/auth/'))
      window.dispatchEvent(new CustomEvent('fraud:signed-out'));
    throw err;
  }
  return data;
}

/** Subscribers to live server events (one EventSource for the whole app). */
const listeners = new Set();
let source = null;

export function connectLive(onState) {
  if (source) return;
  source = new EventSource('/v1/events');
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  for (const type of ['alert', 'case', 'labels', 'lists']) {
    source.addEventListener(type, (e) => {
      const data = JSON.parse(/** @type {MessageEvent} */ (e).data);
      for (const l of listeners) l(type, data);
    });
  }
}

export function disconnectLive() {
  source?.close();
  source = null;
}

/** @param {(type: string, data: any) => void} fn */
export function onLive(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export const fmt = {
  pct: (x) => (x == null ? '–' : `${(x * 100).toFixed(1)}%`),
  ms: (x) => (x == null ? '–' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`),
  score: (x) => (x == null ? '–' : Number(x).toFixed(3)),
  money: (amount, currency) =>
    `${Number(amount).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency ?? ''}`,
  time: (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { hour12: false }) : '–'),
  age: (seconds) => {
    if (seconds == null) return '–';
    if (seconds < 60) return `${seconds}s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
    return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
  },
};

/** The value of the input an event came from. @param {Event} e @returns {string} */
export const val = (e) => /** @type {HTMLInputElement} */ (e.target).value;
