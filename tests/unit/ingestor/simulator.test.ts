import { beforeAll, describe, expect, it } from 'vitest';
import { checkTransaction, validators } from '../../../src/core/contracts/index.ts';
import type { Transaction } from '../../../src/core/contracts/transaction.ts';
import {
  COUNTRIES,
  countryDistanceKm,
  createSimulator,
  isoUtc,
  SCENARIOS,
  type SimulatedEvent,
  type Simulator,
  simulatedIpInfo,
  transactionJson,
} from '../../../src/services/ingestor/index.ts';

const COUNTRY = new Map(COUNTRIES.map((c) => [c.code, c]));
const DAY = 86_400_000;

function draw(n: number, options: Parameters<typeof createSimulator>[0]): SimulatedEvent[] {
  return drawFrom(createSimulator(options), n);
}
function drawFrom(sim: Simulator, n: number): SimulatedEvent[] {
  return Array.from({ length: n }, () => sim.next());
}

describe('simulator determinism', () => {
  it('yields byte-identical output for the same seed', () => {
    const a = draw(20_000, { seed: 7 }).map((e) => transactionJson(e.transaction) + JSON.stringify(e.label));
    const b = draw(20_000, { seed: 7 }).map((e) => transactionJson(e.transaction) + JSON.stringify(e.label));
    expect(a).toEqual(b);
  });

  it('differs for another seed', () => {
    const a = draw(100, { seed: 7 }).map((e) => transactionJson(e.transaction));
    const b = draw(100, { seed: 8 }).map((e) => transactionJson(e.transaction));
    expect(a).not.toEqual(b);
  });

  it('serialises exactly as JSON.stringify does', () => {
    for (const e of draw(2000, { seed: 3, fraudRate: 0.05 })) {
      expect(transactionJson(e.transaction)).toBe(JSON.stringify(e.transaction));
    }
  });

  it('formats timestamps exactly as Date#toISOString', () => {
    for (const ms of [
      0,
      1,
      999,
      86_399_999,
      Date.UTC(2025, 0, 29, 12),
      Date.UTC(2024, 1, 29, 23, 59, 59, 7),
      4102444800000,
    ]) {
      expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe('simulated history at scale', () => {
  const N = 150_000;
  let events: SimulatedEvent[];
  let fraud: SimulatedEvent[];
  let byCard: Map<string, SimulatedEvent[]>;
  let home: Map<string, string>;
  beforeAll(() => {
    const sim = createSimulator({ seed: 11, count: N, spanDays: 28, customers: 3000 });
    home = new Map(sim.population.customers.map((c) => [c.id, c.country.code]));
    events = drawFrom(sim, N);
    fraud = events.filter((e) => e.scenario !== null);
    byCard = new Map();
    for (const e of events) {
      const list = byCard.get(e.transaction.card_id) ?? [];
      list.push(e);
      byCard.set(e.transaction.card_id, list);
    }
  });

  it('produces only contract-valid transactions with brief-style ids', () => {
    for (const e of events) {
      const r = checkTransaction(e.transaction);
      if (!r.ok) throw r.error;
      const t = e.transaction;
      expect(t.transaction_id).toMatch(/^tx_\d{10}$/);
      expect(t.card_id).toMatch(/^card_\d+$/);
      expect(t.customer_id).toMatch(/^cust_\d+$/);
      expect(t.merchant_id).toMatch(/^m_\d+$/);
      expect(t.device_id).toMatch(/^dev_\d+$/);
    }
    expect(new Set(events.map((e) => e.transaction.transaction_id)).size).toBe(N);
  });

  it('charges in the currency of the merchant country', () => {
    for (const e of events)
      expect(e.transaction.currency).toBe(COUNTRY.get(e.transaction.merchant_country)!.currency);
  });

  it('is ordered by event time, spans the requested days and follows a daily cycle', () => {
    for (let i = 1; i < N; i++)
      expect(events[i]!.eventTimeMs).toBeGreaterThanOrEqual(events[i - 1]!.eventTimeMs);
    const span = (events[N - 1]!.eventTimeMs - events[0]!.eventTimeMs) / DAY;
    expect(span).toBeGreaterThan(25);
    expect(span).toBeLessThan(31);
    // Most customers are in the Americas (UTC-3..-6): 04-08 UTC is their night.
    const hours = new Array(24).fill(0);
    for (const e of events) hours[new Date(e.eventTimeMs).getUTCHours()]++;
    expect(Math.min(...hours)).toBeLessThan(Math.max(...hours) / 3);
  });

  it('mixes in every scenario at about the configured fraud rate', () => {
    const rate = fraud.length / N;
    expect(rate).toBeGreaterThan(0.007);
    expect(rate).toBeLessThan(0.013);
    for (const s of SCENARIOS) expect(fraud.filter((e) => e.scenario === s).length, s).toBeGreaterThan(50);
  });

  it('labels every fraud out of band, later than the transaction, within 60 days', () => {
    for (const e of fraud) {
      const l = e.label!;
      expect(validators.label(l)).toBe(true);
      expect(l).toMatchObject({
        transaction_id: e.transaction.transaction_id,
        is_fraud: true,
        scenario: e.scenario,
      });
      const delay = Date.parse(l.labeled_at) - e.eventTimeMs;
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(60 * DAY);
      expect(['chargeback', 'analyst']).toContain(l.source);
    }
    // Transactions never carry ground truth.
    expect(Object.keys(fraud[0]!.transaction)).not.toContain('is_fraud');
    const chargebacks = fraud.filter((e) => e.label!.source === 'chargeback');
    const delays = chargebacks
      .map((e) => Date.parse(e.label!.labeled_at) - e.eventTimeMs)
      .sort((a, b) => a - b);
    expect(delays[0]!).toBeGreaterThanOrEqual(DAY);
    const median = delays[delays.length >> 1]! / DAY;
    expect(median).toBeGreaterThan(4);
    expect(median).toBeLessThan(25);
  });

  it('adds reviewed legitimate labels for look-alikes', () => {
    const legit = events.filter((e) => e.scenario === null && e.label !== null);
    expect(legit.length).toBeGreaterThan(20);
    for (const e of legit) {
      expect(e.label!.is_fraud).toBe(false);
      expect(e.label!.scenario).toMatch(/^legit_/);
      expect(Date.parse(e.label!.labeled_at)).toBeGreaterThan(e.eventTimeMs);
    }
  });

  it('card testing: bursts of tiny online amounts on one card across merchants', () => {
    const bursts = new Map<string, Transaction[]>();
    for (const e of fraud.filter((x) => x.scenario === 'card_testing')) {
      const usd = e.transaction.amount / COUNTRY.get(e.transaction.merchant_country)!.perUsd;
      if (usd > 5) continue; // the optional cash-out after a successful test
      const list = bursts.get(e.transaction.card_id) ?? [];
      list.push(e.transaction);
      bursts.set(e.transaction.card_id, list);
    }
    expect(bursts.size).toBeGreaterThan(5);
    for (const txs of bursts.values()) {
      expect(txs.length).toBeGreaterThanOrEqual(6);
      expect(new Set(txs.map((t) => t.merchant_id)).size).toBeGreaterThanOrEqual(3);
      expect(txs.every((t) => !t.card_present)).toBe(true);
    }
  });

  it('fraud ring: ring devices are each shared by more than three cards', () => {
    const cardsByDevice = new Map<string, Set<string>>();
    for (const e of events) {
      const set = cardsByDevice.get(e.transaction.device_id) ?? new Set();
      set.add(e.transaction.card_id);
      cardsByDevice.set(e.transaction.device_id, set);
    }
    const ringDevices = new Set(
      fraud.filter((e) => e.scenario === 'fraud_ring').map((e) => e.transaction.device_id),
    );
    expect(ringDevices.size).toBeGreaterThanOrEqual(2);
    for (const d of ringDevices) expect(cardsByDevice.get(d)!.size, d).toBeGreaterThan(3);
    // Noise: some legitimate devices (households) are shared by several cards too.
    const legitShared = [...cardsByDevice].filter(([d, cards]) => !ringDevices.has(d) && cards.size > 2);
    expect(legitShared.length).toBeGreaterThan(0);
  });

  it('account takeover: new device, mostly a foreign or hosting IP, large amount', () => {
    const ato = fraud.filter((e) => e.scenario === 'account_takeover');
    let disguised = 0;
    for (const e of ato) {
      const t = e.transaction;
      const history = events.filter(
        (x) =>
          x.transaction.customer_id === t.customer_id && x.eventTimeMs < e.eventTimeMs && x.scenario === null,
      );
      expect(history.some((x) => x.transaction.device_id === t.device_id)).toBe(false);
      const ip = simulatedIpInfo(t.ip_address)!;
      if (!ip.hosting && ip.country === home.get(t.customer_id)) disguised++;
      expect(t.amount / COUNTRY.get(t.merchant_country)!.perUsd).toBeGreaterThanOrEqual(149);
    }
    // 40% of attackers hide behind a residential proxy in the victim's country.
    expect(disguised / ato.length).toBeGreaterThan(0.2);
    expect(disguised / ato.length).toBeLessThan(0.6);
  });

  it("friendly fraud: the customer's own device and home country, labelled only by a late chargeback", () => {
    const friendly = fraud.filter((e) => e.scenario === 'friendly_fraud');
    expect(friendly.length).toBeGreaterThan(50);
    const devices = new Map<string, Set<string>>();
    for (const e of events) {
      if (e.scenario !== null) continue;
      const set = devices.get(e.transaction.customer_id) ?? new Set();
      set.add(e.transaction.device_id);
      devices.set(e.transaction.customer_id, set);
    }
    for (const e of friendly) {
      expect(devices.get(e.transaction.customer_id)?.has(e.transaction.device_id)).toBe(true);
      expect(simulatedIpInfo(e.transaction.ip_address)!.country).toBe(home.get(e.transaction.customer_id));
      expect(e.label!.source).toBe('chargeback');
    }
  });

  it('impossible travel: the card was present at home minutes before, thousands of km away', () => {
    const firsts = new Map<string, SimulatedEvent>();
    for (const e of fraud)
      if (e.scenario === 'impossible_travel' && !firsts.has(e.transaction.card_id))
        firsts.set(e.transaction.card_id, e);
    expect(firsts.size).toBeGreaterThan(20);
    for (const e of firsts.values()) {
      const history = byCard.get(e.transaction.card_id)!;
      const prev = history
        .slice(0, history.indexOf(e))
        .findLast((x) => x.scenario === null && x.transaction.card_present)!;
      expect(e.eventTimeMs - prev.eventTimeMs).toBeLessThan(3 * 3_600_000);
      const km = countryDistanceKm(
        COUNTRY.get(prev.transaction.merchant_country)!,
        COUNTRY.get(e.transaction.merchant_country)!,
      );
      expect(km).toBeGreaterThan(3000);
      expect(e.transaction.card_present).toBe(true);
    }
  });

  it('compromised merchant: defrauded cards share an earlier point of purchase', () => {
    const victims = new Map<string, number>();
    for (const e of fraud) {
      if (e.scenario !== 'compromised_merchant') continue;
      const t = victims.get(e.transaction.card_id);
      if (t === undefined || e.eventTimeMs < t) victims.set(e.transaction.card_id, e.eventTimeMs);
    }
    expect(victims.size).toBeGreaterThan(10);
    const cardsPerMerchant = new Map<string, Set<string>>();
    for (const [card, firstFraud] of victims) {
      for (const e of byCard.get(card)!) {
        if (e.scenario !== null || e.eventTimeMs >= firstFraud - 2 * DAY) continue;
        const set = cardsPerMerchant.get(e.transaction.merchant_id) ?? new Set();
        set.add(card);
        cardsPerMerchant.set(e.transaction.merchant_id, set);
      }
    }
    const best = Math.max(...[...cardsPerMerchant.values()].map((s) => s.size));
    expect(best).toBeGreaterThanOrEqual(4);
  });

  it('amount outliers are far above the customer profile; legit big purchases exist too', () => {
    const outliers = fraud.filter((e) => e.scenario === 'amount_outlier');
    for (const e of outliers) {
      const own = byCard
        .get(e.transaction.card_id)!
        .filter((x) => x.scenario === null && x.transaction.currency === e.transaction.currency);
      if (own.length < 5) continue;
      const amounts = own.map((x) => x.transaction.amount).sort((a, b) => a - b);
      expect(e.transaction.amount).toBeGreaterThan(amounts[amounts.length >> 1]!);
    }
    expect(events.some((e) => e.label?.scenario === 'legit_big_purchase')).toBe(true);
  });

  it('includes legitimate foreign spending (travel, cross-border online)', () => {
    const legit = events.filter((e) => e.scenario === null);
    const foreign = legit.filter(
      (e) => e.transaction.merchant_country !== home.get(e.transaction.customer_id),
    );
    expect(foreign.length / legit.length).toBeGreaterThan(0.01);
  });
});

describe('live mode', () => {
  it('stamps transactions with the given wall-clock time and plans scenario steps in it', () => {
    const sim = createSimulator({ seed: 5, fraudRate: 0.2, timeScale: 0.0001 });
    const t0 = Date.UTC(2026, 5, 1, 12);
    let frauds = 0;
    for (let i = 0; i < 20_000; i++) {
      const now = t0 + i * 10;
      const e = sim.next(now);
      expect(e.eventTimeMs).toBe(now);
      expect(e.transaction.timestamp).toBe(new Date(now).toISOString());
      if (e.scenario) {
        frauds++;
        expect(Date.parse(e.label!.labeled_at)).toBeGreaterThan(now);
      }
    }
    expect(frauds).toBeGreaterThan(1000);
  });

  it('rejects a fraud rate outside [0, 0.5]', () => {
    expect(() => createSimulator({ fraudRate: 0.9 })).toThrow(/fraudRate/);
  });
});

describe('scenario mix', () => {
  it('simulates only the scenarios named in scenarioMix', () => {
    const events = draw(20_000, { seed: 2, fraudRate: 0.05, scenarioMix: { fraud_ring: 1 } });
    const scenarios = new Set(events.filter((e) => e.scenario).map((e) => e.scenario));
    expect([...scenarios]).toEqual(['fraud_ring']);
  });
});
