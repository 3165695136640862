// Purpose: heap the feature state keeps after its idle entities are evicted, while the label
// index (120-day horizon) still names their transactions: what a long-running processor holds.
// Each transaction has a fresh device and IP (as many mobile IPs are), 2,000 cards and
// customers; 100 days of event time, so most devices and IPs are idle past every window.
// Run: node --expose-gc bench/features/evicted.ts [--count 400000]
import { BRIEF_EXAMPLE_TRANSACTION } from '../../src/core/contracts/index.ts';
import { FeatureEngine } from '../../src/core/features/index.ts';
import { flag, machine } from './common.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const count = flag('count', 400_000);
const T0 = Date.parse('2026-01-01T00:00:00Z');
const SPAN_MS = 100 * 86_400_000;

const engine = new FeatureEngine();
const started = performance.now();
for (let i = 0; i < count; i++) {
  engine.enrich({
    ...BRIEF_EXAMPLE_TRANSACTION,
    transaction_id: `t_${i}`,
    timestamp: new Date(T0 + Math.floor((i / count) * SPAN_MS)).toISOString(),
    card_id: `c_${i % 2000}`,
    customer_id: `u_${i % 2000}`,
    device_id: `d_${i}`,
    ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  });
  if ((i + 1) % 100_000 === 0) console.error(`evicted: ${i + 1}/${count} transactions`);
}
engine.sweep();
for (let k = 0; k < 3; k++) gc();
const s = engine.stats();
console.log(
  JSON.stringify({
    bench: 'features/evicted',
    machine: machine(),
    transactions: count,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    live: { devices: s.devices, ips: s.ips },
    label_index: s.labelIndex,
    heap_used_mb: Math.round(process.memoryUsage().heapUsed / 1048576),
  }),
);
