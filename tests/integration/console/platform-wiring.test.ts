import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { BRIEF_EXAMPLE_TRANSACTION } from '../../../src/core/contracts/index.ts';
import { createPlatform, type Platform } from '../../../src/platform/index.ts';
import {
  type ConsoleRuntime,
  registerOpenApi,
  startConsoleRuntime,
} from '../../../src/services/console/index.ts';
import { decisionsPlugin } from '../../../src/services/scorer/plugins/decisions.ts';
import { installErrorHandler } from '../../../src/services/scorer/plugins/errors.ts';
import { freshDatabase } from './db.ts';

// The API service as the platform wires it: OpenAPI first, the decision route behind the
// console's service-token guard, the console plugin, and the store consuming the platform bus.
let platform: Platform;
let rt: ConsoleRuntime;
let app: FastifyInstance;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await freshDatabase();
  drop = db.drop;
  platform = await createPlatform(loadConfig({}, '/tmp'));
  rt = await startConsoleRuntime({
    databaseUrl: db.url,
    dataDir: '/nonexistent',
    bus: platform.bus,
    demo: true,
  });
  app = Fastify();
  installErrorHandler(app);
  await registerOpenApi(app);
  await app.register(decisionsPlugin, {
    engine: platform.engine,
    bus: platform.bus,
    metrics: platform.metrics,
    guard: rt.decisionsGuard,
  });
  await rt.register(app);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await rt?.close();
  await platform?.close();
  await drop?.();
});

describe('platform wiring: POST /v1/decisions behind the console auth', () => {
  it('needs a service token; the decision then reaches the console store through the bus', async () => {
    const tx = { ...BRIEF_EXAMPLE_TRANSACTION, transaction_id: `tx_wiring_${Date.now()}` };
    const anon = await app.inject({ method: 'POST', url: '/v1/decisions', payload: tx });
    expect(anon.statusCode).toBe(401);
    const login = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'analyst', password: 'analyst-demo' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect(
      (await app.inject({ method: 'POST', url: '/v1/decisions', headers: { cookie }, payload: tx }))
        .statusCode,
    ).toBe(403);
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { authorization: `Bearer ${rt.access!.serviceToken}` },
      payload: tx,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().transaction_id).toBe(tx.transaction_id);
    let stored: unknown[] = [];
    for (let i = 0; i < 100 && stored.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      stored = (
        await rt.store.pool.query('SELECT decision FROM decisions WHERE transaction_id = $1', [
          tx.transaction_id,
        ])
      ).rows;
    }
    expect(stored).toEqual([{ decision: ok.json().decision }]);
    expect(rt.banner('http://127.0.0.1:8080')).toContain('analyst / analyst-demo');
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/decisions', '/v1/cases']));
  });
});
