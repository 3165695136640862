import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { BRIEF_EXAMPLE_TRANSACTION } from '../../../src/core/contracts/index.ts';
import { buildApiServer } from '../../../src/services/scorer/server.ts';
import { type ApiPlatform, openApiPlatform } from '../../../src/services/scorer/service.ts';
import { createLogger } from '../../../src/services/telemetry/index.ts';
import { freshDatabase } from '../console/db.ts';

/**
 * The API exactly as `bin/fraud api` and `bin/fraud up` compose it (console store on a real
 * PostgreSQL): no area of the API answers an unauthenticated call, each checks its role, and
 * every route is in the OpenAPI document.
 */
describe('the composed API service', () => {
  let api: ApiPlatform;
  let app: FastifyInstance;
  let drop: () => Promise<void>;
  const cookies: Record<string, string> = {};

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    const config = loadConfig({ DATABASE_URL: db.url, FRAUD_DATA_DIR: '/tmp/fraud-api-service-test' });
    api = await openApiPlatform(config, { demo: true, logger: createLogger('test', 'error') });
    app = await buildApiServer(api.platform, { console: api.console, graph: api.graph });
    await app.ready();
    for (const user of ['viewer', 'analyst', 'admin']) {
      const login = await app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: user, password: `${user}-demo` },
      });
      expect(login.statusCode).toBe(200);
      cookies[user] = String(login.headers['set-cookie']).split(';')[0]!;
    }
  });
  afterAll(async () => {
    await app?.close();
    await api?.close();
    await drop?.();
  });

  it('refuses unauthenticated calls on every area, and serves health and metrics openly', async () => {
    for (const [method, url] of [
      ['POST', '/v1/decisions'],
      ['GET', '/v1/cases'],
      ['GET', '/v1/alerts'],
      ['GET', '/v1/rules'],
      ['GET', '/v1/lists'],
      ['GET', '/v1/graph/rings'],
      ['GET', '/v1/stats'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        ...(method === 'POST' ? { payload: BRIEF_EXAMPLE_TRANSACTION } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('decides with the service token, not with an analyst session', async () => {
    const token = api.console.access!.serviceToken;
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { authorization: `Bearer ${token}` },
      payload: BRIEF_EXAMPLE_TRANSACTION,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().rule_set_version).toBe(api.platform.policy.current.version);
    const analyst = await app.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { cookie: cookies['analyst']! },
      payload: BRIEF_EXAMPLE_TRANSACTION,
    });
    expect(analyst.statusCode).toBe(403);
  });

  it('lets viewers read rules but only admins deploy them; graph queries need analyst rights', async () => {
    expect(
      (await app.inject({ method: 'GET', url: '/v1/rules', headers: { cookie: cookies['viewer']! } }))
        .statusCode,
    ).toBe(200);
    const put = (who: string) =>
      app.inject({
        method: 'PUT',
        url: '/v1/rules?dry_run=true',
        headers: { cookie: cookies[who]!, 'content-type': 'text/yaml' },
        payload: 'x: 1',
      });
    expect((await put('viewer')).statusCode).toBe(403);
    expect((await put('analyst')).statusCode).toBe(403);
    expect((await put('admin')).statusCode).not.toBe(403);
    expect(
      (await app.inject({ method: 'GET', url: '/v1/graph/rings', headers: { cookie: cookies['viewer']! } }))
        .statusCode,
    ).toBe(403);
    const rings = await app.inject({
      method: 'GET',
      url: '/v1/graph/rings',
      headers: { cookie: cookies['analyst']! },
    });
    expect(rings.statusCode).toBe(200);
  });

  it('documents every route in /openapi.json', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/decisions',
        '/v1/cases',
        '/v1/alerts',
        '/v1/rules',
        '/v1/lists',
        '/v1/graph/rings',
        '/v1/stats',
      ]),
    );
  });
});
