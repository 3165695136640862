import { cumulativeOf, pickCumulative, type Rng } from './prng.ts';
import { CATEGORIES, COUNTRIES, type CountryProfile } from './world.ts';

/** A customer and everything the simulator knows about how they spend. */
export interface Customer {
  readonly index: number;
  readonly id: string;
  readonly country: CountryProfile;
  /** Median ticket in US dollars; actual amounts scale it by category and noise. */
  readonly typicalUsd: number;
  /** Log-space spread of their amounts (some people are steadier than others). */
  readonly amountSigma: number;
  /** Cumulative weights over CATEGORIES: this customer's own mix. */
  readonly categoryCumulative: Float64Array;
  /** Shift of their daily rhythm in hours (night owls are positive). */
  readonly hourShift: number;
  /** Relative activity (log-normal: a few customers transact a lot). */
  readonly activity: number;
  /** Card ids; the first is their main card. */
  readonly cards: readonly string[];
  /** Device ids; the last is the current one. Grows when the customer gets a new phone. */
  readonly devices: string[];
  readonly homeIp: string;
  /** Merchants they return to (indexes into Population.merchants). */
  readonly favourites: readonly number[];
  /** Probability per transaction of starting a trip abroad. */
  readonly travelPropensity: number;
}

export type RiskLevel = 'low' | 'medium' | 'high';

export interface Merchant {
  readonly index: number;
  readonly id: string;
  readonly category: string;
  readonly categoryIndex: number;
  readonly country: CountryProfile;
  readonly risk: RiskLevel;
  /** Relative popularity within its country and category. */
  readonly popularity: number;
}

/** Merchants of one country (optionally one category) with cumulative popularity for sampling. */
export interface MerchantPool {
  readonly merchants: readonly number[];
  readonly cumulative: Float64Array;
}

export interface Population {
  readonly customers: readonly Customer[];
  readonly customerCumulative: Float64Array;
  readonly merchants: readonly Merchant[];
  /** Key `${country}|${category}`. */
  readonly byCountryCategory: ReadonlyMap<string, MerchantPool>;
  readonly byCountry: ReadonlyMap<string, MerchantPool>;
  /** Every card, with its owner, for drawing fraud victims. */
  readonly cardOwners: readonly { readonly card: string; readonly customer: number }[];
  /** Devices issued so far (population and fraudsters); new device ids continue from it. */
  deviceCounter: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
export const customerId = (n: number) => `cust_${pad(n, 6)}`;
export const cardId = (n: number) => `card_${pad(n, 7)}`;
export const merchantId = (n: number) => `m_${pad(n, 5)}`;
export const deviceId = (n: number) => `dev_${pad(n, 7)}`;

export function randomIp(rng: Rng, ranges: readonly (readonly [number, number])[]): string {
  const [a, b] = ranges[Math.floor(rng.float() * ranges.length)]!;
  return `${a}.${b}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function pool(indexes: number[], merchants: readonly Merchant[]): MerchantPool {
  return { merchants: indexes, cumulative: cumulativeOf(indexes.map((i) => merchants[i]!.popularity)) };
}

export function pickFromPool(rng: Rng, p: MerchantPool): number {
  return p.merchants[pickCumulative(rng, p.cumulative)]!;
}

/**
 * Builds the stable population from its own random stream: the same seed always yields the
 * same customers, cards, devices and merchants, whatever traffic is generated afterwards.
 */
export function buildPopulation(rng: Rng, customerCount: number, merchantCount: number): Population {
  const countryCustomerCum = cumulativeOf(COUNTRIES.map((k) => k.customers));
  const countryMerchantCum = cumulativeOf(COUNTRIES.map((k) => k.merchants));
  const categoryCum = cumulativeOf(CATEGORIES.map((k) => k.popularity));

  // Merchants first: customers pick favourites among them. Every (customer country,
  // category) pair gets at least one merchant so domestic spending never falls back abroad.
  const merchants: Merchant[] = [];
  const addMerchant = (country: CountryProfile, categoryIndex: number) => {
    const category = CATEGORIES[categoryIndex]!;
    const risk = (['low', 'medium', 'high'] as const)[pickCumulative(rng, cumulativeOf(category.risk))]!;
    merchants.push({
      index: merchants.length,
      id: merchantId(merchants.length + 1),
      category: category.name,
      categoryIndex,
      country,
      risk,
      popularity: rng.logNormal(1, 1),
    });
  };
  for (const country of COUNTRIES) {
    if (country.customers === 0) continue;
    for (let k = 0; k < CATEGORIES.length; k++) addMerchant(country, k);
  }
  while (merchants.length < merchantCount) {
    addMerchant(COUNTRIES[pickCumulative(rng, countryMerchantCum)]!, pickCumulative(rng, categoryCum));
  }

  const byCountryCategoryIdx = new Map<string, number[]>();
  const byCountryIdx = new Map<string, number[]>();
  for (const m of merchants) {
    const k = `${m.country.code}|${m.category}`;
    if (!byCountryCategoryIdx.has(k)) byCountryCategoryIdx.set(k, []);
    byCountryCategoryIdx.get(k)!.push(m.index);
    if (!byCountryIdx.has(m.country.code)) byCountryIdx.set(m.country.code, []);
    byCountryIdx.get(m.country.code)!.push(m.index);
  }
  const byCountryCategory = new Map([...byCountryCategoryIdx].map(([k, v]) => [k, pool(v, merchants)]));
  const byCountry = new Map([...byCountryIdx].map(([k, v]) => [k, pool(v, merchants)]));

  const customers: Customer[] = [];
  const cardOwners: { card: string; customer: number }[] = [];
  let cardCounter = 0;
  let deviceCounter = 0;
  for (let i = 0; i < customerCount; i++) {
    const previous = customers[i - 1];
    // Households: a few customers share a device and home connection with the previous
    // customer (same country). Legitimate shared devices are the noise that keeps
    // "device seen with many cards" from being a perfect fraud-ring detector.
    const household = previous !== undefined && rng.chance(0.04);
    const country = household ? previous.country : COUNTRIES[pickCumulative(rng, countryCustomerCum)]!;
    const categoryWeights = CATEGORIES.map((k) => k.popularity * rng.logNormal(1, 0.8));
    const cardCount = rng.float() < 0.55 ? 1 : rng.float() < 0.67 ? 2 : 3;
    const cards: string[] = [];
    for (let k = 0; k < cardCount; k++) {
      cards.push(cardId(++cardCounter));
      cardOwners.push({ card: cards[k]!, customer: i });
    }
    const devices: string[] = [];
    const deviceCount = rng.chance(0.3) ? 2 : 1;
    if (household) devices.push(previous.devices[0]!);
    while (devices.length < deviceCount) devices.push(deviceId(++deviceCounter));
    const categoryCumulative = cumulativeOf(categoryWeights);
    const favourites: number[] = [];
    const favouriteCount = rng.int(4, 10);
    for (let k = 0; k < favouriteCount; k++) {
      const category = CATEGORIES[pickCumulative(rng, categoryCumulative)]!;
      const p = byCountryCategory.get(`${country.code}|${category.name}`) ?? byCountry.get(country.code)!;
      favourites.push(pickFromPool(rng, p));
    }
    customers.push({
      index: i,
      id: customerId(i + 1),
      country,
      typicalUsd: Math.min(400, Math.max(4, rng.logNormal(35, 0.6))),
      amountSigma: rng.uniform(0.45, 0.9),
      categoryCumulative,
      hourShift: Math.round(rng.normal() * 1.5),
      activity: rng.logNormal(1, 0.7),
      cards,
      devices,
      homeIp: household ? previous.homeIp : randomIp(rng, country.ipRanges),
      favourites,
      travelPropensity: rng.chance(0.25) ? rng.uniform(0.002, 0.01) : rng.uniform(0, 0.0015),
    });
  }
  return {
    customers,
    customerCumulative: cumulativeOf(customers.map((k) => k.activity)),
    merchants,
    byCountryCategory,
    byCountry,
    cardOwners,
    deviceCounter,
  };
}
