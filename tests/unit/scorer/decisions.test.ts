import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { BRIEF_EXAMPLE_TRANSACTION, TOPICS, validators } from '../../../src/core/contracts/index.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../../src/core/features/index.ts';
import { createPlatform, type Platform } from '../../../src/platform/index.ts';
import { buildApiServer } from '../../../src/services/scorer/server.ts';
import { embeddedPlatform, tx } from '../../support/platform.ts';

describe('POST /v1/decisions', () => {
  let app: FastifyInstance;
  let platform: Platform;
  let bus: MemoryBus;

  beforeAll(async () => {
    bus = new MemoryBus({ partitions: 2 });
    platform = await embeddedPlatform({ bus });
    app = await buildApiServer(platform);
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
  });

  it("decides the brief's payload and answers in the brief's score format", async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: BRIEF_EXAMPLE_TRANSACTION,
    });
    expect(res.statusCode).toBe(200);
    const score = res.json();
    expect(validators.score(score)).toBe(true);
    expect(score.transaction_id).toBe('tx_0001');
    expect(['approve', 'review', 'block']).toContain(score.decision);
  });

  it('publishes the same events as the stream processor', async () => {
    const scores = await bus.subscribe({
      groupId: 'api-watch',
      topics: [TOPICS.scores, TOPICS.enriched],
      from: 'earliest',
    });
    await app.inject({ method: 'POST', url: '/v1/decisions', payload: tx({ transaction_id: 'tx_api_1' }) });
    const got = (await scores.next(1000)) ?? [];
    const topics = got
      .filter((r) => r.value.toString().includes('tx_api_1'))
      .map((r) => r.topic)
      .sort();
    expect(topics).toEqual([TOPICS.enriched, TOPICS.scores]);
    // The enriched record carries the features as a vector in catalogue order (the default).
    const enriched = JSON.parse(
      got.find((r) => r.topic === TOPICS.enriched && r.value.includes('tx_api_1'))!.value.toString(),
    );
    expect(validators.enriched(enriched)).toBe(true);
    expect(enriched.features).toHaveLength(FEATURE_COUNT);
  });

  it('publishes the features by name when FRAUD_ENRICHED_FEATURES=named', async () => {
    const namedBus = new MemoryBus({ partitions: 2 });
    const config = loadConfig({ FRAUD_DATA_DIR: '/tmp/fraud-test-data', FRAUD_ENRICHED_FEATURES: 'named' });
    const namedPlatform = await createPlatform(config, { bus: namedBus });
    const namedApp = await buildApiServer(namedPlatform);
    const sub = await namedBus.subscribe({
      groupId: 'api-named',
      topics: [TOPICS.enriched],
      from: 'earliest',
    });
    await namedApp.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: tx({ transaction_id: 'tx_api_named' }),
    });
    const [record] = (await sub.next(1000)) ?? [];
    const enriched = JSON.parse(record!.value.toString());
    expect(validators.enriched(enriched)).toBe(true);
    expect(Object.keys(enriched.features)).toEqual([...FEATURE_NAMES]);
    await namedApp.close();
    await namedPlatform.close();
  });

  it('answers 400 naming the field when card_id is missing', async () => {
    const { card_id: _omit, ...rest } = BRIEF_EXAMPLE_TRANSACTION;
    const res = await app.inject({ method: 'POST', url: '/v1/decisions', payload: rest });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('FRAUD_INPUT_INVALID');
    expect(res.json().error.details).toContainEqual({ field: 'card_id', message: 'is required' });
  });

  it('answers 400 FRAUD_INPUT_NOT_JSON for a body that is not JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: 'not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('FRAUD_INPUT_NOT_JSON');
  });

  it('rejects every contract violation with the field named', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: 'abc' }, 'amount'],
      [{ amount: -5 }, 'amount'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ merchant_country: 'Brazil' }, 'merchant_country'],
      [{ timestamp: '2025-01-29 12:00' }, 'timestamp'],
      [{ timestamp: '2025-01-29T12:00:00-03:00' }, 'timestamp'],
      [{ ip_address: '999.1.1.1' }, 'ip_address'],
      [{ card_present: 'no' }, 'card_present'],
      [{ card_id: '' }, 'card_id'],
      [{ surprise: 1 }, 'surprise'],
    ];
    for (const [patch, field] of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/decisions',
        payload: { ...BRIEF_EXAMPLE_TRANSACTION, ...patch },
      });
      expect(res.statusCode, JSON.stringify(patch)).toBe(400);
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('exposes health, readiness and Prometheus metrics counted per decision', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/fraud_transactions_total\{decision="(approve|review|block)",source="api"\} \d+/);
    expect(metrics).toContain('fraud_decision_latency_seconds_bucket');
  });
});
