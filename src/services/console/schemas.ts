import { type TSchema, Type } from '@sinclair/typebox';
import { TOKEN_ROLES, USER_ROLES } from '../../core/auth/index.ts';
import { CASE_OUTCOMES, CASE_STATUSES } from '../../core/cases/index.ts';
import { LIST_ENTITIES, LIST_KINDS } from '../../core/lists/index.ts';

/** Request and response schemas of the console API: validated by fastify, published in /openapi.json. */
const literalUnion = (values: readonly string[], description?: string) =>
  Type.Unsafe<string>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

/** Open object: documents the main fields and keeps the rest (the store adds columns over time). */
const Open = (props: Record<string, TSchema>, description?: string) =>
  Type.Object(props, { additionalProperties: true, ...(description ? { description } : {}) });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'FRAUD_* code from docs/errors.md' }),
      message: Type.String(),
      details: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
    }),
  },
  { description: 'Every error: a FRAUD_* code, a message, and per-field details.' },
);

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
};

export const CaseId = Type.Object({ id: Type.Integer({ minimum: 1, description: 'case_id' }) });

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export const Me = Type.Object({
  username: Type.String(),
  role: literalUnion(TOKEN_ROLES),
  kind: Type.String(),
});

export const AlertQuery = Type.Object(
  {
    decision: Type.Optional(literalUnion(['review', 'block'])),
    reason: Type.Optional(Type.String({ maxLength: 128, description: 'Matches any of the alert reasons.' })),
    min_score: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    max_score: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    merchant_id: Type.Optional(Type.String({ maxLength: 128 })),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'created_at >= from' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'created_at < to' })),
    case_status: Type.Optional(literalUnion(CASE_STATUSES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

export const AlertRow = Open({
  alert_id: Type.String(),
  transaction_id: Type.String(),
  case_id: Type.Union([Type.Integer(), Type.Null()]),
  case_status: Type.Union([Type.String(), Type.Null()]),
  card_id: Type.String({ description: 'Masked for viewers.' }),
  decision: Type.String(),
  score: Type.Number(),
  reason: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

export const CaseQuery = Type.Object(
  {
    status: Type.Optional(literalUnion(CASE_STATUSES)),
    queue: Type.Optional(literalUnion(['blocked', 'review', 'high-value'])),
    assignee: Type.Optional(Type.String({ maxLength: 64 })),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

export const CaseRow = Open({
  case_id: Type.Integer(),
  status: literalUnion(CASE_STATUSES),
  queue: Type.String(),
  priority: Type.Integer({ minimum: 1, maximum: 4, description: '1 is the most urgent' }),
  assignee: Type.Union([Type.String(), Type.Null()]),
  card_id: Type.String({ description: 'Masked for viewers.' }),
  outcome: Type.Union([literalUnion(CASE_OUTCOMES), Type.Null()]),
  alert_count: Type.Integer(),
  max_score: Type.Number(),
  sla_age_seconds: Type.Integer(),
  sla_breached: Type.Boolean(),
});

export const CaseDetail = Open(
  {
    case_id: Type.Integer(),
    status: Type.String(),
    alerts: Type.Array(Open({}), {
      description: 'Alerts with transaction, features, rule hits and model explanation.',
    }),
    notes: Type.Array(Open({})),
    labels: Type.Array(Open({})),
    card_history: Type.Array(Open({})),
    can_decide: Type.Boolean({ description: 'Whether the caller may act on this case.' }),
  },
  'One case with everything the case view shows.',
);

export const VerdictBody = Type.Object(
  {
    outcome: literalUnion(CASE_OUTCOMES),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
  },
  { additionalProperties: false },
);

export const VerdictResponse = Type.Object({
  case: CaseRow,
  labels: Type.Array(
    Open({ transaction_id: Type.String(), is_fraud: Type.Boolean(), labeled_at: Type.String() }),
  ),
});

export const AssignBody = Type.Object(
  { assignee: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]) },
  { additionalProperties: false },
);
export const StatusBody = Type.Object(
  { status: literalUnion(['open', 'investigating']) },
  { additionalProperties: false },
);
export const NoteBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);

export const BulkBody = Type.Object(
  {
    case_ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 200, uniqueItems: true }),
    action: literalUnion(['assign', 'status', 'verdict']),
    assignee: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    status: Type.Optional(literalUnion(['open', 'investigating'])),
    outcome: Type.Optional(literalUnion(CASE_OUTCOMES)),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
  },
  { additionalProperties: false },
);
export const BulkResponse = Type.Object({
  results: Type.Array(
    Type.Object({ case_id: Type.Integer(), ok: Type.Boolean(), error: Type.Optional(ErrorBody) }),
  ),
});

export const StatsQuery = Type.Object(
  { minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, default: 60 })) },
  { additionalProperties: false },
);
export const Stats = Open(
  {
    window_minutes: Type.Integer(),
    totals: Open({}),
    series: Type.Array(Open({})),
    score_histogram: Type.Array(
      Type.Object({ from: Type.Number(), to: Type.Number(), count: Type.Integer() }),
    ),
    active: Type.Union([Open({}), Type.Null()]),
    cases: Open({}),
  },
  'Dashboard series over the window, computed from the store.',
);

export const ListQuery = Type.Object(
  { kind: Type.Optional(literalUnion(LIST_KINDS)), entity: Type.Optional(literalUnion(LIST_ENTITIES)) },
  { additionalProperties: false },
);
export const ListEntryBody = Type.Object(
  {
    kind: literalUnion(LIST_KINDS),
    entity: literalUnion(LIST_ENTITIES),
    value: Type.String({ minLength: 1, maxLength: 256 }),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    expires_at: Type.Optional(Type.String({ description: 'ISO-8601 date or date-time' })),
  },
  { additionalProperties: false },
);
export const ListEntryKey = Type.Object({
  kind: literalUnion(LIST_KINDS),
  entity: literalUnion(LIST_ENTITIES),
  value: Type.String({ minLength: 1, maxLength: 256 }),
});
export const ListEntry = Open({
  kind: Type.String(),
  entity: Type.String(),
  value: Type.String(),
  added_at: Type.String(),
});

export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 128 })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    target_type: Type.Optional(Type.String({ maxLength: 64 })),
    target_id: Type.Optional(Type.String({ maxLength: 256 })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 200 })),
    format: Type.Optional(
      literalUnion(['json', 'csv'], 'json (default) or csv; csv is served as a download'),
    ),
  },
  { additionalProperties: false },
);

export const UserBody = Type.Object(
  {
    username: Type.String({ minLength: 2, maxLength: 64 }),
    role: literalUnion(USER_ROLES),
    password: Type.String({ minLength: 8, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export const TokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9._-]+$' }),
    role: literalUnion(TOKEN_ROLES),
  },
  { additionalProperties: false },
);
export const ConsentBody = Type.Object(
  {
    customer_id: Type.String({ minLength: 1, maxLength: 128 }),
    purpose: Type.String({ minLength: 1, maxLength: 64, description: 'e.g. fraud_prevention, marketing' }),
    granted: Type.Boolean(),
    source: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Where the consent was captured, e.g. app, branch',
    }),
  },
  { additionalProperties: false },
);
