import type { Transaction } from '../contracts/index.ts';
import { type FieldIssue, FraudError } from '../errors/index.ts';

/**
 * Allow and deny lists (issue 4): "Allow lists and deny lists for card, customer, device, IP,
 * merchant and country … each entry can carry an expiry. An allow-list hit short-circuits to
 * approve, with the reason recorded."
 *
 * Lists are data, not part of a rule set version: an analyst adds a card to the deny list
 * during an attack without deploying rules. The store is pure and in memory; persistence is a
 * seam (`ListPersistence`) implemented outside the core.
 */
export const LIST_KINDS = ['allow', 'deny'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export const LIST_ENTITIES = ['card', 'customer', 'device', 'ip', 'merchant', 'country'] as const;
export type ListEntity = (typeof LIST_ENTITIES)[number];

/** The transaction field each entity is matched against. */
export const ENTITY_FIELD: Readonly<Record<ListEntity, keyof Transaction>> = Object.freeze({
  card: 'card_id',
  customer: 'customer_id',
  device: 'device_id',
  ip: 'ip_address',
  merchant: 'merchant_id',
  country: 'merchant_country',
});

/** One literal-property getter per entity (a shared `tx[field]` is a megamorphic keyed load). */
const ENTITY_VALUE: Readonly<Record<ListEntity, (tx: Transaction) => string>> = {
  card: (tx) => tx.card_id,
  customer: (tx) => tx.customer_id,
  device: (tx) => tx.device_id,
  ip: (tx) => tx.ip_address,
  merchant: (tx) => tx.merchant_id,
  country: (tx) => tx.merchant_country,
};

export interface ListEntry {
  readonly kind: ListKind;
  readonly entity: ListEntity;
  readonly value: string;
  /** ISO-8601; absent = never expires. */
  readonly expires_at?: string;
  readonly reason?: string;
  readonly added_at: string;
  readonly added_by?: string;
}

/** Read side used on the decision path. */
export interface ListLookup {
  /** The live entry for this value, or undefined (absent or expired at `now`). */
  find(kind: ListKind, entity: ListEntity, value: string, now: number): ListEntry | undefined;
  /** Bumped on every change, so callers can cache. */
  readonly revision: number;
}

/** Persistence seam: a JSON file in embedded mode, PostgreSQL later. */
export interface ListPersistence {
  load(): Promise<ListEntry[]>;
  save(entries: readonly ListEntry[]): Promise<void>;
}

/** One entry as stored, with its expiry pre-parsed. */
export interface Stored {
  entry: ListEntry;
  /** Epoch ms, +Infinity when it never expires. */
  expiresAt: number;
}

const emptyMaps = (): Record<ListEntity, Map<string, Stored>> => ({
  card: new Map(),
  customer: new Map(),
  device: new Map(),
  ip: new Map(),
  merchant: new Map(),
  country: new Map(),
});

/** In-memory list store: one Map per (kind, entity), O(1) lookups on the hot path. */
export class ListStore implements ListLookup {
  // maps[kind][entity]: no key string is built on the hot path.
  private readonly maps: Record<ListKind, Record<ListEntity, Map<string, Stored>>> = {
    allow: emptyMaps(),
    deny: emptyMaps(),
  };
  /** Entries per kind, so a decision skips a kind with no entries at all. */
  private readonly sizes: Record<ListKind, number> = { allow: 0, deny: 0 };
  private rev = 0;

  constructor(entries: readonly ListEntry[] = []) {
    for (const e of entries) this.put(e);
  }

  /**
   * The live table for one kind and entity. It is the same Map for the life of the store
   * (changes and reloads update it in place), so the rule compiler can bind it once.
   */
  table(kind: ListKind, entity: ListEntity): ReadonlyMap<string, Stored> {
    return this.maps[kind][entity];
  }

  get revision(): number {
    return this.rev;
  }

  find(kind: ListKind, entity: ListEntity, value: string, now: number): ListEntry | undefined {
    const s = this.maps[kind][entity].get(value);
    return s !== undefined && s.expiresAt > now ? s.entry : undefined;
  }

  /** Adds or replaces an entry (same kind, entity and value). */
  put(entry: ListEntry): void {
    const issues = checkEntry(entry);
    if (issues.length > 0) {
      throw new FraudError(
        'FRAUD_REQUEST_INVALID',
        `invalid list entry: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
        {
          details: issues,
        },
      );
    }
    const m = this.maps[entry.kind][entry.entity];
    if (!m.has(entry.value)) this.sizes[entry.kind]++;
    m.set(entry.value, {
      entry,
      expiresAt: entry.expires_at ? Date.parse(entry.expires_at) : Number.POSITIVE_INFINITY,
    });
    this.rev++;
  }

  remove(kind: ListKind, entity: ListEntity, value: string): boolean {
    const removed = this.maps[kind][entity].delete(value);
    if (removed) {
      this.sizes[kind]--;
      this.rev++;
    }
    return removed;
  }

  /** Drops entries expired at `now`; returns how many. */
  purgeExpired(now: number): number {
    let n = 0;
    for (const kind of LIST_KINDS) {
      for (const m of Object.values(this.maps[kind])) {
        for (const [v, s] of m) {
          if (s.expiresAt <= now) {
            m.delete(v);
            this.sizes[kind]--;
            n++;
          }
        }
      }
    }
    if (n > 0) this.rev++;
    return n;
  }

  /** Entries, optionally filtered, sorted by kind, entity, value. */
  entries(filter: { kind?: ListKind; entity?: ListEntity } = {}): ListEntry[] {
    const out: ListEntry[] = [];
    for (const m of LIST_KINDS.flatMap((k) => Object.values(this.maps[k]))) {
      for (const s of m.values()) {
        if (filter.kind && s.entry.kind !== filter.kind) continue;
        if (filter.entity && s.entry.entity !== filter.entity) continue;
        out.push(s.entry);
      }
    }
    return out.sort(
      (a, b) =>
        a.kind.localeCompare(b.kind) || a.entity.localeCompare(b.entity) || a.value.localeCompare(b.value),
    );
  }

  /** Replaces the whole content (e.g. after the backing file changed). */
  replaceAll(entries: readonly ListEntry[]): void {
    for (const e of entries) {
      const issues = checkEntry(e);
      if (issues.length > 0)
        throw new FraudError('FRAUD_REQUEST_INVALID', `invalid list entry for '${e.value}'`, {
          details: issues,
        });
    }
    for (const kind of LIST_KINDS) {
      for (const m of Object.values(this.maps[kind])) m.clear();
      this.sizes[kind] = 0;
    }
    for (const e of entries) this.put(e);
  }

  /** The first live allow/deny hit for a transaction, checking entities in catalogue order. */
  match(
    kind: ListKind,
    tx: Transaction,
    now: number,
    entities: readonly ListEntity[] = LIST_ENTITIES,
  ): ListEntry | undefined {
    // Most deployments have few or no allow entries: skip the six lookups entirely.
    if (this.sizes[kind] === 0) return undefined;
    const tables = this.maps[kind];
    for (let i = 0; i < entities.length; i++) {
      const entity = entities[i]!;
      const s = tables[entity].get(ENTITY_VALUE[entity](tx));
      if (s !== undefined && s.expiresAt > now) return s.entry;
    }
    return undefined;
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Field-level checks on one entry; empty when valid. */
export function checkEntry(e: Partial<ListEntry>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!LIST_KINDS.includes(e.kind as ListKind))
    issues.push({ field: 'kind', message: `must be one of ${LIST_KINDS.join(', ')}` });
  if (!LIST_ENTITIES.includes(e.entity as ListEntity)) {
    issues.push({ field: 'entity', message: `must be one of ${LIST_ENTITIES.join(', ')}` });
  }
  if (typeof e.value !== 'string' || e.value.length === 0 || e.value.length > 256 || /[\s,]/.test(e.value)) {
    issues.push({ field: 'value', message: 'must be a non-empty string without spaces or commas (max 256)' });
  } else if (e.entity === 'country' && !/^[A-Z]{2}$/.test(e.value)) {
    issues.push({ field: 'value', message: 'a country must be an ISO-3166 alpha-2 code (e.g. BR)' });
  }
  if (e.expires_at !== undefined && (!ISO.test(e.expires_at) || Number.isNaN(Date.parse(e.expires_at)))) {
    issues.push({ field: 'expires_at', message: 'must be an ISO-8601 date or date-time' });
  }
  if (typeof e.added_at !== 'string' || Number.isNaN(Date.parse(e.added_at))) {
    issues.push({ field: 'added_at', message: 'must be an ISO-8601 date-time' });
  }
  return issues;
}

/**
 * A relative or absolute expiry: `30m`, `12h`, `7d`, `2w`, or an ISO-8601 date(-time).
 * Returns the ISO timestamp, or throws naming the input.
 */
export function parseExpiry(input: string, now: number): string {
  const m = /^(\d+)(m|h|d|w)$/.exec(input.trim());
  if (m) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
    return new Date(now + Number(m[1]) * unit).toISOString();
  }
  if (ISO.test(input) && !Number.isNaN(Date.parse(input))) return new Date(Date.parse(input)).toISOString();
  throw new FraudError(
    'FRAUD_REQUEST_INVALID',
    `expiry '${input}' must be like 30m, 12h, 7d, 2w or an ISO-8601 date`,
  );
}

export interface CsvImportResult {
  readonly entries: ListEntry[];
  /** One per rejected line, with its 1-based line number. */
  readonly rejected: { line: number; text: string; issues: FieldIssue[] }[];
}

/**
 * Parses a list CSV. Header required; columns (any order): `kind,entity,value[,expires_at][,reason]`.
 * `kind` and `entity` may be omitted when given as defaults (e.g. `lists import --kind deny
 * --entity card`). Bad lines are rejected with their line number; good lines are kept.
 */
export function parseListCsv(
  text: string,
  defaults: { kind?: ListKind; entity?: ListEntity; addedAt: string; addedBy?: string; now: number },
): CsvImportResult {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const entries: ListEntry[] = [];
  const rejected: CsvImportResult['rejected'] = [];
  if (col('value') < 0) {
    rejected.push({
      line: 1,
      text: lines[0] ?? '',
      issues: [{ field: 'header', message: "must name a 'value' column" }],
    });
    return { entries, rejected };
  }
  for (const name of header) {
    if (!['kind', 'entity', 'value', 'expires_at', 'reason'].includes(name)) {
      rejected.push({
        line: 1,
        text: lines[0]!,
        issues: [{ field: 'header', message: `unknown column '${name}'` }],
      });
      return { entries, rejected };
    }
  }
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const cells = raw.split(',').map((c) => c.trim());
    const at = (name: string) => (col(name) >= 0 ? cells[col(name)] || undefined : undefined);
    const issues: FieldIssue[] = [];
    let expires: string | undefined;
    const rawExpiry = at('expires_at');
    if (rawExpiry !== undefined) {
      try {
        expires = parseExpiry(rawExpiry, defaults.now);
      } catch (err) {
        issues.push({ field: 'expires_at', message: (err as Error).message });
      }
    }
    const entry: ListEntry = {
      kind: (at('kind') ?? defaults.kind) as ListKind,
      entity: (at('entity') ?? defaults.entity) as ListEntity,
      value: at('value') ?? '',
      ...(expires ? { expires_at: expires } : {}),
      ...(at('reason') ? { reason: at('reason') } : {}),
      added_at: defaults.addedAt,
      ...(defaults.addedBy ? { added_by: defaults.addedBy } : {}),
    };
    issues.push(...checkEntry(entry));
    if (cells.length > header.length)
      issues.push({ field: 'line', message: `has ${cells.length} cells, header has ${header.length}` });
    if (issues.length > 0) rejected.push({ line: i + 1, text: raw, issues });
    else entries.push(entry);
  }
  return { entries, rejected };
}
