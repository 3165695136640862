import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { parse } from 'csv-parse';
import { ISO_4217 } from '../../core/contracts/iso.ts';
import { TransactionSchema } from '../../core/contracts/transaction.ts';
import { checkTransaction } from '../../core/contracts/validate.ts';
import { FraudError } from '../../core/errors/index.ts';
import { type DateOrder, parseTimestamp, type ZoneResolver, zoneResolver } from './timestamps.ts';
import { COUNTRY_BY_CODE } from './world.ts';

/**
 * Bring your own data (issue 5, item 1): a user's CSV of historical transactions, with their own
 * column names, converted into the `transactions` contract. Every row either converts or is
 * rejected with its line number and reason; a bad row never aborts the import.
 */
export const TRANSACTION_FIELDS = Object.keys(TransactionSchema.properties) as readonly string[];
export const LABEL_FIELDS = ['transaction_id', 'is_fraud', 'labeled_at', 'timestamp'] as const;

/** How the user's columns become contract fields. */
export interface ImportSpec {
  /** Contract field -> CSV column name (`--map`). */
  readonly map: Readonly<Record<string, string>>;
  /** Contract field -> constant (`--set`); also fills empty cells of a mapped column. */
  readonly set: Readonly<Record<string, string>>;
  /** IANA zone for timestamps without one (`--timezone`). Default `UTC`. */
  readonly timezone?: string;
  /** `dmy` (default) reads 03/04/2025 as 3 April; `mdy` as March 4. */
  readonly dateOrder?: DateOrder;
  /** Decimal separator of amounts: `.` (default; `,` are thousands) or `,` (`.` are thousands). */
  readonly decimal?: '.' | ',';
  /** CSV field delimiter. Default `,`. */
  readonly delimiter?: string;
  /** Labels only: days added to `timestamp` when the file has no label date. */
  readonly labelDelayDays?: number;
}

/** Parses `a=B,c=D` (the value may contain `=`; names and values are trimmed). */
export function parseAssignments(text: string | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FraudError('FRAUD_USAGE', `--${flag}: '${part}' is not field=value`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

type Row = readonly string[];
type Convert<T> = (row: Row) => { ok: true; value: T } | { ok: false; reason: string };

const TRUE = new Set(['true', 't', '1', 'yes', 'y']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n']);
function parseBool(v: string): boolean | null {
  const s = v.trim().toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : null;
}

function parseAmount(v: string, decimal: '.' | ','): number | string {
  // Tolerate currency symbols/codes around the number ("R$ 1.250,50", "12.00 EUR").
  let s = v
    .trim()
    .replace(/^[^\d.,+-]+|[^\d.,]+$/g, '')
    .replace(/[\s_']/g, '');
  s = decimal === ',' ? s.replaceAll('.', '').replace(',', '.') : s.replaceAll(',', '');
  const n = s === '' ? Number.NaN : Number(s);
  if (!Number.isFinite(n)) return `'${v}' is not a number`;
  if (n <= 0) return `${n} is not positive (refunds and reversals are not transactions)`;
  return n;
}

function columnIndexes(header: Row, map: Readonly<Record<string, string>>): Map<string, number> {
  const idx = new Map<string, number>();
  const missing: string[] = [];
  for (const [field, column] of Object.entries(map)) {
    const i = header.findIndex((h) => h.trim() === column);
    if (i < 0) missing.push(`${field}=${column}`);
    else idx.set(field, i);
  }
  if (missing.length > 0) {
    throw new FraudError(
      'FRAUD_USAGE',
      `--map names columns the CSV does not have: ${missing.join(', ')}; its columns are: ${header.join(', ')}`,
    );
  }
  return idx;
}

function checkFieldNames(spec: ImportSpec, allowed: readonly string[]): void {
  for (const [flag, fields] of [
    ['map', spec.map],
    ['set', spec.set],
  ] as const) {
    const unknown = Object.keys(fields).filter((f) => !allowed.includes(f));
    if (unknown.length > 0) {
      throw new FraudError(
        'FRAUD_USAGE',
        `--${flag}: unknown field(s) ${unknown.join(', ')}; fields are: ${allowed.join(', ')}`,
      );
    }
  }
}

/** Fields the importer can fill itself when the user has neither a column nor a constant. */
export const DERIVED_FIELDS: Readonly<Record<string, string>> = {
  customer_id: 'the card_id (each card its own customer)',
  device_id: "'dev_unknown_<card_id>' (one placeholder device per card, so no false sharing)",
  currency: "the merchant_country's currency, for the countries the simulator knows",
  merchant_category: "'unknown'",
  status: "'pending' (the state in which the live pipeline sees every transaction)",
};

/** Compiles the user's mapping against the CSV header into a row converter. */
export function transactionConverter(header: Row, spec: ImportSpec): Convert<Record<string, unknown>> {
  checkFieldNames(spec, TRANSACTION_FIELDS);
  const idx = columnIndexes(header, spec.map);
  const missing = TRANSACTION_FIELDS.filter(
    (f) => !idx.has(f) && spec.set[f] === undefined && !(f in DERIVED_FIELDS),
  );
  if (missing.length > 0) {
    throw new FraudError(
      'FRAUD_USAGE',
      `no column or constant for: ${missing.join(', ')}. Map a column (--map ${missing[0]}=COLUMN) or set a constant (--set ${missing[0]}=VALUE)`,
    );
  }
  const zone = resolver(spec.timezone);
  const order = spec.dateOrder ?? 'dmy';
  const decimal = spec.decimal ?? '.';
  // Constants are checked once, up front: a bad --set is a usage error, not a million rejects.
  for (const [field, value] of Object.entries(spec.set)) {
    const problem = convertField(field, value, zone, order, decimal);
    if (typeof problem === 'object' && problem !== null && 'reason' in problem) {
      throw new FraudError('FRAUD_USAGE', `--set ${field}=${value}: ${problem.reason}`);
    }
  }
  const fields = TRANSACTION_FIELDS.map((f) => ({ field: f, col: idx.get(f), fallback: spec.set[f] ?? '' }));
  const width = header.length;
  return (row) => {
    if (row.length !== width) return { ok: false, reason: `expected ${width} columns, found ${row.length}` };
    const tx: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const { field, col, fallback } of fields) {
      let raw = col === undefined ? '' : row[col]!.trim();
      if (raw === '') raw = fallback;
      if (raw === '') continue; // derived below, or reported missing
      const v = convertField(field, raw, zone, order, decimal);
      if (typeof v === 'object' && v !== null && 'reason' in v) problems.push(`${field} ${v.reason}`);
      else tx[field] = v;
    }
    const card = tx['card_id'];
    if (tx['customer_id'] === undefined && typeof card === 'string') tx['customer_id'] = card;
    if (tx['device_id'] === undefined && typeof card === 'string') tx['device_id'] = `dev_unknown_${card}`;
    if (tx['merchant_category'] === undefined) tx['merchant_category'] = 'unknown';
    if (tx['status'] === undefined) tx['status'] = 'pending';
    if (tx['currency'] === undefined && typeof tx['merchant_country'] === 'string') {
      const c = COUNTRY_BY_CODE.get(tx['merchant_country']);
      if (c) tx['currency'] = c.currency;
      else
        problems.push(
          `currency is empty and not derivable from merchant_country ${tx['merchant_country']}; use --set currency=CODE`,
        );
    }
    const named = (f: string) => problems.some((p) => p.startsWith(`${f} `));
    for (const f of TRANSACTION_FIELDS) if (tx[f] === undefined && !named(f)) problems.push(`${f} is empty`);
    // Output in contract field order, whatever the CSV's column order.
    const ordered: Record<string, unknown> = {};
    for (const f of TRANSACTION_FIELDS) if (tx[f] !== undefined) ordered[f] = tx[f];
    const checked = checkTransaction(ordered);
    if (!checked.ok) {
      for (const d of checked.error.details) if (!named(d.field)) problems.push(`${d.field} ${d.message}`);
    }
    if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
    return { ok: true, value: ordered };
  };
}

const ISO_CURRENCIES = new Set<string>(ISO_4217);

function convertField(
  field: string,
  raw: string,
  zone: ZoneResolver,
  order: DateOrder,
  decimal: '.' | ',',
): unknown | { reason: string } {
  switch (field) {
    case 'timestamp': {
      const ms = parseTimestamp(raw, zone, order);
      return typeof ms === 'number' ? new Date(ms).toISOString() : { reason: ms };
    }
    case 'amount': {
      const n = parseAmount(raw, decimal);
      return typeof n === 'number' ? n : { reason: n };
    }
    case 'card_present': {
      const b = parseBool(raw);
      return b === null ? { reason: `'${raw}' is not a boolean (true/false, 1/0, yes/no)` } : b;
    }
    case 'currency': {
      const code = raw.toUpperCase();
      return ISO_CURRENCIES.has(code) ? code : { reason: `'${raw}' is not an ISO-4217 currency code` };
    }
    case 'merchant_country':
      return raw.toUpperCase();
    default:
      return raw;
  }
}

function resolver(timezone: string | undefined): ZoneResolver {
  try {
    return zoneResolver(timezone ?? 'UTC');
  } catch {
    throw new FraudError(
      'FRAUD_USAGE',
      `--timezone '${timezone}' is not an IANA time zone (e.g. Europe/Lisbon, UTC)`,
    );
  }
}

export interface NormalisedLabel {
  readonly transaction_id: string;
  readonly is_fraud: boolean;
  readonly labeled_at: string;
}

/** Compiles a labels mapping: transaction_id, is_fraud, labeled_at (or timestamp + delay). */
export function labelConverter(header: Row, spec: ImportSpec): Convert<NormalisedLabel> {
  checkFieldNames(spec, LABEL_FIELDS);
  const idx = columnIndexes(header, spec.map);
  const has = (f: string) => idx.has(f) || spec.set[f] !== undefined;
  const missing = ['transaction_id', 'is_fraud'].filter((f) => !has(f));
  const derive = !has('labeled_at');
  if (derive && !(has('timestamp') && spec.labelDelayDays !== undefined)) missing.push('labeled_at');
  if (missing.length > 0) {
    throw new FraudError(
      'FRAUD_USAGE',
      `no column or constant for: ${missing.join(', ')}.` +
        (missing.includes('labeled_at')
          ? ' Without a label date, map the transaction time (--map timestamp=COLUMN) and give --label-delay-days D.'
          : ''),
    );
  }
  const zone = resolver(spec.timezone);
  const order = spec.dateOrder ?? 'dmy';
  const delayMs = (spec.labelDelayDays ?? 0) * 86_400_000;
  const width = header.length;
  const get = (row: Row, f: string) => {
    const col = idx.get(f);
    const v = col === undefined ? '' : row[col]!.trim();
    return v === '' ? (spec.set[f] ?? '') : v;
  };
  return (row) => {
    if (row.length !== width) return { ok: false, reason: `expected ${width} columns, found ${row.length}` };
    const problems: string[] = [];
    const id = get(row, 'transaction_id');
    if (id === '') problems.push('transaction_id is empty');
    const fraudRaw = get(row, 'is_fraud');
    const isFraud = parseBool(fraudRaw);
    if (isFraud === null) problems.push(`is_fraud '${fraudRaw}' is not a boolean (1/0, true/false, yes/no)`);
    const whenRaw = get(row, derive ? 'timestamp' : 'labeled_at');
    const when = parseTimestamp(whenRaw, zone, order);
    if (typeof when === 'string') problems.push(`${derive ? 'timestamp' : 'labeled_at'} ${when}`);
    if (problems.length > 0 || isFraud === null || typeof when === 'string')
      return { ok: false, reason: problems.join('; ') };
    return {
      ok: true,
      value: {
        transaction_id: id,
        is_fraud: isFraud,
        labeled_at: new Date(when + (derive ? delayMs : 0)).toISOString(),
      },
    };
  };
}

export interface ImportSummary {
  rows: number;
  converted: number;
  rejected: number;
  /** Rejections counted by the first field named in the reason. */
  rejectedByField: Record<string, number>;
  /** Converted rows whose timestamp is earlier than the previous converted row's. */
  outOfOrder: number;
  duplicates: number;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
}

export interface Reject {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}

/** RFC 4180 quoting for one field of the reject file. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

export interface StreamImportOptions<T> {
  readonly input: Readable;
  readonly out: Writable;
  readonly rejects: Writable;
  readonly spec: ImportSpec;
  readonly compile: (header: Row, spec: ImportSpec) => Convert<T>;
  /** Serialises one converted record as one output line (no newline). */
  readonly format: (value: T) => string;
  /** Output header line, if any (CSV outputs). */
  readonly outHeader?: string;
  /** Key for duplicate detection (omit to keep duplicates, as labels may be revised). */
  readonly idOf?: (value: T) => string;
  /** Event time, for the order check and the summary's range. */
  readonly timeOf?: (value: T) => string;
  readonly onReject?: (r: Reject) => void;
  readonly onProgress?: (rows: number) => void;
}

const FLUSH_AT = 1 << 20;
const KNOWN_FIELDS = new Set<string>([...TRANSACTION_FIELDS, ...LABEL_FIELDS]);

/**
 * Streams the CSV through the converter: bounded memory apart from the set of seen ids
 * (duplicates are rejected: the transaction id is the pipeline's idempotency key).
 */
export async function streamImport<T>(o: StreamImportOptions<T>): Promise<ImportSummary> {
  const summary: ImportSummary = {
    rows: 0,
    converted: 0,
    rejected: 0,
    rejectedByField: {},
    outOfOrder: 0,
    duplicates: 0,
    firstTimestamp: null,
    lastTimestamp: null,
  };
  let outBuf = o.outHeader === undefined ? '' : `${o.outHeader}\n`;
  let rejectBuf = 'line,reason,row\n';
  const write = async (w: Writable, chunk: string) => {
    if (!w.write(chunk)) await once(w, 'drain');
  };
  const reject = (r: Reject) => {
    summary.rejected++;
    const first = /^([a-z_]+) /.exec(r.reason)?.[1];
    const field = first !== undefined && KNOWN_FIELDS.has(first) ? first : 'row';
    summary.rejectedByField[field] = (summary.rejectedByField[field] ?? 0) + 1;
    rejectBuf += `${r.line},${csvField(r.reason)},${csvField(r.raw.replace(/\r?\n$/, ''))}\n`;
    o.onReject?.(r);
  };
  // Malformed CSV (a stray quote) is skipped by the parser and reported here, with its line.
  const parser = parse({
    delimiter: o.spec.delimiter ?? ',',
    bom: true,
    raw: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err, raw) => {
      summary.rows++;
      reject({
        line: Number((err as { lines?: number } | undefined)?.lines ?? 0),
        reason: `row is not valid CSV: ${err?.message ?? 'parse error'}`,
        raw: raw ?? '',
      });
      return undefined;
    },
  });
  o.input.on('error', (err) => parser.destroy(err));
  o.input.pipe(parser);
  let convert: Convert<T> | null = null;
  const seen = new Set<string>();
  let lastTime = '';
  for await (const rec of parser as AsyncIterable<{
    record: string[];
    raw: string;
    info: { lines: number };
  }>) {
    if (convert === null) {
      convert = o.compile(rec.record, o.spec);
      continue;
    }
    summary.rows++;
    const result = convert(rec.record);
    if (!result.ok) {
      reject({ line: rec.info.lines, reason: result.reason, raw: rec.raw });
    } else {
      const id = o.idOf?.(result.value);
      if (id !== undefined && seen.has(id)) {
        summary.duplicates++;
        reject({
          line: rec.info.lines,
          reason: `transaction_id ${id} is a duplicate of an earlier row`,
          raw: rec.raw,
        });
      } else {
        if (id !== undefined) seen.add(id);
        summary.converted++;
        outBuf += `${o.format(result.value)}\n`;
        const t = o.timeOf?.(result.value);
        if (t !== undefined) {
          if (t < lastTime) summary.outOfOrder++;
          lastTime = t;
          if (summary.firstTimestamp === null || t < summary.firstTimestamp) summary.firstTimestamp = t;
          if (summary.lastTimestamp === null || t > summary.lastTimestamp) summary.lastTimestamp = t;
        }
      }
    }
    if (outBuf.length >= FLUSH_AT) {
      await write(o.out, outBuf);
      outBuf = '';
      o.onProgress?.(summary.rows);
    }
    if (rejectBuf.length >= FLUSH_AT) {
      await write(o.rejects, rejectBuf);
      rejectBuf = '';
    }
  }
  if (convert === null) throw new FraudError('FRAUD_USAGE', 'the input CSV is empty (no header row)');
  await write(o.out, outBuf);
  await write(o.rejects, rejectBuf);
  return summary;
}
