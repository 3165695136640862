import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AlertFilter, CaseFilter, Neighbourhood, PgStore } from '../../adapters/store-postgres/index.ts';
import {
  can,
  checkPassword,
  checkUsername,
  type Permission,
  type Role,
  type UserRole,
} from '../../core/auth/index.ts';
import { type CaseOutcome, maskAlert, maskDeep, piiReplacements } from '../../core/cases/index.ts';
import { FraudError, isFraudError } from '../../core/errors/index.ts';
import type { ListEntity, ListKind } from '../../core/lists/index.ts';
import { actorOf, type ConsoleAuth, hashPassword } from './auth.ts';
import type { ConsoleEvents } from './events.ts';
import type { NeighbourhoodQuery } from './graph.ts';
import * as S from './schemas.ts';

export interface RouteDeps {
  readonly store: PgStore;
  readonly auth: ConsoleAuth;
  readonly events: ConsoleEvents;
  /** Publishes pending labels after a verdict (the outbox retries on failure). */
  readonly publishLabels: () => Promise<unknown>;
  readonly neighbourhood: (q: NeighbourhoodQuery) => Promise<Neighbourhood>;
  readonly versions?: () => Record<string, string | null>;
  /** Serve `/v1/lists` from the store (false when the rules engine's plugin serves it). */
  readonly lists: boolean;
}

const security: { [scheme: string]: string[] }[] = [{ cookieAuth: [] }, { bearerAuth: [] }];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Always quoted; a leading = + - @ is defused so a spreadsheet does not run it as a formula.
  return `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replaceAll('"', '""')}"`;
}

const listMaskKey: Record<ListEntity, string> = {
  card: 'card_id',
  customer: 'customer_id',
  device: 'device_id',
  ip: 'ip_address',
  merchant: 'merchant',
  country: 'country',
};

export async function consoleRoutes(app: FastifyInstance, d: RouteDeps): Promise<void> {
  const { store, auth } = d;
  const pii = (req: FastifyRequest) => can(req.principal!.role, 'pii:read');
  /** Every protected route: its permission guard, and the same permission stated in OpenAPI. */
  const opts = (
    permission: Permission,
    tags: string[],
    summary: string,
    schema: Record<string, unknown> = {},
  ) => ({
    preHandler: auth.requirePermission(permission),
    schema: { tags, summary, description: `Requires permission \`${permission}\`.`, security, ...schema },
  });
  const list = (key: string, items: object) => ({
    200: { type: 'object', properties: { [key]: { type: 'array', items } } },
    ...S.errorResponses,
  });

  // ------------------------------------------------------------------ auth
  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in; sets the httpOnly session cookie',
        body: S.LoginBody,
        response: { 200: S.Me, ...S.errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body as Static<typeof S.LoginBody>;
      const u = await auth.login(b.username, b.password, reply, { ip: req.ip, requestId: String(req.id) });
      return { ...u, kind: 'session' };
    },
  );
  app.post(
    '/v1/auth/logout',
    { schema: { tags: ['auth'], summary: 'Sign out (ends the session)' } },
    async (req, reply) => {
      const p = await auth.principalOf(req);
      await auth.logout(req, reply);
      if (p)
        await store.appendAudit(actorOf(req), {
          action: 'auth.logout',
          targetType: 'user',
          targetId: p.name,
        });
      return reply.status(204).send();
    },
  );
  app.get(
    '/v1/auth/me',
    {
      preHandler: async (req) => void (await auth.authenticate(req)),
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user or token',
        security,
        response: { 200: S.Me, ...S.errorResponses },
      },
    },
    async (req) => ({ username: req.principal!.name, role: req.principal!.role, kind: req.principal!.kind }),
  );

  // ------------------------------------------------------------------ alerts and cases
  app.get(
    '/v1/alerts',
    opts('console:read', ['alerts'], 'Alert queue, newest first, with filters', {
      querystring: S.AlertQuery,
      response: list('alerts', S.AlertRow),
    }),
    async (req) => {
      const rows = await store.listAlerts(req.query as AlertFilter);
      return { alerts: pii(req) ? rows : rows.map((r) => maskAlert(r)) };
    },
  );

  app.get(
    '/v1/cases',
    opts('console:read', ['cases'], 'Case queue: open first, by priority then age', {
      querystring: S.CaseQuery,
      response: list('cases', S.CaseRow),
    }),
    async (req) => {
      const rows = await store.listCases(req.query as CaseFilter);
      return { cases: pii(req) ? rows : rows.map((r) => maskAlert(r)) };
    },
  );

  app.get(
    '/v1/cases/:id',
    opts(
      'console:read',
      ['cases'],
      'One case: alerts with transaction, features, rule hits and model explanation; card history; notes; labels',
      { params: S.CaseId, response: { 200: S.CaseDetail, ...S.errorResponses } },
    ),
    async (req) => {
      const { id } = req.params as Static<typeof S.CaseId>;
      const detail = await store.getCase(id);
      const canDecide = can(req.principal!.role, 'cases:write') && detail['status'] !== 'closed';
      if (pii(req)) {
        // The processing trail (LGPD art. 37, GDPR art. 30): who looked at whose personal data.
        await store.appendAudit(actorOf(req), {
          action: 'case.view',
          targetType: 'case',
          targetId: String(id),
        });
        return { ...detail, can_decide: canDecide };
      }
      return { ...maskDeep(detail, piiOf(detail)), can_decide: canDecide };
    },
  );

  app.get(
    '/v1/cases/:id/graph',
    opts(
      'console:read',
      ['cases'],
      "The case card's graph neighbourhood: devices, IPs, merchants, cards sharing them",
      {
        params: S.CaseId,
      },
    ),
    async (req) => {
      const { id } = req.params as Static<typeof S.CaseId>;
      const c = await store.getCaseRow(id);
      const latest = await store.listAlerts({ case_id: id, limit: 1 });
      const g = await d.neighbourhood({
        card_id: c.card_id,
        transaction_id: (latest[0]?.['transaction_id'] as string) ?? null,
      });
      if (pii(req)) return g;
      const ids = g.nodes.map((n) => {
        const i = n.id.indexOf(':');
        const kind = n.id.slice(0, i);
        const v = n.id.slice(i + 1);
        if (kind === 'card') return { card_id: v };
        if (kind === 'device') return { device_id: v };
        if (kind === 'ip') return { ip_address: v };
        if (kind === 'customer') return { customer_id: v };
        return {};
      });
      return maskDeep(g, piiReplacements(ids));
    },
  );

  const caseAction = (
    summary: string,
    body: object,
    response: Record<number, unknown> | undefined,
    run: (req: FastifyRequest, id: number) => Promise<unknown>,
  ) => ({
    opts: opts('cases:write', ['cases'], summary, {
      params: S.CaseId,
      body,
      ...(response ? { response } : {}),
    }),
    handler: async (req: FastifyRequest) => run(req, (req.params as Static<typeof S.CaseId>).id),
  });

  const verdict = caseAction(
    'Decide a case: closes it and writes labels to the label store and the `labels` topic',
    S.VerdictBody,
    { 200: S.VerdictResponse, ...S.errorResponses },
    async (req, id) => {
      const b = req.body as Static<typeof S.VerdictBody>;
      const r = await store.decideCase(id, b.outcome as CaseOutcome, actorOf(req), b.note);
      // The labels are committed with the verdict; publishing now is the fast path, the outbox retries.
      await d.publishLabels().catch(() => undefined);
      return r;
    },
  );
  app.post('/v1/cases/:id/verdict', verdict.opts, verdict.handler);

  const assign = caseAction('Assign a case (null unassigns)', S.AssignBody, undefined, async (req, id) =>
    store.assignCase(id, (req.body as Static<typeof S.AssignBody>).assignee, actorOf(req)),
  );
  app.post('/v1/cases/:id/assign', assign.opts, assign.handler);

  const status = caseAction(
    'Move a case between open and investigating',
    S.StatusBody,
    undefined,
    async (req, id) =>
      store.setCaseStatus(
        id,
        (req.body as Static<typeof S.StatusBody>).status as 'open' | 'investigating',
        actorOf(req),
      ),
  );
  app.post('/v1/cases/:id/status', status.opts, status.handler);

  const note = caseAction('Add a note to a case', S.NoteBody, undefined, async (req, id) =>
    store.addNote(id, (req.body as Static<typeof S.NoteBody>).body, actorOf(req)),
  );
  app.post('/v1/cases/:id/notes', note.opts, note.handler);

  app.post(
    '/v1/cases/bulk',
    opts('cases:write', ['cases'], 'One action on many cases; each case succeeds or fails on its own', {
      body: S.BulkBody,
      response: { 200: S.BulkResponse, ...S.errorResponses },
    }),
    async (req) => {
      const b = req.body as Static<typeof S.BulkBody>;
      const need = b.action === 'verdict' ? 'outcome' : b.action === 'status' ? 'status' : 'assignee';
      if (b[need] === undefined) {
        throw new FraudError('FRAUD_REQUEST_INVALID', `bulk ${b.action} needs \`${need}\``, {
          details: [{ field: need, message: 'is required' }],
        });
      }
      const actor = actorOf(req);
      const results: { case_id: number; ok: boolean; error?: { error: ReturnType<FraudError['toJSON']> } }[] =
        [];
      for (const id of b.case_ids) {
        try {
          if (b.action === 'verdict') await store.decideCase(id, b.outcome as CaseOutcome, actor, b.note);
          else if (b.action === 'status')
            await store.setCaseStatus(id, b.status as 'open' | 'investigating', actor);
          else await store.assignCase(id, b.assignee ?? null, actor);
          results.push({ case_id: id, ok: true });
        } catch (err) {
          if (!isFraudError(err)) throw err;
          results.push({ case_id: id, ok: false, error: { error: err.toJSON() } });
        }
      }
      if (b.action === 'verdict') await d.publishLabels().catch(() => undefined);
      return { results };
    },
  );

  // ------------------------------------------------------------------ dashboard and rules
  // Every open dashboard polls; one computation per window per 2 s serves them all, so the
  // database cost does not grow with the number of analysts watching.
  const statsCache = new Map<number, { at: number; value: ReturnType<PgStore['stats']> }>();
  const cachedStats = (minutes: number) => {
    const hit = statsCache.get(minutes);
    if (hit && Date.now() - hit.at < 2_000) return hit.value;
    const value = store.stats(minutes);
    statsCache.set(minutes, { at: Date.now(), value });
    value.catch(() => statsCache.delete(minutes));
    return value;
  };
  app.get(
    '/v1/stats',
    opts(
      'console:read',
      ['stats'],
      'Dashboard: transactions and alerts per minute, decision mix, latency p50/p95/p99, score histogram, manual review rate, active versions',
      { querystring: S.StatsQuery, response: { 200: S.Stats, ...S.errorResponses } },
    ),
    async (req) => {
      const s = await cachedStats((req.query as Static<typeof S.StatsQuery>).minutes ?? 60);
      return { ...s, engine: d.versions?.() ?? null, live_clients: d.events.clientCount };
    },
  );

  app.get(
    '/v1/stats/rules',
    opts(
      'rules:read',
      ['rules'],
      'Active rule set version and hit rate per rule, with precision on labelled hits',
      {
        querystring: S.StatsQuery,
      },
    ),
    async (req) => store.ruleStats((req.query as Static<typeof S.StatsQuery>).minutes ?? 60),
  );

  // ------------------------------------------------------------------ lists
  if (d.lists) {
    app.get(
      '/v1/lists',
      opts('rules:read', ['lists'], 'Live allow and deny list entries', {
        querystring: S.ListQuery,
        response: list('entries', S.ListEntry),
      }),
      async (req) => {
        const q = req.query as Static<typeof S.ListQuery>;
        const entries = await store.listEntries({
          ...(q.kind ? { kind: q.kind as ListKind } : {}),
          ...(q.entity ? { entity: q.entity as ListEntity } : {}),
        });
        if (pii(req)) return { entries };
        return {
          entries: entries.map((e) => maskDeep(e, piiReplacements([{ [listMaskKey[e.entity]]: e.value }]))),
        };
      },
    );
    app.post(
      '/v1/lists',
      opts('lists:write', ['lists'], 'Add or replace a list entry', {
        body: S.ListEntryBody,
        response: { 200: S.ListEntry, ...S.errorResponses },
      }),
      async (req) => {
        const b = req.body as Static<typeof S.ListEntryBody>;
        return store.upsertListEntry(
          { ...b, kind: b.kind as ListKind, entity: b.entity as ListEntity },
          actorOf(req),
        );
      },
    );
    app.delete(
      '/v1/lists/:kind/:entity/:value',
      opts('lists:write', ['lists'], 'Remove a list entry', { params: S.ListEntryKey }),
      async (req, reply) => {
        const k = req.params as Static<typeof S.ListEntryKey>;
        const key = { kind: k.kind as ListKind, entity: k.entity as ListEntity, value: k.value };
        if (!(await store.removeListEntry(key, actorOf(req)))) {
          throw new FraudError('FRAUD_NOT_FOUND', `no ${k.kind} list entry for ${k.entity} '${k.value}'`);
        }
        return reply.status(204).send();
      },
    );
  }

  // ------------------------------------------------------------------ audit
  app.get(
    '/v1/audit',
    opts(
      'audit:read',
      ['audit'],
      'The audit trail (who, what, when, before, after), newest first; format=csv|json downloads',
      {
        querystring: S.AuditQuery,
      },
    ),
    async (req, reply) => {
      const q = req.query as Static<typeof S.AuditQuery>;
      const rows = await store.queryAudit(q);
      if (q.format) {
        // An export is itself an action on personal data: it goes into the trail.
        const { format: _format, ...filter } = q;
        await store.appendAudit(actorOf(req), {
          action: 'audit.export',
          targetType: 'audit_log',
          after: { format: q.format, rows: rows.length, filter },
        });
      }
      const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '');
      if (q.format === 'csv') {
        const cols = [
          'audit_id',
          'at',
          'actor',
          'actor_role',
          'action',
          'target_type',
          'target_id',
          'before',
          'after',
          'ip',
          'request_id',
          'row_hash',
        ] as const;
        const body = [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join(
          '\n',
        );
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="audit-${stamp}.csv"`)
          .send(`${body}\n`);
      }
      if (q.format === 'json')
        void reply.header('content-disposition', `attachment; filename="audit-${stamp}.json"`);
      return { entries: rows };
    },
  );
  app.get(
    '/v1/audit/verify',
    opts(
      'audit:read',
      ['audit'],
      'Verifies the audit hash chain; first_broken is null when the chain is intact',
    ),
    async () => store.verifyAudit(),
  );

  // ------------------------------------------------------------------ users, tokens, consent
  app.get('/v1/users', opts('users:write', ['users'], 'Users and their roles'), async () => ({
    users: await store.listUsers(),
  }));
  app.post(
    '/v1/users',
    opts('users:write', ['users'], 'Create a user', { body: S.UserBody }),
    async (req, reply) => {
      const b = req.body as Static<typeof S.UserBody>;
      const issue = checkUsername(b.username) ?? checkPassword(b.password);
      if (issue) throw new FraudError('FRAUD_REQUEST_INVALID', issue);
      await store.createUser(b.username, b.role as UserRole, await hashPassword(b.password), actorOf(req));
      return reply.status(201).send({ username: b.username, role: b.role });
    },
  );
  app.post(
    '/v1/tokens',
    opts('users:write', ['users'], 'Issue an API token; the secret is shown once', { body: S.TokenBody }),
    async (req, reply) => {
      const b = req.body as Static<typeof S.TokenBody>;
      const token = await auth.issueToken(b.name, b.role as Role, actorOf(req));
      return reply.status(201).send({ name: b.name, role: b.role, token });
    },
  );
  app.post(
    '/v1/consents',
    opts('privacy:manage', ['privacy'], 'Record a consent grant or withdrawal (append-only)', {
      body: S.ConsentBody,
    }),
    async (req, reply) =>
      reply
        .status(201)
        .send(await store.recordConsent(req.body as Static<typeof S.ConsentBody>, actorOf(req))),
  );
  app.get(
    '/v1/consents/:customer_id',
    opts('privacy:manage', ['privacy'], "A customer's consent history, newest first", {
      params: {
        type: 'object',
        properties: { customer_id: { type: 'string', minLength: 1, maxLength: 128 } },
      },
    }),
    async (req) => ({
      consents: await store.consentsFor((req.params as { customer_id: string }).customer_id),
    }),
  );

  // ------------------------------------------------------------------ live updates
  app.get(
    '/v1/events',
    opts(
      'console:read',
      ['live'],
      "Server-sent events: `alert` (new alert; masked for viewers), `case` (case changed), `labels` (a case's labels published), `lists`",
      {
        produces: ['text/event-stream'],
      },
    ),
    (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      const remove = d.events.add({
        role: req.principal!.role,
        write: (c) => res.write(c),
        end: () => res.end(),
      });
      req.raw.on('close', remove);
    },
  );
}

/** Every identifier in a case: its card and customer, each alert's transaction, each history row. */
function piiOf(detail: Record<string, unknown>): Map<string, string> {
  const txs: Record<string, unknown>[] = [detail];
  for (const a of (detail['alerts'] as Record<string, unknown>[] | undefined) ?? []) {
    txs.push(a);
    if (a['transaction']) txs.push(a['transaction'] as Record<string, unknown>);
  }
  for (const h of (detail['card_history'] as Record<string, unknown>[] | undefined) ?? []) txs.push(h);
  return piiReplacements(txs);
}
