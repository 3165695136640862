import type { Iso3166Alpha2, Iso4217 } from './iso-types.ts';

/**
 * The simulated world: countries (with their currency, clock and synthetic IP ranges) and
 * merchant categories. Static tables, so a seed always meets the same world.
 *
 * Currencies follow the merchant's country (a BR merchant charges BRL), as card networks
 * present cross-border purchases in the merchant's currency.
 */
export interface CountryProfile {
  readonly code: Iso3166Alpha2;
  readonly currency: Iso4217;
  /** Units of `currency` per US dollar (rough, fixed): spending profiles are in USD. */
  readonly perUsd: number;
  /** ISO-4217 minor units actually used on card slips (0 for JPY, VND, IDR). */
  readonly minorUnits: 0 | 2;
  /** Standard-time UTC offset in hours (no DST: a simulation, not a calendar). */
  readonly utcOffset: number;
  /** A representative point (largest city), for travel distances. */
  readonly lat: number;
  readonly lon: number;
  /** Relative share of simulated customers living here. */
  readonly customers: number;
  /** Relative share of merchants located here. */
  readonly merchants: number;
  /** Relative attractiveness as a (legitimate) travel destination. */
  readonly travel: number;
  /** Relative weight as the origin of attacks (account takeover, rings, card testing). */
  readonly attackOrigin: number;
  /** Synthetic public /16 ranges (first two octets) assigned to this country. */
  readonly ipRanges: readonly (readonly [number, number])[];
}

const c = (
  code: Iso3166Alpha2,
  currency: Iso4217,
  perUsd: number,
  minorUnits: 0 | 2,
  utcOffset: number,
  lat: number,
  lon: number,
  weights: { customers: number; merchants: number; travel: number; attackOrigin: number },
  ipRanges: (readonly [number, number])[],
): CountryProfile => ({ code, currency, perUsd, minorUnits, utcOffset, lat, lon, ...weights, ipRanges });

export const COUNTRIES: readonly CountryProfile[] = [
  c('BR', 'BRL', 5.0, 2, -3, -23.55, -46.63, { customers: 30, merchants: 28, travel: 4, attackOrigin: 1 }, [
    [200, 160],
    [177, 32],
    [189, 40],
  ]),
  c('US', 'USD', 1, 2, -5, 40.71, -74.01, { customers: 20, merchants: 22, travel: 10, attackOrigin: 1 }, [
    [73, 12],
    [24, 48],
    [98, 207],
  ]),
  c('PT', 'EUR', 0.92, 2, 0, 38.72, -9.14, { customers: 8, merchants: 7, travel: 6, attackOrigin: 0 }, [
    [85, 240],
    [188, 80],
  ]),
  c('ES', 'EUR', 0.92, 2, 1, 40.42, -3.7, { customers: 6, merchants: 6, travel: 8, attackOrigin: 0 }, [
    [83, 44],
    [88, 12],
  ]),
  c('DE', 'EUR', 0.92, 2, 1, 52.52, 13.4, { customers: 7, merchants: 7, travel: 4, attackOrigin: 0 }, [
    [87, 150],
    [91, 64],
  ]),
  c('FR', 'EUR', 0.92, 2, 1, 48.86, 2.35, { customers: 6, merchants: 6, travel: 9, attackOrigin: 0 }, [
    [90, 80],
    [86, 200],
  ]),
  c('GB', 'GBP', 0.79, 2, 0, 51.51, -0.13, { customers: 8, merchants: 8, travel: 6, attackOrigin: 0.5 }, [
    [81, 100],
    [86, 140],
  ]),
  c('MX', 'MXN', 17.5, 2, -6, 19.43, -99.13, { customers: 8, merchants: 7, travel: 5, attackOrigin: 0.5 }, [
    [187, 190],
    [201, 140],
  ]),
  c('AR', 'ARS', 950, 2, -3, -34.6, -58.38, { customers: 4, merchants: 4, travel: 2, attackOrigin: 0.5 }, [
    [181, 44],
    [190, 220],
  ]),
  c('IT', 'EUR', 0.92, 2, 1, 41.9, 12.5, { customers: 5, merchants: 5, travel: 7, attackOrigin: 0 }, [
    [79, 20],
    [93, 40],
  ]),
  c('NL', 'EUR', 0.92, 2, 1, 52.37, 4.9, { customers: 3, merchants: 3, travel: 3, attackOrigin: 0 }, [
    [84, 80],
    [145, 50],
  ]),
  c('CA', 'CAD', 1.36, 2, -5, 43.65, -79.38, { customers: 4, merchants: 4, travel: 2, attackOrigin: 0 }, [
    [70, 50],
    [99, 240],
  ]),
  c('JP', 'JPY', 150, 0, 9, 35.68, 139.69, { customers: 0, merchants: 2, travel: 3, attackOrigin: 0 }, [
    [126, 10],
    [153, 200],
  ]),
  c('TH', 'THB', 36, 2, 7, 13.75, 100.5, { customers: 0, merchants: 2, travel: 3, attackOrigin: 0.5 }, [
    [171, 96],
    [49, 228],
  ]),
  c('RO', 'RON', 4.6, 2, 2, 44.43, 26.1, { customers: 0, merchants: 0.5, travel: 0, attackOrigin: 3 }, [
    [86, 120],
    [79, 112],
  ]),
  c('NG', 'NGN', 1500, 2, 1, 6.52, 3.38, { customers: 0, merchants: 0.5, travel: 0, attackOrigin: 3 }, [
    [102, 88],
    [105, 112],
  ]),
  c('RU', 'RUB', 92, 2, 3, 55.76, 37.62, { customers: 0, merchants: 0.5, travel: 0, attackOrigin: 3 }, [
    [95, 24],
    [178, 64],
  ]),
  c('UA', 'UAH', 41, 2, 2, 50.45, 30.52, { customers: 0, merchants: 0.5, travel: 0, attackOrigin: 2 }, [
    [91, 196],
    [176, 36],
  ]),
  c('VN', 'VND', 24500, 0, 7, 10.82, 106.63, { customers: 0, merchants: 0.5, travel: 1, attackOrigin: 2 }, [
    [113, 160],
    [14, 160],
  ]),
  c('ID', 'IDR', 15800, 0, 7, -6.2, 106.85, { customers: 0, merchants: 0.5, travel: 1, attackOrigin: 2 }, [
    [36, 64],
    [114, 120],
  ]),
  c('TR', 'TRY', 32, 2, 3, 41.01, 28.98, { customers: 0, merchants: 0.5, travel: 2, attackOrigin: 2 }, [
    [88, 240],
    [78, 160],
  ]),
];

/**
 * Hosting / VPN ranges: fraudsters hide behind them; a few legitimate customers (corporate
 * VPNs) do too. Geolocated to the data centre's country.
 */
export const HOSTING_RANGES: readonly {
  readonly range: readonly [number, number];
  readonly country: Iso3166Alpha2;
}[] = [
  { range: [45, 76], country: 'US' },
  { range: [104, 248], country: 'US' },
  { range: [185, 220], country: 'DE' },
  { range: [159, 203], country: 'NL' },
];

export const COUNTRY_BY_CODE: ReadonlyMap<string, CountryProfile> = new Map(
  COUNTRIES.map((k) => [k.code, k]),
);

const IP_TABLE = new Map<number, { country: Iso3166Alpha2; hosting: boolean }>();
for (const k of COUNTRIES)
  for (const [a, b] of k.ipRanges) IP_TABLE.set(a * 256 + b, { country: k.code, hosting: false });
for (const h of HOSTING_RANGES)
  IP_TABLE.set(h.range[0] * 256 + h.range[1], { country: h.country, hosting: true });

/**
 * Geolocation of a simulated IPv4 address (the simulated world's "GeoIP database"). Returns
 * `null` for addresses the simulator never issues. Only meaningful on simulated data.
 */
export function simulatedIpInfo(ip: string): { country: Iso3166Alpha2; hosting: boolean } | null {
  const dot1 = ip.indexOf('.');
  const dot2 = ip.indexOf('.', dot1 + 1);
  if (dot1 < 0 || dot2 < 0) return null;
  return IP_TABLE.get(Number(ip.slice(0, dot1)) * 256 + Number(ip.slice(dot1 + 1, dot2))) ?? null;
}

/** Great-circle distance in km between two countries' representative points. */
export function countryDistanceKm(a: CountryProfile, b: CountryProfile): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface CategoryProfile {
  readonly name: string;
  /** Share of a typical customer's purchases (relative weight). */
  readonly popularity: number;
  /** Typical ticket relative to the customer's typical amount. */
  readonly amountFactor: number;
  /** Probability that a purchase here is card-present (in store). */
  readonly cardPresent: number;
  /** Weights of merchant risk levels [low, medium, high] in this category. */
  readonly risk: readonly [number, number, number];
}

const cat = (
  name: string,
  popularity: number,
  amountFactor: number,
  cardPresent: number,
  risk: [number, number, number],
): CategoryProfile => ({ name, popularity, amountFactor, cardPresent, risk });

export const CATEGORIES: readonly CategoryProfile[] = [
  cat('grocery', 25, 1.0, 0.92, [8, 2, 0]),
  cat('restaurants', 15, 0.8, 0.88, [8, 2, 0]),
  cat('fuel', 9, 1.3, 0.95, [7, 3, 0]),
  cat('retail', 12, 1.5, 0.6, [6, 3, 1]),
  cat('fashion', 6, 1.8, 0.5, [6, 3, 1]),
  cat('electronics', 3, 4.5, 0.35, [3, 5, 2]),
  cat('travel', 2, 6, 0.1, [4, 5, 1]),
  cat('entertainment', 6, 0.9, 0.4, [6, 3, 1]),
  cat('health', 5, 1.2, 0.8, [9, 1, 0]),
  cat('transport', 8, 0.4, 0.5, [8, 2, 0]),
  cat('utilities', 4, 2.2, 0.05, [9, 1, 0]),
  cat('digital_goods', 3, 0.5, 0, [2, 4, 4]),
  cat('gaming', 2, 0.6, 0, [2, 4, 4]),
  cat('gift_cards', 1, 2, 0.1, [1, 3, 6]),
  cat('jewelry', 0.5, 5, 0.6, [2, 4, 4]),
];

export const CATEGORY_INDEX: ReadonlyMap<string, number> = new Map(CATEGORIES.map((k, i) => [k.name, i]));

/** Categories fraudsters cash out in: resaleable goods and instant digital value. */
export const CASH_OUT_CATEGORIES: readonly string[] = [
  'electronics',
  'gift_cards',
  'jewelry',
  'digital_goods',
];
/** Categories card testers probe: cheap, online, instant authorisation. */
export const CARD_TESTING_CATEGORIES: readonly string[] = [
  'digital_goods',
  'gaming',
  'entertainment',
  'retail',
];

/** Relative transaction intensity by local hour (0-23): quiet nights, lunch and evening peaks. */
export const HOURLY_ACTIVITY: readonly number[] = [
  0.15, 0.08, 0.05, 0.04, 0.05, 0.1, 0.3, 0.6, 0.8, 0.9, 1, 1.1, 1.3, 1.1, 1, 1, 1.05, 1.15, 1.3, 1.3, 1.1,
  0.8, 0.5, 0.3,
];
