/*
 * The contract's timestamps, read without Date.parse on the hot path (the stream processor's
 * quick contract check and the feature engine's event time both use it).
 */

/**
 * Value of the ASCII digit at i, or -100,000 if it is not a digit: that makes any field it
 * enters negative whatever its place (a field's other digits add at most 9,999), and every
 * field is range-checked against a non-negative minimum.
 */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -100_000;
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` and `YYYY-MM-DDTHH:MM:SS.mmmZ` (what every producer of the contract
 * writes) parsed by hand: Date.parse costs about a third of a microsecond per event. Returns -1
 * for anything else (other fraction lengths, days past the month's end, years before 1970…),
 * which then goes through Date.parse, so the result always equals Date.parse (unit-tested).
 */
export function parseUtcFast(s: string): number {
  const n = s.length;
  let ms = 0;
  if (n === 24) {
    if (s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) return -1;
    ms = digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22);
  } else if (n !== 20 || s.charCodeAt(19) !== 90) return -1;
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return -1;
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const month = digit(s, 5) * 10 + digit(s, 6);
  const day = digit(s, 8) * 10 + digit(s, 9);
  const hour = digit(s, 11) * 10 + digit(s, 12);
  const minute = digit(s, 14) * 10 + digit(s, 15);
  const second = digit(s, 17) * 10 + digit(s, 18);
  if (
    !(ms >= 0) ||
    year < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 28 + (month === 2 ? (isLeap(year) ? 1 : 0) : DAYS_OVER_28[month]!) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  )
    return -1;
  return (daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + ms;
}

const DAYS_OVER_28 = [0, 3, 0, 3, 2, 3, 2, 3, 3, 2, 3, 2, 3];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil, y ≥ 1970). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
