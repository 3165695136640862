import { describe, expect, it } from 'vitest';
import { createGraphSignalSource, graphBackendFor } from '../../../src/adapters/graph-neo4j/index.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { ringFixture } from './fixtures.ts';

describe('graph factories', () => {
  it('give the in-process graph without NEO4J_URI, shared by the decision and the analyst API', async () => {
    const config = loadConfig({}, '/tmp');
    const source = await createGraphSignalSource(config);
    expect(source.kind).toBe('memory');
    const fx = ringFixture('fac_');
    await source.observe(
      fx.txs.map((t) => ({
        transaction: t,
        features: {},
        feature_set_version: 't',
        enriched_at: t.timestamp,
      })),
    );
    const backend = await graphBackendFor(config, source);
    expect(backend).toBe(source);
    expect((await backend.sharedDevices()).map((d) => d.device_id)).toEqual(['fac_d1']);
    expect(source.signalsFor(fx.probe)?.device_cards_total).toBe(5);
    await source.close();
  });

  it('give the Neo4j-refreshed cache with NEO4J_URI, withholding signals until a refresh succeeds', async () => {
    // Nothing listens on port 1: the background refresh fails and signals stay withheld.
    const config = loadConfig({ NEO4J_URI: 'bolt://127.0.0.1:1' }, '/tmp');
    const source = await createGraphSignalSource(config, { refreshMs: 0 });
    expect(source.kind).toBe('neo4j');
    expect(source.signalsFor(ringFixture('fac2_').probe)).toBeUndefined();
    await source.close();
  });
});
