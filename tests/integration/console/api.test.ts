import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { PgStore } from '../../../src/adapters/store-postgres/index.ts';
import { TOPICS, validators } from '../../../src/core/contracts/index.ts';
import {
  type ConsoleAuth,
  createConsoleAuth,
  ensureDemoAccess,
  hashPassword,
  StoreIngestion,
} from '../../../src/services/console/index.ts';
import { buildConsoleServer } from '../../../src/services/console/server.ts';
import { fraudEvent, freshDatabase } from './db.ts';

let store: PgStore;
let drop: () => Promise<void>;
let app: FastifyInstance;
let bus: MemoryBus;
let ingestion: StoreIngestion;
let auth: ConsoleAuth;
let serviceToken: string;
let base: string;

async function login(username: string, password: string): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });
  expect(r.statusCode).toBe(200);
  const cookie = String(r.headers['set-cookie']);
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(';')[0]!;
}

async function publishFraud(card: string) {
  const e = fraudEvent({ card, customer: `cust_${card}` });
  await bus.publish(TOPICS.enriched, [{ key: card, value: JSON.stringify(e.enriched) }]);
  await bus.publish(TOPICS.scores, [{ key: card, value: JSON.stringify(e.score) }]);
  await bus.publish(TOPICS.alerts, [{ key: card, value: JSON.stringify(e.alert) }]);
  return e;
}

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const db = await freshDatabase();
  drop = db.drop;
  store = await PgStore.open({ databaseUrl: db.url, dataDir: '/nonexistent' });
  bus = new MemoryBus({ partitions: 2 });
  auth = createConsoleAuth(store, { cacheMs: 0 });
  ingestion = new StoreIngestion({ store, bus, labelFlushMs: 60_000 });
  await ingestion.start();
  serviceToken = (await ensureDemoAccess(store, auth)).serviceToken;
  app = await buildConsoleServer({ store, auth, bus, ingestion, webRoot: '/nonexistent' });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  await ingestion?.stop();
  await store?.close();
  await drop?.();
});

describe('console API on PostgreSQL (DATABASE_URL)', () => {
  it('GET /v1/cases without a token is 401 FRAUD_AUTH_REQUIRED', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/cases' });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('FRAUD_AUTH_REQUIRED');
  });

  it('rejects a wrong password, and audits the attempt', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'analyst', password: 'nope-nope' },
    });
    expect(r.statusCode).toBe(401);
    expect((await store.queryAudit({ action: 'auth.login_failed' }))[0]).toMatchObject({ actor: 'analyst' });
  });

  it('refuses a username after 5 failed sign-ins, even with the right password', async () => {
    await store.createUser('lock-me', 'viewer', await hashPassword('right-password'), {
      name: 'test',
      role: 'system',
    });
    for (let i = 0; i < 5; i++) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: 'lock-me', password: 'wrong-guess' },
      });
      expect(r.statusCode).toBe(401);
    }
    const r = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'lock-me', password: 'right-password' },
    });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.message).toMatch(/too many failed sign-ins/);
  });

  it('ingests a published alert into a case, announces it over SSE, and an analyst decides it', async () => {
    const analyst = await login('analyst', 'analyst-demo');
    // Live stream first, so the alert must arrive on it (not be found by polling).
    const ac = new AbortController();
    const sse = await fetch(`${base}/v1/events`, { headers: { cookie: analyst }, signal: ac.signal });
    expect(sse.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = sse.body!.getReader();
    const e = await publishFraud('card_api_1');
    let text = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return text.includes(e.alert.alert_id);
    });
    ac.abort();
    expect(text).toMatch(/event: alert/);
    expect(text).toContain('card_api_1');

    const alerts = (
      await app.inject({
        method: 'GET',
        url: '/v1/alerts?decision=block&min_score=0.9',
        headers: { cookie: analyst },
      })
    ).json().alerts;
    const alert = alerts.find((a: { alert_id: string }) => a.alert_id === e.alert.alert_id);
    expect(alert).toMatchObject({ card_id: 'card_api_1', case_status: 'open' });

    const detail = (
      await app.inject({ method: 'GET', url: `/v1/cases/${alert.case_id}`, headers: { cookie: analyst } })
    ).json();
    expect(detail.can_decide).toBe(true);
    expect(detail.alerts[0].rule_hits[0]).toMatchObject({
      rule_id: 'velocity_1h',
      values: { tx_count_1h: 9 },
    });
    expect(detail.alerts[0].explanations[0]).toMatchObject({ feature: 'tx_count_1h' });
    expect(detail.alerts[0].features).toMatchObject({ tx_count_1h: 9 });
    expect(detail.card_history[0].transaction_id).toBe(e.alert.transaction_id);

    const labels: unknown[] = [];
    const sub = await bus.subscribe({ groupId: 'test-labels', topics: [TOPICS.labels], from: 'earliest' });
    const v = await app.inject({
      method: 'POST',
      url: `/v1/cases/${alert.case_id}/verdict`,
      headers: { cookie: analyst },
      payload: { outcome: 'confirmed_fraud', note: 'customer confirmed card stolen' },
    });
    expect(v.statusCode).toBe(200);
    expect(v.json().case).toMatchObject({
      status: 'closed',
      outcome: 'confirmed_fraud',
      closed_by: 'analyst',
    });
    const batch = await sub.next();
    for (const r of batch ?? []) labels.push(JSON.parse(r.value.toString()));
    await sub.close();
    expect(labels).toEqual([
      expect.objectContaining({
        transaction_id: e.alert.transaction_id,
        is_fraud: true,
        source: 'analyst',
        labeled_by: 'analyst',
      }),
    ]);
    expect(validators.label(labels[0])).toBe(true);
    expect(await store.labelsFor(e.alert.transaction_id)).toEqual([
      expect.objectContaining({ is_fraud: true, published_at: expect.any(Date) }),
    ]);
    // Labels from other sources on the topic are stored too (already published: never re-sent);
    // a chargeback on the same card lands after our own label came back, which is not duplicated.
    const chargeback = {
      transaction_id: e.alert.transaction_id,
      is_fraud: true,
      labeled_at: '2026-01-02T03:04:05.000Z',
      source: 'chargeback',
    };
    await bus.publish(TOPICS.labels, [{ key: 'card_api_1', value: JSON.stringify(chargeback) }]);
    const stored = await waitFor(async () => {
      const rows = await store.labelsFor(e.alert.transaction_id);
      return rows.some((l) => l['source'] === 'chargeback') && rows;
    });
    expect(stored.map((l) => l['source']).sort()).toEqual(['analyst', 'chargeback']);
    expect(stored.every((l) => l['published_at'] instanceof Date)).toBe(true);
    const again = await app.inject({
      method: 'POST',
      url: `/v1/cases/${alert.case_id}/verdict`,
      headers: { cookie: analyst },
      payload: { outcome: 'legitimate' },
    });
    expect(again.statusCode).toBe(409);
  });

  it('a verdict committed while an outbox flush is in flight is published by the flush it asks for', async () => {
    const caseOf = (card: string) =>
      waitFor(async () => (await store.listCases({ status: 'open' })).find((c) => c.card_id === card));
    const first = await publishFraud('card_outbox_1');
    const second = await publishFraud('card_outbox_2');
    const [a, b] = [await caseOf('card_outbox_1'), await caseOf('card_outbox_2')];
    const actor = { name: 'analyst', role: 'analyst' } as const;
    // A bus whose first labels publish waits for a gate: the outbox flush stays in flight.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let calls = 0;
    const gated = Object.create(bus, {
      publish: {
        value: async (topic: string, messages: Parameters<MemoryBus['publish']>[1]) => {
          if (topic === TOPICS.labels && calls++ === 0) await gate;
          return bus.publish(topic, messages);
        },
      },
    }) as MemoryBus;
    const outbox = new StoreIngestion({ store, bus: gated });
    await store.decideCase(a.case_id, 'confirmed_fraud', actor);
    const inFlight = outbox.flushLabels();
    await waitFor(async () => calls === 1);
    await store.decideCase(b.case_id, 'confirmed_fraud', actor);
    const mine = outbox.flushLabels();
    open();
    await inFlight;
    await mine;
    for (const e of [first, second])
      expect(await store.labelsFor(e.alert.transaction_id)).toEqual([
        expect.objectContaining({ is_fraud: true, published_at: expect.any(Date) }),
      ]);
    expect(outbox.counters.labelsPublished).toBe(2);
  });

  it("a viewer's verdict is 403 FRAUD_FORBIDDEN, and the viewer sees masked PII", async () => {
    const e = await publishFraud('card_api_viewer_9876');
    const caseId = await waitFor(
      async () =>
        (await store.listAlerts({})).find((a) => a['alert_id'] === e.alert.alert_id)?.['case_id'] as number,
    );
    const viewer = await login('viewer', 'viewer-demo');
    const r = await app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/verdict`,
      headers: { cookie: viewer },
      payload: { outcome: 'legitimate' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('FRAUD_FORBIDDEN');
    const detail = await app.inject({
      method: 'GET',
      url: `/v1/cases/${caseId}`,
      headers: { cookie: viewer },
    });
    expect(detail.json().can_decide).toBe(false);
    expect(detail.body).not.toContain('card_api_viewer_9876');
    expect(detail.body).not.toContain('200.160.0.1');
    expect(detail.body).toContain('card_••••9876');
    const alerts = await app.inject({ method: 'GET', url: '/v1/alerts', headers: { cookie: viewer } });
    expect(alerts.body).not.toContain('card_api_viewer_9876');
    const graph = await app.inject({
      method: 'GET',
      url: `/v1/cases/${caseId}/graph`,
      headers: { cookie: viewer },
    });
    expect(graph.statusCode).toBe(200);
    expect(graph.body).not.toContain('dev_111');
  });

  it('service tokens may call what requireRole("service") guards, and nothing of the console', async () => {
    const me = await app.inject({
      method: 'GET',
      url: '/v1/auth/me',
      headers: { authorization: `Bearer ${serviceToken}` },
    });
    expect(me.json()).toMatchObject({ role: 'service', kind: 'token' });
    const guard = auth.requireRole('service');
    const admin = auth.requireRole('admin');
    const req = { headers: { authorization: `Bearer ${serviceToken}` } } as never;
    await expect((guard as (r: unknown) => Promise<void>)(req)).resolves.toBeUndefined();
    await expect(
      (admin as (r: unknown) => Promise<void>)({ headers: { authorization: `Bearer ${serviceToken}` } }),
    ).rejects.toMatchObject({ code: 'FRAUD_FORBIDDEN' });
    const cases = await app.inject({
      method: 'GET',
      url: '/v1/cases',
      headers: { authorization: `Bearer ${serviceToken}` },
    });
    expect(cases.statusCode).toBe(403);
    const bogus = await app.inject({
      method: 'GET',
      url: '/v1/cases',
      headers: { authorization: 'Bearer fraud_nope' },
    });
    expect(bogus.statusCode).toBe(401);
  });

  it('bulk actions report per case; stats, rules and lists answer', async () => {
    const analyst = await login('analyst', 'analyst-demo');
    const open = (
      await app.inject({ method: 'GET', url: '/v1/cases?status=open', headers: { cookie: analyst } })
    ).json().cases;
    const ids = [...open.map((c: { case_id: number }) => c.case_id), 999_999];
    const r = await app.inject({
      method: 'POST',
      url: '/v1/cases/bulk',
      headers: { cookie: analyst },
      payload: { case_ids: ids, action: 'assign', assignee: 'analyst' },
    });
    const results = r.json().results;
    expect(results.at(-1)).toMatchObject({
      case_id: 999_999,
      ok: false,
      error: { error: { code: 'FRAUD_NOT_FOUND' } },
    });
    expect(results.filter((x: { ok: boolean }) => x.ok)).toHaveLength(open.length);
    const stats = (
      await app.inject({ method: 'GET', url: '/v1/stats?minutes=30', headers: { cookie: analyst } })
    ).json();
    expect(stats.totals.transactions).toBeGreaterThanOrEqual(2);
    expect(stats.active.model_version).toBe('v1.2.0');
    const rules = (
      await app.inject({ method: 'GET', url: '/v1/stats/rules', headers: { cookie: analyst } })
    ).json();
    expect(rules.rules[0]).toMatchObject({ rule_id: 'velocity_1h' });
    const add = await app.inject({
      method: 'POST',
      url: '/v1/lists',
      headers: { cookie: analyst },
      payload: { kind: 'deny', entity: 'card', value: 'card_stolen_1', reason: 'confirmed' },
    });
    expect(add.statusCode).toBe(200);
    const viewer = await login('viewer', 'viewer-demo');
    const list = await app.inject({ method: 'GET', url: '/v1/lists', headers: { cookie: viewer } });
    expect(list.body).not.toContain('card_stolen_1');
    const del = await app.inject({
      method: 'DELETE',
      url: '/v1/lists/deny/card/card_stolen_1',
      headers: { cookie: viewer },
    });
    expect(del.statusCode).toBe(403);
  });

  it('the audit log is admin-only and exports as CSV, with the export itself audited', async () => {
    const analyst = await login('analyst', 'analyst-demo');
    expect(
      (await app.inject({ method: 'GET', url: '/v1/audit', headers: { cookie: analyst } })).statusCode,
    ).toBe(403);
    const admin = await login('admin', 'admin-demo');
    const csv = await app.inject({
      method: 'GET',
      url: '/v1/audit?format=csv&action=case.verdict',
      headers: { cookie: admin },
    });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\n')[0]).toBe(
      'audit_id,at,actor,actor_role,action,target_type,target_id,before,after,ip,request_id,row_hash',
    );
    expect(csv.body).toContain('"case.verdict"');
    const trail = (
      await app.inject({ method: 'GET', url: '/v1/audit?action=audit.export', headers: { cookie: admin } })
    ).json();
    expect(trail.entries[0]).toMatchObject({ actor: 'admin', after: { format: 'csv' } });
    const verify = (
      await app.inject({ method: 'GET', url: '/v1/audit/verify', headers: { cookie: admin } })
    ).json();
    expect(verify.first_broken).toBeNull();
  });

  it('publishes an OpenAPI document covering every console route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/v1/alerts',
      '/v1/cases',
      '/v1/cases/{id}',
      '/v1/cases/{id}/verdict',
      '/v1/stats',
      '/v1/lists',
      '/v1/audit',
      '/v1/events',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(doc.paths['/v1/cases/{id}/verdict'].post.description).toMatch(/cases:write/);
  });
});
