/**
 * Timestamp parsing for imported data. Accepted, in this order:
 * - epoch seconds (>= 1e8, may have decimals) or epoch milliseconds (>= 1e11);
 * - ISO-8601 / `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]` / `YYYY/MM/DD ...` / `YYYY-MM-DD`, with an
 *   optional zone (`Z`, `UTC`, `+01:00`, `+0100`); without a zone, the import's time zone;
 * - `DD/MM/YYYY[ HH:MM[:SS]]` (also `-` or `.` separators), or `MM/DD/YYYY` with month-first.
 * Returns epoch ms, or a reason string.
 */
export type DateOrder = 'dmy' | 'mdy';

const ISO_LIKE =
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const DAY_FIRST =
  /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?$/;
const NUMERIC = /^\d+(\.\d+)?$/;
const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

export function parseTimestamp(value: string, zone: ZoneResolver, order: DateOrder = 'dmy'): number | string {
  const s = value.trim();
  if (s === '') return 'is empty';
  if (NUMERIC.test(s)) {
    const n = Number(s);
    if (n < 1e8) return `'${s}' is too small for epoch seconds`;
    return inRange(Math.round(n >= 1e11 ? n : n * 1000), s);
  }
  let m = ISO_LIKE.exec(s);
  if (m) {
    const fields = civil(+m[1]!, +m[2]!, +m[3]!, m[4], m[5], m[6], m[7], s);
    if (typeof fields === 'string') return fields;
    const z = m[8];
    if (z === undefined) return inRange(zone(fields), s);
    return inRange(fields - zoneOffsetMs(z), s);
  }
  m = DAY_FIRST.exec(s);
  if (m) {
    const [a, b] = [+m[1]!, +m[2]!];
    const [day, month] = order === 'dmy' ? [a, b] : [b, a];
    const fields = civil(+m[3]!, month, day, m[4], m[5], m[6], m[7], s);
    return typeof fields === 'string' ? fields : inRange(zone(fields), s);
  }
  return `'${s}' is not a recognised timestamp (ISO-8601, epoch s/ms, YYYY-MM-DD HH:MM:SS, DD/MM/YYYY HH:MM)`;
}

function inRange(ms: number, s: string): number | string {
  return ms >= MIN_MS && ms < MAX_MS ? ms : `'${s}' is outside 1970-2099`;
}

function zoneOffsetMs(z: string): number {
  if (/^(Z|UTC|GMT)$/i.test(z)) return 0;
  const sign = z[0] === '-' ? -1 : 1;
  const digits = z.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
}

/** Wall-clock fields as if they were UTC (epoch ms), after range checks. */
function civil(
  y: number,
  mo: number,
  d: number,
  h: string | undefined,
  mi: string | undefined,
  sec: string | undefined,
  frac: string | undefined,
  s: string,
): number | string {
  const hour = h === undefined ? 0 : +h;
  const minute = mi === undefined ? 0 : +mi;
  const second = sec === undefined ? 0 : +sec;
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate())
    return `'${s}' is not a valid date`;
  if (hour > 23 || minute > 59 || second > 59) return `'${s}' is not a valid time of day`;
  return Date.UTC(y, mo - 1, d, hour, minute, second, ms);
}

/** Converts wall-clock fields (encoded as a UTC epoch) in some zone to the true UTC instant. */
export type ZoneResolver = (wallClockAsUtcMs: number) => number;

/**
 * A resolver for an IANA time zone (e.g. `Europe/Lisbon`). Throws RangeError for an unknown
 * zone. Offsets come from the runtime's tz database (Intl) and are cached per hour.
 */
export function zoneResolver(timeZone: string): ZoneResolver {
  if (/^(UTC|Etc\/UTC|GMT|Z)$/i.test(timeZone)) return (ms) => ms;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const cache = new Map<number, number>();
  const offsetAt = (utcMs: number): number => {
    const key = Math.floor(utcMs / 3_600_000);
    let off = cache.get(key);
    if (off === undefined) {
      const p: Record<string, number> = {};
      for (const part of fmt.formatToParts(key * 3_600_000))
        if (part.type !== 'literal') p[part.type] = Number(part.value);
      off =
        Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!) -
        key * 3_600_000;
      if (cache.size > 100_000) cache.clear();
      cache.set(key, off);
    }
    return off;
  };
  return (wall) => {
    // Guess with the offset at the wall time, then correct once: exact except inside a DST
    // gap (a wall time that never existed), which lands one offset-change later.
    const first = wall - offsetAt(wall);
    const second = wall - offsetAt(first);
    return second;
  };
}
