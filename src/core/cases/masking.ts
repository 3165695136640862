/**
 * PII masking for people who may not see identifiers (viewers, dev copies of production data).
 * Brief: "Anonimizar/mascarar dados PII em ambientes de dev" and "RBAC para dashboards e banco
 * de dados". Masks keep just enough to compare two values by eye (a last-4 or a /24 network)
 * and never the full value.
 */

/** `card_1234567890` → `card_••••7890` (keeps the prefix before `_` and the last 4). */
export function maskCardId(card: string): string {
  const us = card.indexOf('_');
  const prefix = us >= 0 && us < 8 ? card.slice(0, us + 1) : '';
  const rest = card.slice(prefix.length);
  return rest.length <= 4 ? `${prefix}••••` : `${prefix}••••${rest.slice(-4)}`;
}

/** Generic identifier: keeps the type prefix and the last 2 characters. */
export function maskId(id: string): string {
  const us = id.indexOf('_');
  const prefix = us >= 0 && us < 8 ? id.slice(0, us + 1) : '';
  const rest = id.slice(prefix.length);
  return rest.length <= 2 ? `${prefix}•••` : `${prefix}•••${rest.slice(-2)}`;
}

/** IPv4 keeps the /16 (`200.160.x.x`); IPv6 keeps the first two groups. */
export function maskIp(ip: string): string {
  if (ip.includes('.') && !ip.includes(':')) {
    const p = ip.split('.');
    return `${p[0]}.${p[1]}.x.x`;
  }
  const groups = ip.split(':');
  return `${groups[0]}:${groups[1] ?? ''}:…`;
}

export interface MaskableTransaction {
  card_id?: string;
  customer_id?: string;
  device_id?: string;
  ip_address?: string;
  [k: string]: unknown;
}

/** A masked copy of a transaction-shaped object; merchant, amount and country stay visible. */
export function maskTransaction<T extends object>(tx: T): T {
  const t = tx as MaskableTransaction;
  const out: MaskableTransaction = { ...t };
  if (typeof t.card_id === 'string') out.card_id = maskCardId(t.card_id);
  if (typeof t.customer_id === 'string') out.customer_id = maskId(t.customer_id);
  if (typeof t.device_id === 'string') out.device_id = maskId(t.device_id);
  if (typeof t.ip_address === 'string') out.ip_address = maskIp(t.ip_address);
  return out as T;
}

/** Masks an alert or case row: its own identifiers and its embedded transaction. */
export function maskAlert<T extends object>(a: T): T {
  const out = maskTransaction(a) as { transaction?: unknown };
  const inner = (a as { transaction?: unknown }).transaction;
  if (inner && typeof inner === 'object') out.transaction = maskTransaction(inner);
  return out as T;
}

/** Identifier values of one record, mapped to their masked form. */
export function piiReplacements(
  txs: readonly { card_id?: unknown; customer_id?: unknown; device_id?: unknown; ip_address?: unknown }[],
): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of txs) {
    if (typeof t.card_id === 'string') m.set(t.card_id, maskCardId(t.card_id));
    if (typeof t.customer_id === 'string') m.set(t.customer_id, maskId(t.customer_id));
    if (typeof t.device_id === 'string') m.set(t.device_id, maskId(t.device_id));
    if (typeof t.ip_address === 'string') m.set(t.ip_address, maskIp(t.ip_address));
  }
  return m;
}

/**
 * Replaces every known identifier anywhere in a value: as a whole string, or after a
 * `kind:` prefix (graph node ids such as `card:card_1234`). Rule hit values and graph nodes
 * can carry identifiers under any key, so masking by key alone would leak them.
 */
export function maskDeep<T>(value: T, replacements: ReadonlyMap<string, string>): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const direct = replacements.get(v);
      if (direct !== undefined) return direct;
      const i = v.indexOf(':');
      if (i > 0 && i < 16) {
        const r = replacements.get(v.slice(i + 1));
        if (r !== undefined) return `${v.slice(0, i + 1)}${r}`;
      }
      return v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
