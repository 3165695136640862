-- 001: the console store (issue 7). Decisions with their explanation, alerts, cases, labels,
-- allow/deny lists, users/sessions/API tokens and the append-only audit log.
-- Never edit an applied migration: the runner checks each file's checksum. Add 002_… instead.

-- Transactions as seen on `enriched-transactions` (or inside an alert), with the point-in-time
-- feature snapshot the decision used.
CREATE TABLE transactions (
  transaction_id      text PRIMARY KEY,
  event_time          timestamptz NOT NULL,
  card_id             text NOT NULL,
  customer_id         text NOT NULL,
  merchant_id         text NOT NULL,
  merchant_country    text NOT NULL,
  amount              numeric(20, 4) NOT NULL,
  currency            text NOT NULL,
  device_id           text NOT NULL,
  ip_address          text NOT NULL,
  payload             jsonb NOT NULL,
  features            jsonb,
  feature_set_version text,
  stored_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transactions_card_time ON transactions (card_id, event_time DESC);
CREATE INDEX transactions_device ON transactions (device_id);
CREATE INDEX transactions_ip ON transactions (ip_address);
CREATE INDEX transactions_customer ON transactions (customer_id);

-- Every decision on `scores`: score, explanation, rule hits with values, versions, latency.
CREATE TABLE decisions (
  transaction_id      text PRIMARY KEY,
  decided_at          timestamptz NOT NULL,
  decision            text NOT NULL CHECK (decision IN ('approve', 'review', 'block')),
  score               double precision NOT NULL,
  model_score         double precision,
  model_version       text NOT NULL,
  rule_set_version    text,
  feature_set_version text,
  reason              text NOT NULL,
  reasons             text[] NOT NULL,
  rule_hits           jsonb NOT NULL,
  explanations        jsonb,
  graph               jsonb,
  missing_signals     text[],
  latency_ms          double precision NOT NULL,
  payload             jsonb NOT NULL,
  stored_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_decided_at ON decisions (decided_at);

CREATE TABLE cases (
  case_id      bigserial PRIMARY KEY,
  status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'investigating', 'closed')),
  queue        text NOT NULL,
  priority     smallint NOT NULL CHECK (priority BETWEEN 1 AND 4),
  assignee     text,
  card_id      text NOT NULL,
  customer_id  text NOT NULL,
  opened_at    timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  sla_due_at   timestamptz NOT NULL,
  closed_at    timestamptz,
  closed_by    text,
  outcome      text CHECK (outcome IN ('confirmed_fraud', 'legitimate', 'inconclusive')),
  alert_count  integer NOT NULL DEFAULT 0,
  max_score    double precision NOT NULL DEFAULT 0,
  CONSTRAINT closed_has_outcome CHECK ((status = 'closed') = (outcome IS NOT NULL))
);
-- "attached to the open case of the same card or customer": these two lookups run per alert.
CREATE INDEX cases_open_by_card ON cases (card_id) WHERE status <> 'closed';
CREATE INDEX cases_open_by_customer ON cases (customer_id) WHERE status <> 'closed';
CREATE INDEX cases_queue_order ON cases (status, priority, opened_at);

-- Alerts, idempotent per transaction_id (one alert per review/block decision).
CREATE TABLE alerts (
  alert_id         text PRIMARY KEY,
  transaction_id   text NOT NULL UNIQUE,
  case_id          bigint REFERENCES cases (case_id),
  card_id          text NOT NULL,
  customer_id      text NOT NULL,
  merchant_id      text NOT NULL,
  merchant_country text NOT NULL,
  amount           numeric(20, 4) NOT NULL,
  currency         text NOT NULL,
  decision         text NOT NULL CHECK (decision IN ('review', 'block')),
  score            double precision NOT NULL,
  reason           text NOT NULL,
  reasons          text[] NOT NULL,
  created_at       timestamptz NOT NULL,
  transaction      jsonb NOT NULL,
  stored_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_created_at ON alerts (created_at DESC);
CREATE INDEX alerts_case ON alerts (case_id);

CREATE TABLE case_notes (
  note_id    bigserial PRIMARY KEY,
  case_id    bigint NOT NULL REFERENCES cases (case_id),
  author     text NOT NULL,
  body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_notes_case ON case_notes (case_id, created_at);

-- The label store: append-only ground truth. The newest label per transaction (by labeled_at)
-- wins; `published_at` is the outbox flag for the `labels` topic (written in the same
-- transaction as the verdict, published after commit, retried until acknowledged).
CREATE TABLE labels (
  label_id       bigserial PRIMARY KEY,
  transaction_id text NOT NULL,
  is_fraud       boolean NOT NULL,
  labeled_at     timestamptz NOT NULL,
  source         text NOT NULL CHECK (source IN ('simulator', 'chargeback', 'analyst', 'import')),
  labeled_by     text,
  case_id        bigint REFERENCES cases (case_id),
  card_id        text,
  published_at   timestamptz,
  stored_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (transaction_id, source, labeled_at)
);
CREATE INDEX labels_by_transaction ON labels (transaction_id, labeled_at DESC);
CREATE INDEX labels_outbox ON labels (label_id) WHERE published_at IS NULL;

-- Allow and deny lists (the rules engine decides what a hit means; this is their persistence).
-- Same vocabulary as src/core/lists (kind, entity, value, expires_at, reason, added_at, added_by).
CREATE TABLE list_entries (
  kind       text NOT NULL CHECK (kind IN ('allow', 'deny')),
  entity     text NOT NULL CHECK (entity IN ('card', 'customer', 'device', 'ip', 'merchant', 'country')),
  value      text NOT NULL,
  reason     text,
  added_by   text,
  added_at   timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  PRIMARY KEY (kind, entity, value)
);

CREATE TABLE users (
  user_id       bigserial PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  role          text NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz
);

-- Only a SHA-256 of each session id and API token is stored: a leaked table grants nothing.
CREATE TABLE sessions (
  session_hash text PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
  token_id     bigserial PRIMARY KEY,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('service', 'viewer', 'analyst', 'admin')),
  token_hash   text NOT NULL UNIQUE,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- LGPD/GDPR: consent per data subject and purpose, append-only like the audit log (the newest
-- row per customer and purpose is the current state).
CREATE TABLE consents (
  consent_id  bigserial PRIMARY KEY,
  customer_id text NOT NULL,
  purpose     text NOT NULL,
  granted     boolean NOT NULL,
  source      text NOT NULL,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_subject ON consents (customer_id, purpose, recorded_at DESC);

-- The audit log: who, what, when, before and after. Append-only is enforced here, in the
-- database, so no role of the application (and no bug) can edit it: UPDATE, DELETE and
-- TRUNCATE raise. Each row also carries a SHA-256 hash chained to the previous row, so an
-- edit made by a superuser with triggers disabled is still detectable (audit_log_verify()).
CREATE TABLE audit_log (
  audit_id    bigint PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor       text NOT NULL,
  actor_role  text NOT NULL,
  action      text NOT NULL,
  target_type text,
  target_id   text,
  before      jsonb,
  after       jsonb,
  ip          text,
  request_id  text,
  prev_hash   text,
  row_hash    text NOT NULL
);
CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.audit_id;
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_row_hash(prev text, r audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|', coalesce(prev, ''), r.audit_id::text,
    ((extract(epoch FROM r.at) * 1000000)::bigint)::text, r.actor, r.actor_role, r.action,
    coalesce(r.target_type, ''), coalesce(r.target_id, ''), coalesce(r.before::text, ''),
    coalesce(r.after::text, ''), coalesce(r.ip, ''), coalesce(r.request_id, '')), 'UTF8')), 'hex')
$$;

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev text;
BEGIN
  -- One writer at a time, so the id order is the chain order (the id is drawn under the lock).
  PERFORM pg_advisory_xact_lock(727001);
  SELECT row_hash INTO prev FROM audit_log ORDER BY audit_id DESC LIMIT 1;
  NEW.audit_id := nextval('audit_log_id_seq');
  NEW.prev_hash := prev;
  NEW.row_hash := audit_log_row_hash(prev, NEW);
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER consents_no_update BEFORE UPDATE OR DELETE ON consents
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, consents FROM PUBLIC;

-- First row whose hash or link does not match, or NULL when the whole chain is intact.
CREATE FUNCTION audit_log_verify() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT min(audit_id) FROM (
    SELECT a.audit_id, a.row_hash, a.prev_hash, lag(a.row_hash) OVER (ORDER BY a.audit_id) AS expected_prev,
           audit_log_row_hash(a.prev_hash, a) AS recomputed
    FROM audit_log a
  ) c
  WHERE c.row_hash <> c.recomputed OR c.prev_hash IS DISTINCT FROM c.expected_prev
$$;
