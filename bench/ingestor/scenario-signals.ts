// Purpose: shows the simulated fraud is learnable but not trivially separable: precision and
// recall of single naive point-in-time signals over a simulated history (docs/simulator.md).
// Run: node bench/ingestor/scenario-signals.ts [count=300000] [seed=11]
import { createSimulator, SCENARIOS, simulatedIpInfo } from '../../src/services/ingestor/index.ts';

const count = Number(process.argv[2] ?? 300_000);
const seed = Number(process.argv[3] ?? 11);
const sim = createSimulator({ seed, count, spanDays: 56 });
const home = new Map(sim.population.customers.map((c) => [c.id, c.country.code]));

type Card = { devices: Set<string>; amounts: number[]; recent: number[] };
const cards = new Map<string, Card>();
const deviceCards = new Map<string, Set<string>>();
const signals = {
  new_device_for_card: (t: Tx, c: Card) => c.amounts.length >= 3 && !c.devices.has(t.device_id),
  amount_over_5x_card_mean: (t: Tx, c: Card) =>
    c.amounts.length >= 3 && t.amount > 5 * (c.amounts.reduce((a, b) => a + b, 0) / c.amounts.length),
  merchant_abroad: (t: Tx) => t.merchant_country !== home.get(t.customer_id),
  hosting_ip: (t: Tx) => simulatedIpInfo(t.ip_address)?.hosting === true,
  card_5_tx_in_30_min: (_t: Tx, c: Card, now: number) =>
    c.recent.filter((x) => now - x < 1_800_000).length >= 4,
  device_seen_with_4_cards: (t: Tx) => (deviceCards.get(t.device_id)?.size ?? 0) >= 4,
};
type Tx = ReturnType<typeof sim.next>['transaction'];
const hits = Object.fromEntries(
  Object.keys(signals).map((k) => [k, { tp: 0, fp: 0, byScenario: {} as Record<string, number> }]),
);
const fraudByScenario: Record<string, number> = {};
let frauds = 0;
for (let i = 0; i < count; i++) {
  const e = sim.next();
  const t = e.transaction;
  let c = cards.get(t.card_id);
  if (!c) {
    c = { devices: new Set(), amounts: [], recent: [] };
    cards.set(t.card_id, c);
  }
  if (e.scenario) {
    frauds++;
    fraudByScenario[e.scenario] = (fraudByScenario[e.scenario] ?? 0) + 1;
  }
  for (const [name, f] of Object.entries(signals)) {
    if (!f(t, c, e.eventTimeMs)) continue;
    const h = hits[name]!;
    if (e.scenario) {
      h.tp++;
      h.byScenario[e.scenario] = (h.byScenario[e.scenario] ?? 0) + 1;
    } else h.fp++;
  }
  c.devices.add(t.device_id);
  c.amounts.push(t.amount);
  c.recent.push(e.eventTimeMs);
  if (c.recent.length > 10) c.recent.shift();
  const dc = deviceCards.get(t.device_id) ?? new Set<string>();
  dc.add(t.card_id);
  deviceCards.set(t.device_id, dc);
}
console.log(
  JSON.stringify({ count, seed, frauds, fraud_rate: +(frauds / count).toFixed(4), fraudByScenario }),
);
for (const [name, h] of Object.entries(hits)) {
  const recallBy = Object.fromEntries(
    SCENARIOS.map((s) => [s, +((h.byScenario[s] ?? 0) / (fraudByScenario[s] ?? 1)).toFixed(2)]),
  );
  console.log(
    JSON.stringify({
      signal: name,
      flagged: h.tp + h.fp,
      precision: +(h.tp / Math.max(1, h.tp + h.fp)).toFixed(3),
      recall: +(h.tp / frauds).toFixed(3),
      recall_by_scenario: recallBy,
    }),
  );
}
