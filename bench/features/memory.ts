// Purpose: bytes of feature state per active card with 1 million cards (and per label-index entry).
// Run: node --expose-gc --max-old-space-size=12000 bench/features/memory.ts [--cards 1000000] [--tx-per-card 3]
import { BRIEF_EXAMPLE_TRANSACTION, type Transaction } from '../../src/core/contracts/index.ts';
import { FEATURE_COUNT, FeatureEngine } from '../../src/core/features/index.ts';
import { flag, machine } from './common.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const cards = flag('cards', 1_000_000);
const perCard = flag('tx-per-card', 3);
const T0 = Date.parse('2025-03-01T00:00:00Z');

// The V8 heap plus typed-array storage: the engine keeps rows off the heap (RowPool, RowArena,
// the label index), and those bytes are state too.
function heap(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function load(indexAll: boolean): { bytes: number; engine: FeatureEngine } {
  const before = heap();
  const engine = new FeatureEngine({ indexAll, sweepEvery: Number.MAX_SAFE_INTEGER });
  const out = new Float64Array(FEATURE_COUNT);
  let n = 0;
  // Each card: its own customer, device and IP (the common case), merchants from a 20k pool,
  // transactions spread over 10 days so every window of the card holds rows.
  for (let k = 0; k < perCard; k++) {
    for (let c = 0; c < cards; c++) {
      const tx: Transaction = {
        ...BRIEF_EXAMPLE_TRANSACTION,
        transaction_id: `tx_${n++}`,
        timestamp: new Date(T0 + k * 3 * 86_400_000 + c * 50).toISOString(),
        card_id: `card_${c}`,
        customer_id: `cust_${c}`,
        device_id: `dev_${c}`,
        ip_address: `10.${(c >> 16) & 255}.${(c >> 8) & 255}.${c & 255}`,
        merchant_id: `m_${(c * 7 + k) % 20_000}`,
      };
      engine.enrich(tx, out);
    }
  }
  return { bytes: heap() - before, engine };
}

let first: { bytes: number; engine: FeatureEngine } | null = load(false);
const stats = first.engine.stats();
const stateBytes = first.bytes;
const perActiveCard = stateBytes / cards;
first = null; // released before the second measurement
const withIndex = load(true);
const indexBytes = withIndex.bytes - stateBytes;
console.log(
  JSON.stringify({
    bench: 'features/memory',
    machine: machine(),
    cards,
    tx_per_card: perCard,
    entities: {
      cards: stats.cards,
      customers: stats.customers,
      devices: stats.devices,
      ips: stats.ips,
      merchants: stats.merchants,
    },
    state_bytes_total: stateBytes,
    bytes_per_active_card_all_entities: Math.round(perActiveCard),
    label_index_bytes_per_transaction: Math.round(indexBytes / (cards * perCard)),
    heap_used_mb: Math.round(process.memoryUsage().heapUsed / 1e6),
  }),
);
