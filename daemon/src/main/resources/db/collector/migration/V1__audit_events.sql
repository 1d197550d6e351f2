-- V1: the append-only audit trail received from the daemons.
-- Owned by flow_audit_owner; flow_collector may only INSERT and SELECT events.

-- Every event as received. Partitioned by month of event_time: retention drops whole partitions.
-- The primary key includes the partition key (PostgreSQL requires it); an event's time never
-- changes, so (event_id, event_time) identifies it and makes redelivery idempotent.
CREATE TABLE audit.events (
  event_id        uuid        NOT NULL,
  event_time      timestamptz NOT NULL,
  tenant_id       text        NOT NULL,
  daemon_instance text        NOT NULL,
  sequence        bigint      NOT NULL CHECK (sequence > 0),
  actor_kind      text        NOT NULL,
  actor_id        text        NOT NULL,
  action          text        NOT NULL,
  target          text        NOT NULL,
  outcome         text        NOT NULL,
  reason_code     text        NOT NULL,
  request_id      text        NOT NULL,
  region          text        NOT NULL,
  prev_hash       bytea       NOT NULL CHECK (length(prev_hash) = 32),
  hash            bytea       NOT NULL CHECK (length(hash) = 32),
  -- The exact protobuf record as the daemon sent it, so the chain can be re-verified later.
  record          bytea       NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, event_time)
) PARTITION BY RANGE (event_time);

-- Events whose time falls outside every month partition (a daemon with a wrong clock).
CREATE TABLE audit.events_default PARTITION OF audit.events DEFAULT;

-- "Pull the audit trail": a tenant's events by time, newest first, optionally by actor/target/action.
CREATE INDEX events_tenant_time ON audit.events (tenant_id, event_time DESC, event_id DESC);
CREATE INDEX events_instance_sequence ON audit.events (daemon_instance, sequence);

-- Append-only, enforced twice: privileges (below) and these triggers, which refuse UPDATE and
-- DELETE on every partition (row triggers on a partitioned table are cloned to its partitions)
-- and TRUNCATE. Statement triggers are not cloned, so every partition gets its own TRUNCATE
-- trigger: the default partition here, the monthly ones in audit.ensure_month_partition. The
-- owner can still drop a whole partition: retention, the only way rows ever leave the table.
CREATE FUNCTION audit.refuse_change() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'audit.events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_append_only_rows
  BEFORE UPDATE OR DELETE ON audit.events
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER events_append_only_truncate
  BEFORE TRUNCATE ON audit.events
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER events_append_only_truncate
  BEFORE TRUNCATE ON audit.events_default
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

-- The partition of the month of `month` (audit.events_yYYYYmMM, [first day, first of next month)
-- in UTC) with its TRUNCATE trigger, unless it exists. Returns whether it created it. Run by the
-- owner (PartitionMaintenance); replicas running it at once are serialized by an advisory lock.
-- Fails when rows of that month already sit in the default partition.
CREATE FUNCTION audit.ensure_month_partition(month date) RETURNS boolean
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  name text := 'events_y' || to_char(first, 'YYYY') || 'm' || to_char(first, 'MM');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('audit.ensure_month_partition'));
  IF to_regclass(format('audit.%I', name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE audit.%I PARTITION OF audit.events FOR VALUES FROM (%L) TO (%L)',
                 name, first::text || ' 00:00:00+00', (first + interval '1 month')::date::text || ' 00:00:00+00');
  EXECUTE format('CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON audit.%I'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()', name);
  RETURN true;
END
$$;
REVOKE ALL ON FUNCTION audit.ensure_month_partition(date) FROM PUBLIC;

-- The last record stored per daemon chain, for verifying the next one on arrival.
CREATE TABLE audit.chain_heads (
  daemon_instance text        PRIMARY KEY,
  last_sequence   bigint      NOT NULL,
  last_hash       bytea       NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Chain anomalies seen on arrival: a gap (records missing), a fork (a record that does not
-- follow the previous one, or a second record with a sequence already stored), a bad hash.
CREATE TABLE audit.alarms (
  id                bigserial   PRIMARY KEY,
  daemon_instance   text        NOT NULL,
  kind              text        NOT NULL CHECK (kind IN ('gap', 'fork', 'bad_hash')),
  expected_sequence bigint,
  got_sequence      bigint      NOT NULL,
  event_id          uuid,
  raised_at         timestamptz NOT NULL DEFAULT now()
);

-- Real-time audit webhooks (Enterprise): one endpoint per tenant. The secret signs deliveries
-- (HMAC-SHA256); it is the tenant's, shown to them once, and never leaves the collector otherwise.
CREATE TABLE audit.webhooks (
  tenant_id  text        PRIMARY KEY,
  -- https, or plain http to 127.0.0.1 exactly (tests; the collector also needs
  -- collector.webhooks.allow_http_loopback). A LIKE 'http://127.0.0.1%' would admit
  -- http://127.0.0.1.example.com.
  url        text        NOT NULL CHECK (url ~ '^https://[^/?#@\s]+(/[^\s]*)?$' OR url ~ '^http://127\.0\.0\.1(:[0-9]{1,5})?(/[^\s]*)?$'),
  secret     bytea       NOT NULL CHECK (length(secret) >= 32),
  enabled    boolean     NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Deliveries still to make, written in the same transaction as the events they carry, so a
-- delivery is never lost and never blocks ingestion.
CREATE TABLE audit.webhook_outbox (
  id              bigserial   PRIMARY KEY,
  tenant_id       text        NOT NULL,
  event_id        uuid        NOT NULL,
  event_time      timestamptz NOT NULL,
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claimed_until   timestamptz,
  last_status     text,
  dead_at         timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_outbox_due ON audit.webhook_outbox (next_attempt_at) WHERE dead_at IS NULL;

GRANT INSERT, SELECT ON audit.events TO flow_collector;
GRANT SELECT, INSERT, UPDATE ON audit.chain_heads TO flow_collector;
GRANT SELECT, INSERT ON audit.alarms TO flow_collector;
GRANT USAGE ON SEQUENCE audit.alarms_id_seq TO flow_collector;
GRANT SELECT ON audit.webhooks TO flow_collector;
GRANT SELECT, INSERT, UPDATE, DELETE ON audit.webhook_outbox TO flow_collector;
GRANT USAGE ON SEQUENCE audit.webhook_outbox_id_seq TO flow_collector;
