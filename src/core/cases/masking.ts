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
export function maskTransaction<T extends MaskableTransaction>(tx: T): T {
  const out: MaskableTransaction = { ...tx };
  if (typeof tx.card_id === 'string') out.card_id = maskCardId(tx.card_id);
  if (typeof tx.customer_id === 'string') out.customer_id = maskId(tx.customer_id);
  if (typeof tx.device_id === 'string') out.device_id = maskId(tx.device_id);
  if (typeof tx.ip_address === 'string') out.ip_address = maskIp(tx.ip_address);
  return out as T;
}

/** Masks an alert or case row: its own identifiers and its embedded transaction. */
export function maskAlert<T extends MaskableTransaction & { transaction?: MaskableTransaction | null }>(
  a: T,
): T {
  const out = maskTransaction(a);
  if (a.transaction)
    (out as { transaction?: MaskableTransaction }).transaction = maskTransaction(a.transaction);
  return out;
}
