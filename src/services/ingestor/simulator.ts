import type { Label } from '../../core/contracts/label.ts';
import type { Transaction } from '../../core/contracts/transaction.ts';
import { isoUtc } from './iso-time.ts';
import type { Iso3166Alpha2 } from './iso-types.ts';
import {
  buildPopulation,
  type Customer,
  deviceId,
  type MerchantPool,
  type Population,
  pickFromPool,
  randomIp,
} from './population.ts';
import { cumulativeOf, pickCumulative, Rng } from './prng.ts';
import {
  CARD_TESTING_CATEGORIES,
  CASH_OUT_CATEGORIES,
  CATEGORIES,
  COUNTRIES,
  COUNTRY_BY_CODE,
  type CountryProfile,
  countryDistanceKm,
  HOSTING_RANGES,
  HOURLY_ACTIVITY,
} from './world.ts';

/** The labelled fraud scenarios (issue 2, item 4). A fraud label's `scenario` is one of these. */
export const SCENARIOS = [
  'card_testing',
  'account_takeover',
  'fraud_ring',
  'compromised_merchant',
  'amount_outlier',
  'impossible_travel',
  'friendly_fraud',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/**
 * Legitimate look-alikes that an analyst reviewed and cleared: they receive `is_fraud: false`
 * labels with these scenario names (source `analyst`).
 */
export const REVIEWED_LEGIT_SCENARIOS = ['legit_travel', 'legit_big_purchase', 'legit_new_device'] as const;
type LegitNoise = (typeof REVIEWED_LEGIT_SCENARIOS)[number];

/** Default share of fraudulent transactions by scenario. */
export const DEFAULT_SCENARIO_MIX: Readonly<Record<Scenario, number>> = {
  card_testing: 0.23,
  account_takeover: 0.14,
  fraud_ring: 0.19,
  compromised_merchant: 0.14,
  amount_outlier: 0.1,
  impossible_travel: 0.12,
  friendly_fraud: 0.08,
};

/** Expected fraudulent transactions per episode, used to turn shares into episode rates. */
const FRAUDS_PER_EPISODE: Readonly<Record<Scenario, number>> = {
  card_testing: 15.8,
  account_takeover: 2.5,
  fraud_ring: 25,
  compromised_merchant: 10,
  amount_outlier: 1.2,
  impossible_travel: 2,
  friendly_fraud: 1,
};

/** Median chargeback delay in days per scenario (issuers spot card testing faster than a ring). */
const CHARGEBACK_MEDIAN_DAYS: Readonly<Record<Scenario, number>> = {
  card_testing: 5,
  account_takeover: 6,
  impossible_travel: 8,
  amount_outlier: 12,
  compromised_merchant: 15,
  fraud_ring: 20,
  friendly_fraud: 30,
};

export interface SimulatorOptions {
  /** Seed of every random choice. Same seed and options => the same stream. Default 1. */
  readonly seed?: number;
  /** Target share of fraudulent transactions, in [0, 0.5]. Default 0.01. */
  readonly fraudRate?: number;
  /** Number of customers. Default 5000. */
  readonly customers?: number;
  /** Number of merchants. Default max(200, customers / 5). */
  readonly merchants?: number;
  /** History mode: simulated clock start. Default 2025-01-06T00:00:00Z (a Monday). */
  readonly start?: Date | number | string;
  /**
   * History mode: average transactions per simulated day. Default `count / spanDays` when both
   * are given, else one per customer per day.
   */
  readonly txPerDay?: number;
  /** History mode: days the expected `count` should span (with `count`). Default 56. */
  readonly spanDays?: number;
  /** History mode: transactions the caller intends to draw (with `spanDays`, sets the pace). */
  readonly count?: number;
  /**
   * Multiplies every scenario delay and label delay (1 = real time). Live demos use e.g.
   * 1/1440 so that a day of chargebacks arrives in a minute. Default 1.
   */
  readonly timeScale?: number;
  /** Transaction id prefix; ids are `${idPrefix}${10-digit sequence}`. Default `tx_`. */
  readonly idPrefix?: string;
  /** Share of reviewed legitimate look-alikes (travel, big purchase, new device) that get a label. Default 0.3. */
  readonly reviewedLegitRate?: number;
  /**
   * Share of fraud transactions per scenario (normalised). Scenarios left out get none, so
   * `{ fraud_ring: 1 }` simulates rings only. Default DEFAULT_SCENARIO_MIX.
   */
  readonly scenarioMix?: Partial<Record<Scenario, number>>;
}

export interface SimulatedEvent {
  readonly transaction: Transaction;
  /** Ground truth, out of band: `labeled_at` is later than the transaction. Null for unlabelled. */
  readonly label: Label | null;
  /** The fraud scenario, or null for a legitimate transaction. */
  readonly scenario: Scenario | null;
  /** Event time in epoch ms (the transaction's `timestamp`). */
  readonly eventTimeMs: number;
}

export interface Simulator {
  /**
   * The next transaction. Without `nowMs` (history mode) event times follow a simulated clock
   * with a daily cycle; with `nowMs` (live mode) the event time is `nowMs`, and scenario steps
   * become due in wall-clock time. Do not mix the two modes on one simulator.
   */
  next(nowMs?: number): SimulatedEvent;
  readonly population: Population;
  readonly options: Readonly<Required<Omit<SimulatorOptions, 'start' | 'count' | 'scenarioMix'>>> & {
    readonly startMs: number;
    readonly scenarioMix: Readonly<Record<Scenario, number>>;
  };
  /** Counts so far: transactions, frauds per scenario, labels. */
  stats(): SimulatorStats;
}

export interface SimulatorStats {
  transactions: number;
  frauds: number;
  byScenario: Record<Scenario, number>;
  labels: number;
  reviewedLegit: number;
}

/** A scenario step waiting for its time (or a legitimate anchor of impossible travel). */
interface Planned {
  time: number;
  seq: number;
  /** Already counted by the fraud-rate feedback. */
  counted?: boolean;
  scenario: Scenario | null;
  customer: number;
  card: string;
  merchant: number;
  amountUsd: number;
  cardPresent: boolean;
  device: string;
  ip: string;
}

interface Ring {
  devices: string[];
  ips: string[];
  merchants: number[];
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const PEAK_ACTIVITY = Math.max(...HOURLY_ACTIVITY);
const MEAN_ACCEPTANCE = HOURLY_ACTIVITY.reduce((a, b) => a + b, 0) / 24 / PEAK_ACTIVITY;
const DEFAULT_START = Date.UTC(2025, 0, 6);
const ZEROS = '0000000000';

/** Min-heap of planned steps by (time, seq): seq keeps equal times in a deterministic order. */
class PlanQueue {
  readonly #items: Planned[] = [];
  get size() {
    return this.#items.length;
  }
  peek(): Planned | undefined {
    return this.#items[0];
  }
  push(p: Planned): void {
    const a = this.#items;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): Planned | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
const before = (x: Planned, y: Planned) => x.time < y.time || (x.time === y.time && x.seq < y.seq);

function toMs(start: Date | number | string | undefined): number {
  if (start === undefined) return DEFAULT_START;
  const ms = start instanceof Date ? start.getTime() : typeof start === 'number' ? start : Date.parse(start);
  if (!Number.isFinite(ms)) throw new RangeError(`simulator start '${String(start)}' is not a date`);
  return ms;
}

function roundAmount(amountUsd: number, country: CountryProfile): number {
  const local = amountUsd * country.perUsd;
  if (country.minorUnits === 0) return Math.max(1, Math.round(local));
  return Math.max(0.01, Math.round(local * 100) / 100);
}

/**
 * Creates a seeded, deterministic transaction simulator. Pure: no I/O, no wall clock (live
 * mode receives the time from the caller).
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const seed = options.seed ?? 1;
  const fraudRate = options.fraudRate ?? 0.01;
  if (!(fraudRate >= 0 && fraudRate <= 0.5))
    throw new RangeError(`fraudRate must be in [0, 0.5], got ${fraudRate}`);
  const customerCount = Math.max(10, Math.floor(options.customers ?? 5000));
  const merchantCount = Math.max(200, Math.floor(options.merchants ?? customerCount / 5));
  const spanDays = options.spanDays ?? 56;
  const txPerDay =
    options.txPerDay ??
    (options.count !== undefined && options.count > 0 ? options.count / spanDays : customerCount);
  if (!(txPerDay > 0)) throw new RangeError(`txPerDay must be positive, got ${txPerDay}`);
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be positive, got ${timeScale}`);
  const idPrefix = options.idPrefix ?? 'tx_';
  const reviewedLegitRate = options.reviewedLegitRate ?? 0.3;
  const startMs = toMs(options.start);
  const mixRaw: Record<Scenario, number> = options.scenarioMix
    ? {
        ...(Object.fromEntries(SCENARIOS.map((k) => [k, 0])) as Record<Scenario, number>),
        ...options.scenarioMix,
      }
    : { ...DEFAULT_SCENARIO_MIX };
  const mixTotal = SCENARIOS.reduce((s, k) => s + Math.max(0, mixRaw[k] ?? 0), 0);
  if (fraudRate > 0 && !(mixTotal > 0))
    throw new RangeError('scenarioMix must give some scenario a positive share');
  const scenarioMix = Object.fromEntries(
    SCENARIOS.map((k) => [k, Math.max(0, mixRaw[k] ?? 0) / (mixTotal || 1)]),
  ) as Record<Scenario, number>;

  const population = buildPopulation(new Rng(seed, 0), customerCount, merchantCount);
  // Traffic has its own stream, so the population does not depend on how much traffic is drawn.
  const rng = new Rng(seed, 1);
  const { customers, merchants, cardOwners } = population;

  // Episode rates: a scenario with share s and e frauds per episode starts with weight s/e.
  const episodeWeights = SCENARIOS.map((k) => scenarioMix[k] / FRAUDS_PER_EPISODE[k]);
  const episodeCumulative = cumulativeOf(episodeWeights);
  const fraudsPerEpisode = 1 / episodeWeights.reduce((a, b) => a + b, 0);
  const baseEpisodeChance = fraudRate >= 1 ? 1 : fraudRate / (1 - fraudRate) / fraudsPerEpisode;

  // Candidate arrivals are thinned by each customer's hourly rhythm (a non-homogeneous
  // Poisson process), so the candidate rate is the target rate over the mean acceptance.
  const meanGapMs = DAY / (txPerDay * (1 - fraudRate)) / (1 / MEAN_ACCEPTANCE);

  // Trips abroad: [decidedAt, awayFrom) and [awayUntil, backAt) are flights, with no spending.
  const tripDecided = new Float64Array(customerCount).fill(Number.POSITIVE_INFINITY);
  const awayFrom = new Float64Array(customerCount);
  const awayUntil = new Float64Array(customerCount);
  const backAt = new Float64Array(customerCount);
  const awayCountry = new Int16Array(customerCount).fill(-1);
  const tripNotReviewed = new Uint8Array(customerCount);
  const compromisedUntil = new Float64Array(merchants.length);
  const harvestsLeft = new Int32Array(merchants.length);
  const travelCumulative = cumulativeOf(COUNTRIES.map((k) => k.travel));
  const attackCumulative = cumulativeOf(COUNTRIES.map((k) => k.attackOrigin));
  const rings: Ring[] = [];
  const maxRings = 2 + Math.floor(customerCount / 2000);
  const queue = new PlanQueue();

  let clock = startMs;
  let pendingTime = Number.NaN;
  let pendingCustomer = -1;
  let txSeq = 0;
  let planSeq = 0;
  let scheduledFrauds = 0;
  let legitEmitted = 0;
  const stats: SimulatorStats = {
    transactions: 0,
    frauds: 0,
    byScenario: Object.fromEntries(SCENARIOS.map((k) => [k, 0])) as Record<Scenario, number>,
    labels: 0,
    reviewedLegit: 0,
  };

  const freshDevice = () => deviceId(++population.deviceCounter);

  const poolFor = (country: string, category: string): MerchantPool | undefined =>
    population.byCountryCategory.get(`${country}|${category}`) ?? population.byCountry.get(country);

  // Countries that actually received merchants (small ones may have none in a small population).
  const merchantCountries = COUNTRIES.filter((k) => population.byCountry.has(k.code));
  const merchantCountryCumulative = cumulativeOf(merchantCountries.map((k) => k.merchants));
  const randomMerchantCountry = () => merchantCountries[pickCumulative(rng, merchantCountryCumulative)]!.code;

  const merchantIn = (country: string, category: string): number => {
    const p = poolFor(country, category) ?? poolFor(randomMerchantCountry(), category)!;
    return pickFromPool(rng, p);
  };

  /** A merchant of one of `categories` anywhere merchants exist (online fraud is borderless). */
  const merchantAnywhere = (categories: readonly string[]): number =>
    merchantIn(randomMerchantCountry(), rng.pick(categories));

  /** Where an attacker connects from: a hosting/VPN range or an attack-origin country. */
  const attackerIp = (): { ip: string; country: CountryProfile; hosting: boolean } => {
    if (rng.chance(0.35)) {
      const h = rng.pick(HOSTING_RANGES);
      return { ip: randomIp(rng, [h.range]), country: COUNTRY_BY_CODE.get(h.country)!, hosting: true };
    }
    const country = COUNTRIES[pickCumulative(rng, attackCumulative)]!;
    return { ip: randomIp(rng, country.ipRanges), country, hosting: false };
  };

  const localHour = (t: number, offset: number) => {
    const h = Math.floor(t / HOUR + offset) % 24;
    return h < 0 ? h + 24 : h;
  };

  /** Updates the trip state and says whether the customer can pay at `t` (not in the air). */
  const available = (i: number, t: number): boolean => {
    if (t < tripDecided[i]!) return true;
    if (t < awayFrom[i]!) return false;
    if (t < awayUntil[i]!) return true;
    if (t < backAt[i]!) return false;
    tripDecided[i] = Number.POSITIVE_INFINITY;
    awayCountry[i] = -1;
    return true;
  };

  const isAway = (i: number, t: number) => awayCountry[i]! >= 0 && t >= awayFrom[i]! && t < awayUntil[i]!;

  const accepts = (c: Customer, t: number): boolean => {
    if (!available(c.index, t)) return false;
    const country = isAway(c.index, t) ? COUNTRIES[awayCountry[c.index]!]! : c.country;
    const w = HOURLY_ACTIVITY[localHour(t, country.utcOffset - c.hourShift)]! / PEAK_ACTIVITY;
    return rng.float() < w;
  };

  const drawCustomer = () => customers[pickCumulative(rng, population.customerCumulative)]!;

  const startTrip = (c: Customer, t: number) => {
    let dest = COUNTRIES[pickCumulative(rng, travelCumulative)]!;
    for (let k = 0; k < 4 && dest === c.country; k++)
      dest = COUNTRIES[pickCumulative(rng, travelCumulative)]!;
    if (dest === c.country || !population.byCountry.has(dest.code)) return;
    // Flight time: 800 km/h plus two hours at airports; departure within the next day.
    const flight = (countryDistanceKm(c.country, dest) / 800 + 2) * HOUR;
    const i = c.index;
    tripDecided[i] = t + rng.uniform(1, 24) * HOUR;
    awayFrom[i] = tripDecided[i]! + flight;
    awayUntil[i] = awayFrom[i]! + rng.uniform(2, 12) * DAY;
    backAt[i] = awayUntil[i]! + flight;
    awayCountry[i] = COUNTRIES.indexOf(dest);
    tripNotReviewed[i] = 1;
  };

  const cardOf = (c: Customer) =>
    c.cards.length === 1 || rng.chance(0.7)
      ? c.cards[0]!
      : c.cards[1 + Math.floor(rng.float() * (c.cards.length - 1))]!;

  // The fraud-rate feedback counts a planned fraud step when it is planned (history mode) or,
  // in live mode, only once it is within an hour of now: a ring wave planned days ahead must
  // not hold back the episodes that a short live run would otherwise show.
  let liveMode = false;
  let liveNow = 0;
  const plan = (p: Omit<Planned, 'seq' | 'counted'>) => {
    const counted = p.scenario !== null && (!liveMode || p.time <= liveNow + HOUR);
    queue.push({ ...p, seq: planSeq++, counted });
    if (counted) scheduledFrauds++;
  };

  const build = (
    t: number,
    c: Customer,
    card: string,
    merchantIndex: number,
    amountUsd: number,
    cardPresent: boolean,
    device: string,
    ip: string,
  ): Transaction => {
    const m = merchants[merchantIndex]!;
    return {
      transaction_id: `${idPrefix}${ZEROS.slice(String(++txSeq).length)}${txSeq}`,
      timestamp: isoUtc(t),
      amount: roundAmount(amountUsd, m.country),
      currency: m.country.currency,
      card_id: card,
      merchant_id: m.id,
      merchant_category: m.category,
      customer_id: c.id,
      merchant_country: m.country.code as Iso3166Alpha2,
      card_present: cardPresent,
      device_id: device,
      ip_address: ip,
      status: 'pending',
    };
  };

  const labelFor = (tx: Transaction, t: number, scenario: Scenario): Label => {
    // Ground truth arrives late: 20% through analysts within days, the rest as chargebacks
    // 1-60 days later (log-normal, right-skewed, per-scenario median).
    // First-party (friendly) fraud looks like the customer because it is the customer: only the
    // dispute reveals it, late.
    const analyst = scenario !== 'friendly_fraud' && rng.chance(0.2);
    const days = analyst
      ? rng.uniform(0.1, 3)
      : Math.min(60, Math.max(1, rng.logNormal(CHARGEBACK_MEDIAN_DAYS[scenario], 0.7)));
    stats.labels++;
    return {
      transaction_id: tx.transaction_id,
      is_fraud: true,
      labeled_at: new Date(Math.round(t + days * DAY * timeScale)).toISOString(),
      scenario,
      source: analyst ? 'analyst' : 'chargeback',
    };
  };

  const reviewedLegit = (tx: Transaction, t: number, scenario: LegitNoise): Label | null => {
    if (!rng.chance(reviewedLegitRate)) return null;
    stats.labels++;
    stats.reviewedLegit++;
    return {
      transaction_id: tx.transaction_id,
      is_fraud: false,
      labeled_at: new Date(Math.round(t + rng.uniform(0.05, 2) * DAY * timeScale)).toISOString(),
      scenario,
      source: 'analyst',
    };
  };

  // ---- Fraud scenarios. Each plans its steps at or after `t`, so output stays time-ordered.

  const cardTesting = (t: number) => {
    const victim = rng.pick(cardOwners);
    const c = customers[victim.customer]!;
    const device = freshDevice();
    const { ip } = attackerIp();
    const n = rng.int(6, 25);
    const gap = (rng.uniform(1, 20) * MINUTE) / n;
    let at = t + rng.uniform(0, 10) * MINUTE * timeScale;
    for (let k = 0; k < n; k++) {
      at += rng.exponential(gap) * timeScale;
      const merchant = merchantAnywhere(CARD_TESTING_CATEGORIES);
      plan({
        time: at,
        scenario: 'card_testing',
        customer: c.index,
        card: victim.card,
        merchant,
        amountUsd: rng.uniform(0.5, 3),
        cardPresent: false,
        device,
        ip,
      });
    }
    if (rng.chance(0.3)) {
      at += rng.uniform(10, 120) * MINUTE * timeScale;
      const merchant = merchantAnywhere(CASH_OUT_CATEGORIES);
      plan({
        time: at,
        scenario: 'card_testing',
        customer: c.index,
        card: victim.card,
        merchant,
        amountUsd: rng.uniform(150, 900),
        cardPresent: false,
        device,
        ip,
      });
    }
  };

  const accountTakeover = (t: number) => {
    const c = drawCustomer();
    const device = freshDevice();
    // "New device, new country": the attacker connects from abroad or through a hosting range,
    // or (40%) through a residential proxy in the victim's own country, which hides the country.
    let origin = attackerIp();
    if (rng.chance(0.4))
      origin = { ip: randomIp(rng, c.country.ipRanges), country: c.country, hosting: false };
    else for (let k = 0; k < 5 && origin.country === c.country && !origin.hosting; k++) origin = attackerIp();
    let at = t;
    for (let k = rng.int(1, 4); k > 0; k--) {
      at += rng.uniform(2, 40) * MINUTE * timeScale;
      const country = rng.chance(0.5) ? origin.country.code : c.country.code;
      const merchant = merchantIn(country, rng.pick(CASH_OUT_CATEGORIES));
      const amountUsd = Math.max(150, c.typicalUsd * rng.uniform(4, 15));
      plan({
        time: at,
        scenario: 'account_takeover',
        customer: c.index,
        card: rng.pick(c.cards),
        merchant,
        amountUsd,
        cardPresent: false,
        device,
        ip: origin.ip,
      });
    }
  };

  const fraudRing = (t: number) => {
    let ring: Ring;
    if (rings.length > 0 && (rings.length >= maxRings || rng.chance(0.6))) {
      ring = rng.pick(rings);
    } else {
      const devices = Array.from({ length: rng.int(2, 3) }, freshDevice);
      const ips = Array.from({ length: rng.int(1, 3) }, () => attackerIp().ip);
      const ringMerchants = Array.from({ length: rng.int(2, 4) }, () =>
        merchantAnywhere(CASH_OUT_CATEGORIES),
      );
      ring = { devices, ips, merchants: ringMerchants };
      rings.push(ring);
    }
    // Each ring device gets at least four distinct stolen cards, so every device of the wave
    // has more than three cards (the brief's `WHERE size(cards) > 3` finds it).
    const cardCount = ring.devices.length * rng.int(4, 6);
    const chosen = new Set<number>();
    while (chosen.size < Math.min(cardCount, cardOwners.length))
      chosen.add(Math.floor(rng.float() * cardOwners.length));
    let j = 0;
    for (const owner of chosen) {
      const { card, customer } = cardOwners[owner]!;
      let at = t + rng.uniform(0, 72) * HOUR * timeScale;
      let first = true;
      for (let k = rng.int(1, 3); k > 0; k--) {
        const device = first ? ring.devices[j % ring.devices.length]! : rng.pick(ring.devices);
        first = false;
        const merchant = rng.chance(0.7) ? rng.pick(ring.merchants) : merchantAnywhere(CASH_OUT_CATEGORIES);
        plan({
          time: at,
          scenario: 'fraud_ring',
          customer,
          card,
          merchant,
          amountUsd: rng.logNormal(120, 0.6),
          cardPresent: false,
          device,
          ip: rng.pick(ring.ips),
        });
        at += rng.uniform(10, 720) * MINUTE * timeScale;
      }
      j++;
    }
  };

  const compromiseMerchant = (t: number) => {
    // Breaches hit merchants people actually shop at, riskier ones more often.
    let best = -1;
    for (let k = 0; k < 3; k++) {
      const m = rng.pick(drawCustomer().favourites);
      if (best < 0 || riskRank(merchants[m]!.risk) > riskRank(merchants[best]!.risk)) best = m;
    }
    compromisedUntil[best] = Math.max(compromisedUntil[best]!, t + rng.uniform(3, 10) * DAY * timeScale);
    harvestsLeft[best] = harvestsLeft[best]! + rng.int(5, 15);
  };

  /** A card used at a breached merchant is sold on and defrauded days or weeks later. */
  const harvest = (c: Customer, card: string, t: number) => {
    const device = freshDevice();
    let at = t + rng.uniform(2, 30) * DAY * timeScale;
    // Buyers of a breached card dump often blend in: half connect through a proxy in the card
    // holder's country, and not every purchase is in a cash-out category.
    const proxied = rng.chance(0.5);
    for (let k = rng.int(1, 3); k > 0; k--) {
      const origin = proxied ? { ip: randomIp(rng, c.country.ipRanges), country: c.country } : attackerIp();
      const country = rng.chance(0.6) ? c.country.code : origin.country.code;
      const category = rng.chance(0.6)
        ? rng.pick(CASH_OUT_CATEGORIES)
        : rng.pick(['retail', 'fashion', 'travel']);
      const merchant = merchantIn(country, category);
      plan({
        time: at,
        scenario: 'compromised_merchant',
        customer: c.index,
        card,
        merchant,
        amountUsd: c.typicalUsd * rng.uniform(1.5, 5) + 10,
        cardPresent: false,
        device,
        ip: origin.ip,
      });
      at += rng.uniform(0.1, 48) * HOUR * timeScale;
    }
  };

  const amountOutlier = (t: number) => {
    const victim = rng.pick(cardOwners);
    const c = customers[victim.customer]!;
    // Stolen card details, or malware on the customer's own phone (then the device looks familiar).
    const device = rng.chance(0.6) ? freshDevice() : c.devices[c.devices.length - 1]!;
    let at = t;
    for (let k = rng.chance(0.2) ? 2 : 1; k > 0; k--) {
      at += rng.uniform(1, 360) * MINUTE * timeScale;
      const merchant = merchantIn(
        c.country.code,
        rng.pick(['electronics', 'jewelry', 'travel', 'retail', 'fashion']),
      );
      plan({
        time: at,
        scenario: 'amount_outlier',
        customer: c.index,
        card: victim.card,
        merchant,
        amountUsd: c.typicalUsd * rng.uniform(8, 30),
        cardPresent: false,
        device,
        ip: randomIp(rng, c.country.ipRanges),
      });
    }
  };

  const impossibleTravel = (t: number) => {
    const c = drawCustomer();
    if (tripDecided[c.index]! !== Number.POSITIVE_INFINITY) return; // already travelling
    const card = cardOf(c);
    // The genuine card-present purchase at home...
    const anchorAt = t + rng.uniform(0, 30) * MINUTE * timeScale;
    plan({
      time: anchorAt,
      scenario: null,
      customer: c.index,
      card,
      merchant: rng.pick(c.favourites),
      amountUsd: c.typicalUsd * rng.logNormal(1, 0.5),
      cardPresent: true,
      device: c.devices[c.devices.length - 1]!,
      ip: c.homeIp,
    });
    // ...then the cloned card, present at a till more than 3000 km away, minutes later.
    const far = COUNTRIES.filter(
      (k) => population.byCountry.has(k.code) && countryDistanceKm(k, c.country) > 3000,
    );
    const dest = rng.pick(far);
    const device = freshDevice();
    let at = anchorAt + rng.uniform(15, 150) * MINUTE * timeScale;
    for (let k = rng.int(1, 3); k > 0; k--) {
      const merchant = merchantIn(dest.code, rng.pick(['retail', 'electronics', 'jewelry', 'fashion']));
      plan({
        time: at,
        scenario: 'impossible_travel',
        customer: c.index,
        card,
        merchant,
        amountUsd: c.typicalUsd * rng.uniform(1.5, 6),
        cardPresent: true,
        device,
        ip: randomIp(rng, dest.ipRanges),
      });
      at += rng.uniform(5, 60) * MINUTE * timeScale;
    }
  };

  /**
   * First-party ("friendly") fraud: the customer buys online from their own phone and home
   * connection, then disputes the charge. Behaviourally legitimate; only the late chargeback
   * labels it. It bounds what any model can reach, as it does in real portfolios.
   */
  const friendlyFraud = (t: number) => {
    const c = drawCustomer();
    const merchant = rng.chance(0.5)
      ? rng.pick(c.favourites)
      : merchantIn(c.country.code, rng.pick(['electronics', 'fashion', 'travel', 'retail', 'digital_goods']));
    const factor = CATEGORIES[merchants[merchant]!.categoryIndex]!.amountFactor;
    plan({
      time: t + rng.uniform(1, 240) * MINUTE * timeScale,
      scenario: 'friendly_fraud',
      customer: c.index,
      card: cardOf(c),
      merchant,
      amountUsd: c.typicalUsd * factor * rng.uniform(1, 3),
      cardPresent: false,
      device: c.devices[c.devices.length - 1]!,
      ip: rng.chance(0.6) ? c.homeIp : randomIp(rng, c.country.ipRanges),
    });
  };

  const episodes: Record<Scenario, (t: number) => void> = {
    card_testing: cardTesting,
    account_takeover: accountTakeover,
    fraud_ring: fraudRing,
    compromised_merchant: compromiseMerchant,
    amount_outlier: amountOutlier,
    impossible_travel: impossibleTravel,
    friendly_fraud: friendlyFraud,
  };

  const maybeStartEpisode = (t: number) => {
    if (baseEpisodeChance <= 0) return;
    // Open-loop rates drift (a breach harvests as many cards as traffic brings); a gentle
    // feedback on frauds planned so far keeps the realised rate near the target.
    const expected = (legitEmitted * fraudRate) / (1 - fraudRate);
    const ratio = (expected + 10) / (scheduledFrauds + 10);
    const chance = baseEpisodeChance * Math.min(5, Math.max(0.2, ratio * ratio));
    if (!rng.chance(chance)) return;
    episodes[SCENARIOS[pickCumulative(rng, episodeCumulative)]!](t);
  };

  /**
   * Legitimate bursts, the noise around velocity signals: a shopping spree (several shops in
   * an hour) or a run of in-app purchases (small amounts, one merchant, minutes apart).
   */
  const legitBurst = (c: Customer, t: number, here: CountryProfile, device: string, ip: string) => {
    const card = cardOf(c);
    let at = t;
    if (rng.chance(0.6)) {
      for (let k = rng.int(3, 6); k > 0; k--) {
        at += rng.uniform(3, 15) * MINUTE;
        const merchant = merchantIn(
          here.code,
          rng.pick(['retail', 'fashion', 'restaurants', 'entertainment']),
        );
        const amountUsd = c.typicalUsd * rng.logNormal(1.2, 0.6);
        plan({
          time: at,
          scenario: null,
          customer: c.index,
          card,
          merchant,
          amountUsd,
          cardPresent: true,
          device,
          ip,
        });
      }
    } else {
      const merchant = merchantIn(c.country.code, rng.pick(['gaming', 'digital_goods']));
      for (let k = rng.int(3, 8); k > 0; k--) {
        at += rng.uniform(0.5, 6) * MINUTE;
        plan({
          time: at,
          scenario: null,
          customer: c.index,
          card,
          merchant,
          amountUsd: rng.pick([0.99, 1.99, 2.99, 4.99]),
          cardPresent: false,
          device,
          ip,
        });
      }
    }
  };

  const legit = (c: Customer, t: number): SimulatedEvent => {
    if (awayCountry[c.index]! < 0 && rng.chance(c.travelPropensity)) startTrip(c, t);
    const away = isAway(c.index, t);
    const here = away ? COUNTRIES[awayCountry[c.index]!]! : c.country;
    const category = CATEGORIES[pickCumulative(rng, c.categoryCumulative)]!;
    let merchant: number;
    let noise: LegitNoise | null = null;
    if (!away && rng.chance(0.55)) merchant = rng.pick(c.favourites);
    else if (!away && category.cardPresent < 0.5 && rng.chance(0.06)) {
      // Cross-border online shopping: a foreign merchant country is not by itself suspicious.
      merchant = merchantIn(COUNTRIES[pickCumulative(rng, travelCumulative)]!.code, category.name);
    } else merchant = merchantIn(here.code, category.name);
    const m = merchants[merchant]!;
    const mc = CATEGORIES[m.categoryIndex]!;
    let amountUsd = c.typicalUsd * mc.amountFactor * Math.exp(c.amountSigma * rng.normal());
    if (rng.chance(0.003)) {
      amountUsd *= rng.uniform(5, 15); // the new laptop, the family holiday
      noise = 'legit_big_purchase';
    }
    if (rng.chance(0.002)) {
      c.devices.push(freshDevice()); // a new phone, laptop or browser
      noise = 'legit_new_device';
    }
    const cardPresent = rng.chance(mc.cardPresent);
    const device = rng.chance(0.85) ? c.devices[c.devices.length - 1]! : rng.pick(c.devices);
    let ip: string;
    if (away) ip = randomIp(rng, here.ipRanges);
    else if (rng.chance(0.02))
      ip = randomIp(rng, [rng.pick(HOSTING_RANGES).range]); // VPN, corporate or private
    else ip = rng.chance(0.6) ? c.homeIp : randomIp(rng, c.country.ipRanges);
    if (away && tripNotReviewed[c.index]) {
      tripNotReviewed[c.index] = 0;
      noise = 'legit_travel';
    }
    const card = cardOf(c);
    const tx = build(t, c, card, merchant, amountUsd, cardPresent, device, ip);
    if (compromisedUntil[merchant]! > t && harvestsLeft[merchant]! > 0 && rng.chance(0.5)) {
      harvestsLeft[merchant] = harvestsLeft[merchant]! - 1;
      harvest(c, card, t);
    }
    legitEmitted++;
    if (rng.chance(0.002)) legitBurst(c, t, here, device, ip);
    const label = noise === null ? null : reviewedLegit(tx, t, noise);
    maybeStartEpisode(t);
    return { transaction: tx, label, scenario: null, eventTimeMs: t };
  };

  const fromPlan = (p: Planned, t: number): SimulatedEvent => {
    const c = customers[p.customer]!;
    const tx = build(t, c, p.card, p.merchant, p.amountUsd, p.cardPresent, p.device, p.ip);
    if (p.scenario === null) {
      legitEmitted++;
      return { transaction: tx, label: null, scenario: null, eventTimeMs: t };
    }
    stats.frauds++;
    stats.byScenario[p.scenario]++;
    if (!p.counted) scheduledFrauds++;
    return { transaction: tx, label: labelFor(tx, t, p.scenario), scenario: p.scenario, eventTimeMs: t };
  };

  const next = (nowMs?: number): SimulatedEvent => {
    stats.transactions++;
    if (nowMs !== undefined) {
      liveMode = true;
      liveNow = nowMs;
      const top = queue.peek();
      if (top !== undefined && top.time <= nowMs) return fromPlan(queue.pop()!, Math.round(nowMs));
      // Live: the caller sets the pace; customers are still drawn by their local hour.
      let c = drawCustomer();
      for (let k = 0; k < 50 && !accepts(c, nowMs); k++) c = drawCustomer();
      return legit(c, Math.round(nowMs));
    }
    if (pendingCustomer < 0) {
      let c: Customer;
      do {
        clock += rng.exponential(meanGapMs);
        c = drawCustomer();
      } while (!accepts(c, clock));
      pendingTime = clock;
      pendingCustomer = c.index;
    }
    const top = queue.peek();
    if (top !== undefined && top.time <= pendingTime) return fromPlan(queue.pop()!, Math.round(top.time));
    const c = customers[pendingCustomer]!;
    pendingCustomer = -1;
    return legit(c, Math.round(pendingTime));
  };

  return {
    next,
    population,
    options: {
      seed,
      fraudRate,
      customers: customerCount,
      merchants: merchantCount,
      txPerDay,
      spanDays,
      timeScale,
      idPrefix,
      reviewedLegitRate,
      startMs,
      scenarioMix,
    },
    stats: () => ({ ...stats, byScenario: { ...stats.byScenario } }),
  };
}

function riskRank(r: 'low' | 'medium' | 'high'): number {
  return r === 'low' ? 0 : r === 'medium' ? 1 : 2;
}

/**
 * The transaction as JSON, byte-identical to `JSON.stringify(tx)` for simulator output (whose
 * strings never need escaping), about 3x faster: the benchmark fast path.
 */
export function transactionJson(t: Transaction): string {
  return `{"transaction_id":"${t.transaction_id}","timestamp":"${t.timestamp}","amount":${t.amount},"currency":"${t.currency}","card_id":"${t.card_id}","merchant_id":"${t.merchant_id}","merchant_category":"${t.merchant_category}","customer_id":"${t.customer_id}","merchant_country":"${t.merchant_country}","card_present":${t.card_present},"device_id":"${t.device_id}","ip_address":"${t.ip_address}","status":"${t.status}"}`;
}
