import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/adapters/store-postgres/index.ts';
import {
  consolePlugin,
  createConsoleAuth,
  ensureDemoAccess,
  registerOpenApi,
} from '../../../src/services/console/index.ts';
import { listsPlugin } from '../../../src/services/rules-engine/http.ts';
import { ListService } from '../../../src/services/rules-engine/lists.ts';
import { installErrorHandler } from '../../../src/services/scorer/plugins/errors.ts';
import { freshDatabase } from './db.ts';

// The wiring the platform uses when the rules engine owns /v1/lists: its plugin, behind the
// console's guard, on the console store's table.
let store: PgStore;
let drop: () => Promise<void>;
let app: ReturnType<typeof Fastify>;

beforeAll(async () => {
  const db = await freshDatabase();
  drop = db.drop;
  store = await PgStore.open({ databaseUrl: db.url, dataDir: '/nonexistent' });
  const auth = createConsoleAuth(store);
  await ensureDemoAccess(store, auth);
  const lists = await ListService.open(store.listPersistence());
  app = Fastify();
  installErrorHandler(app);
  await registerOpenApi(app);
  await app.register(listsPlugin, {
    lists,
    guard: auth.guard({ read: 'rules:read', write: 'lists:write', audit: 'lists' }),
  });
  await app.register(consolePlugin, { store, auth, listsRoutes: false, webRoot: '/nonexistent' });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await store?.close();
  await drop?.();
});

async function cookie(username: string, password: string) {
  const r = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });
  return String(r.headers['set-cookie']).split(';')[0]!;
}

describe("rules engine's listsPlugin behind auth.guard()", () => {
  it('needs a session, lets viewers read, analysts write, and audits who wrote', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/lists' })).statusCode).toBe(401);
    const viewer = await cookie('viewer', 'viewer-demo');
    expect(
      (await app.inject({ method: 'GET', url: '/v1/lists', headers: { cookie: viewer } })).statusCode,
    ).toBe(200);
    const entry = { kind: 'deny', entity: 'device', value: 'dev_ring_1', reason: 'mule ring' };
    expect(
      (await app.inject({ method: 'POST', url: '/v1/lists', headers: { cookie: viewer }, payload: entry }))
        .statusCode,
    ).toBe(403);
    const analyst = await cookie('analyst', 'analyst-demo');
    const r = await app.inject({
      method: 'POST',
      url: '/v1/lists',
      headers: { cookie: analyst },
      payload: entry,
    });
    expect(r.statusCode).toBe(201);
    expect((await store.listEntries({ kind: 'deny' })).map((e) => e.value)).toEqual(['dev_ring_1']);
    // The audit row is appended when the response finishes, so poll briefly for it.
    let audit = await store.queryAudit({ action: 'lists.post' });
    for (let i = 0; i < 40 && audit.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      audit = await store.queryAudit({ action: 'lists.post' });
    }
    expect(audit[0]).toMatchObject({
      actor: 'analyst',
      target_id: '/v1/lists',
      after: { status: 201, body: entry },
    });
  });
});
