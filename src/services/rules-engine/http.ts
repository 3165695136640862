import type { FastifyError, FastifyInstance, preHandlerHookHandler } from 'fastify';
import { FraudError, isFraudError } from '../../core/errors/index.ts';
import {
  checkEntry,
  LIST_ENTITIES,
  LIST_KINDS,
  type ListEntity,
  type ListEntry,
  type ListKind,
  parseExpiry,
  parseListCsv,
} from '../../core/lists/index.ts';
import { LIMITS } from '../../core/rules/index.ts';
import type { PolicyHolder } from './holder.ts';
import type { ListService } from './lists.ts';

export interface RulesPluginOptions {
  readonly policy: PolicyHolder;
  /**
   * Publishes a validated set to every instance (the `rules` topic). When absent the set is
   * activated in this process only (embedded mode). When present it is published, and also
   * activated here at once so the answer can report the new version.
   */
  readonly publish?: (set: {
    version: string;
    file: string;
    source: string;
    deployedBy?: string;
  }) => Promise<void>;
  /** Route guard (e.g. an admin role) once authentication is on. */
  readonly guard?: preHandlerHookHandler;
}

/** FraudErrors leave as `{ error: { code, message, details } }`; anything else goes to the parent handler. */
function fraudErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | FraudError, _request, reply) => {
    if (isFraudError(err)) return reply.status(err.status).send({ error: err.toJSON() });
    throw err;
  });
}

function describe(holder: PolicyHolder, withSource: boolean) {
  const p = holder.current;
  const spec = p.ruleSet.spec;
  return {
    version: p.version,
    name: spec.name,
    label: spec.label,
    hash: p.ruleSet.hash,
    file: p.file,
    shadow: spec.shadow,
    rules: spec.rules.length,
    live_rules: p.ruleSet.live.length,
    shadow_rules: p.ruleSet.shadow.length,
    policy: spec.policy,
    active_since: holder.since.toISOString(),
    ...(withSource ? { source: p.source } : {}),
  };
}

/**
 * `GET /v1/rules` (the active set and its version) and `PUT /v1/rules` (deploy a YAML or JSON
 * rule set, sent as the raw file so validation errors keep file, line and column). An invalid set
 * answers 422 with one detail per problem and is never activated. `?dry_run=true` only validates.
 */
export async function rulesPlugin(app: FastifyInstance, opts: RulesPluginOptions): Promise<void> {
  fraudErrors(app);
  // The raw text, whatever the type: positions in errors must match the file the user sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: LIMITS.maxSourceBytes }, (_req, body, done) =>
    done(null, body),
  );
  const guard = opts.guard ? { preHandler: opts.guard } : {};

  app.get<{ Querystring: { source?: string } }>('/v1/rules', guard, async (request) =>
    describe(opts.policy, request.query.source === 'true' || request.query.source === '1'),
  );

  app.put<{ Querystring: { dry_run?: string; file?: string } }>(
    '/v1/rules',
    { ...guard, bodyLimit: LIMITS.maxSourceBytes },
    async (request, reply) => {
      const source = typeof request.body === 'string' ? request.body : '';
      if (source.trim() === '')
        throw new FraudError('FRAUD_REQUEST_INVALID', 'body must be a YAML or JSON rule set');
      const file = request.query.file ?? (request.headers['x-rules-file'] as string | undefined) ?? 'request';
      const candidate = opts.policy.compile(source, file);
      const previous = opts.policy.current.version;
      if (request.query.dry_run === 'true') {
        return reply.send({ valid: true, version: candidate.version, active: previous, activated: false });
      }
      let published = false;
      if (opts.publish) {
        await opts.publish({ version: candidate.version, file, source });
        published = true;
      }
      const swap = opts.policy.swap(candidate, 'api');
      return reply.send({
        valid: true,
        version: swap.current.version,
        previous,
        activated: swap.current !== swap.previous,
        published,
      });
    },
  );
}

export interface ListsPluginOptions {
  readonly lists: ListService;
  readonly guard?: preHandlerHookHandler;
}

interface ListBody {
  kind?: string;
  entity?: string;
  value?: string;
  expires_at?: string;
  /** Relative expiry: 30m, 12h, 7d, 2w. */
  expires_in?: string;
  reason?: string;
  added_by?: string;
}

function entryFrom(body: ListBody, now: number): ListEntry {
  const expires = body.expires_in
    ? parseExpiry(body.expires_in, now)
    : body.expires_at
      ? parseExpiry(body.expires_at, now)
      : undefined;
  const entry: ListEntry = {
    kind: body.kind as ListKind,
    entity: body.entity as ListEntity,
    value: body.value as string,
    ...(expires ? { expires_at: expires } : {}),
    ...(body.reason ? { reason: String(body.reason) } : {}),
    added_at: new Date(now).toISOString(),
    ...(body.added_by ? { added_by: String(body.added_by) } : {}),
  };
  const issues = checkEntry(entry);
  if (issues.length > 0) {
    throw new FraudError(
      'FRAUD_REQUEST_INVALID',
      `invalid list entry: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
      {
        details: issues,
      },
    );
  }
  return entry;
}

function kindEntity(
  kind: string | undefined,
  entity: string | undefined,
): { kind?: ListKind; entity?: ListEntity } {
  if (kind !== undefined && !LIST_KINDS.includes(kind as ListKind)) {
    throw new FraudError('FRAUD_REQUEST_INVALID', `kind must be one of ${LIST_KINDS.join(', ')}`);
  }
  if (entity !== undefined && !LIST_ENTITIES.includes(entity as ListEntity)) {
    throw new FraudError('FRAUD_REQUEST_INVALID', `entity must be one of ${LIST_ENTITIES.join(', ')}`);
  }
  return { ...(kind ? { kind: kind as ListKind } : {}), ...(entity ? { entity: entity as ListEntity } : {}) };
}

/**
 * Allow/deny lists over HTTP: `GET /v1/lists[?kind&entity]`, `POST /v1/lists` (one entry, JSON),
 * `POST /v1/lists/import?kind=&entity=` (CSV body; bad lines come back with their line numbers,
 * good lines are kept), `DELETE /v1/lists/:kind/:entity/:value`.
 */
export async function listsPlugin(app: FastifyInstance, opts: ListsPluginOptions): Promise<void> {
  fraudErrors(app);
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  const guard = opts.guard ? { preHandler: opts.guard } : {};

  app.get<{ Querystring: { kind?: string; entity?: string } }>('/v1/lists', guard, async (request) => {
    const filter = kindEntity(request.query.kind, request.query.entity);
    const now = Date.now();
    return {
      entries: opts.lists.store
        .entries(filter)
        .filter((e) => !e.expires_at || Date.parse(e.expires_at) > now),
    };
  });

  app.post<{ Body: ListBody }>('/v1/lists', guard, async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null) {
      throw new FraudError(
        'FRAUD_REQUEST_INVALID',
        'body must be a JSON list entry { kind, entity, value, ... }',
      );
    }
    const entry = entryFrom(request.body, Date.now());
    await opts.lists.add([entry]);
    return reply.status(201).send(entry);
  });

  app.post<{ Body: string; Querystring: { kind?: string; entity?: string; added_by?: string } }>(
    '/v1/lists/import',
    guard,
    async (request) => {
      if (typeof request.body !== 'string')
        throw new FraudError('FRAUD_REQUEST_INVALID', 'body must be CSV (Content-Type: text/csv)');
      const now = Date.now();
      const r = parseListCsv(request.body, {
        ...kindEntity(request.query.kind, request.query.entity),
        addedAt: new Date(now).toISOString(),
        ...(request.query.added_by ? { addedBy: request.query.added_by } : {}),
        now,
      });
      await opts.lists.add(r.entries);
      return { imported: r.entries.length, rejected: r.rejected };
    },
  );

  app.delete<{ Params: { kind: string; entity: string; value: string } }>(
    '/v1/lists/:kind/:entity/:value',
    guard,
    async (request) => {
      const { kind, entity } = kindEntity(request.params.kind, request.params.entity);
      const removed = await opts.lists.remove(kind!, entity!, request.params.value);
      if (!removed)
        throw new FraudError(
          'FRAUD_NOT_FOUND',
          `no ${kind} list entry for ${entity} '${request.params.value}'`,
        );
      return { removed: true };
    },
  );
}
