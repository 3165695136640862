import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { TOPICS } from '../../../src/core/contracts/index.ts';
import { FileLabelStore } from '../../../src/services/ml/index.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'labels-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('file label store (feedback loop)', () => {
  it('keeps every verdict and exports the latest per transaction', async () => {
    const store = new FileLabelStore(tmp());
    const r = await store.append([
      { transaction_id: 't1', is_fraud: true, labeled_at: '2025-02-01T00:00:00Z', source: 'chargeback' },
      { transaction_id: 't1', is_fraud: false, labeled_at: '2025-02-03T00:00:00Z', source: 'analyst' },
      { transaction_id: 't2', is_fraud: true, labeled_at: '2025-02-02T00:00:00Z' },
      { transaction_id: '', is_fraud: 'yes', labeled_at: 'yesterday' },
    ]);
    expect(r.added).toBe(3);
    expect(r.rejected.length).toBe(1);
    expect(readFileSync(store.path, 'utf8').trim().split('\n').length).toBe(3);
    const latest = await store.latest();
    expect(latest.get('t1')?.is_fraud).toBe(false);

    const extra = join(tmp(), 'cb.csv');
    writeFileSync(
      extra,
      'transaction_id,is_fraud,labeled_at\nt3,true,2025-02-04T00:00:00Z\nt2,false,2025-01-01T00:00:00Z\n',
    );
    const out = join(tmp(), 'merged.csv');
    expect(await store.exportCsv(out, [extra])).toBe(3);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('transaction_id,is_fraud,labeled_at');
    // t2's older CSV verdict does not override the newer stored one.
    expect(lines).toContain('t2,true,2025-02-02T00:00:00Z');
    expect(lines).toContain('t3,true,2025-02-04T00:00:00.000Z');
  });

  it('consumes the labels topic and rejects bad messages with a reason', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    const store = new FileLabelStore(tmp());
    await bus.ensureTopics([{ name: TOPICS.labels, partitions: 1 }]);
    await bus.publish(TOPICS.labels, [
      {
        key: 't9',
        value: JSON.stringify({ transaction_id: 't9', is_fraud: true, labeled_at: '2025-02-01T00:00:00Z' }),
      },
      { key: 'x', value: 'not json' },
    ]);
    const stop = new AbortController();
    const rejects: string[] = [];
    const done = store.consume(bus, stop.signal, (_raw, reason) => rejects.push(reason));
    for (let i = 0; i < 50 && (await store.latest()).size === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    expect(await done).toBe(1);
    expect(rejects).toEqual(['not JSON']);
    await bus.close();
  });
});
