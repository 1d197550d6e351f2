-- V3 (release 0.1.0): service-role maintenance functions and their own record of use.
--
-- Runs as flow_owner. The functions below are the only way to touch rows across tenants. They
-- are SECURITY DEFINER and owned by flow_service (NOLOGIN), which row level security lets
-- through only on the tables, columns and commands they need (the "_service" policies and the
-- grants at the end). Each one:
--   * refuses to run unless the transaction's actor is a service or the daemon itself
--     (app.actor 'service:<name>' or 'system:<name>', set by the Java wrapper ServiceMaintenance);
--   * records its use in flow_maint.service_role_events, in the caller's transaction;
--   * pins search_path and schema-qualifies every name.
-- The Java wrapper additionally writes an audit event (service_role.use) before it commits.
-- The actor check is an assertion by the daemon, like the tenant setting: it keeps run and user
-- requests from reaching these functions by mistake, not a compromised daemon.

CREATE TABLE flow_maint.service_role_events (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  function_name     text        NOT NULL,
  -- The tenant a call touched; NULL when it spans tenants (listing, purging).
  tenant_id         text,
  rows_affected     bigint      NOT NULL,
  actor_kind        text        NOT NULL,
  actor_id          text        NOT NULL,
  session_user_name text        NOT NULL DEFAULT session_user,
  detail            jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX service_role_events_tenant ON flow_maint.service_role_events (tenant_id, occurred_at);
ALTER TABLE flow_maint.service_role_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_maint.service_role_events FORCE ROW LEVEL SECURITY;
-- Readable per tenant by whoever is granted SELECT (nobody yet); written only by flow_service.
CREATE POLICY service_role_events_select ON flow_maint.service_role_events FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));
CREATE POLICY service_role_events_service ON flow_maint.service_role_events FOR INSERT TO flow_service
  WITH CHECK (true);

-- The record is append-only, for the owner too.
CREATE FUNCTION flow_maint.service_role_events_append_only() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'service_role_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER service_role_events_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON flow_maint.service_role_events
  FOR EACH STATEMENT EXECUTE FUNCTION flow_maint.service_role_events_append_only();

-- Row level security lets flow_service through where the maintenance functions need it.
CREATE POLICY connector_credentials_service ON flow.connector_credentials FOR ALL TO flow_service
  USING (true) WITH CHECK (true);
CREATE POLICY users_service ON flow.users FOR ALL TO flow_service
  USING (true) WITH CHECK (true);
CREATE POLICY sessions_service ON flow.sessions FOR ALL TO flow_service
  USING (true) WITH CHECK (true);
CREATE POLICY used_run_tokens_service ON flow.used_run_tokens FOR ALL TO flow_service
  USING (true) WITH CHECK (true);
CREATE POLICY auth_throttle_service ON flow.auth_throttle FOR ALL TO flow_service
  USING (true) WITH CHECK (true);

-- Internal: the actor check every function starts with.
CREATE FUNCTION flow_maint.require_service_actor() RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF coalesce(split_part(current_setting('app.actor', true), ':', 1), '') NOT IN ('service', 'system') THEN
    RAISE EXCEPTION 'service-role functions are for service and system actors only'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$$;

-- Internal: the record of one use.
CREATE FUNCTION flow_maint.record_service_use(p_function text, p_tenant text, p_rows bigint, p_detail jsonb)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  INSERT INTO flow_maint.service_role_events (function_name, tenant_id, rows_affected, actor_kind, actor_id, detail)
  VALUES (p_function, p_tenant, p_rows, split_part(current_setting('app.actor', true), ':', 1),
          coalesce(NULLIF(substr(current_setting('app.actor', true), strpos(current_setting('app.actor', true), ':') + 1), ''),
                   'unknown'),
          coalesce(p_detail, '{}'));
END
$$;

-- Internal: page sizes are bounded.
CREATE FUNCTION flow_maint.check_limit(p_limit integer) RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
    RAISE EXCEPTION 'limit must be between 1 and 1000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- Credential versions whose data key is wrapped under p_key_ref (all when NULL), in primary-key
-- order after the given cursor (NULLs: from the start), at most p_limit (1..1000). Returns the
-- wrapped keys only, never ciphertext.
CREATE FUNCTION flow_maint.list_credentials_for_rewrap(
    p_key_ref text, p_after_tenant text, p_after_connector text, p_after_version integer, p_limit integer)
  RETURNS TABLE (tenant_id text, connector_id text, version integer, credential_id uuid,
                 key_ref text, wrapped_key bytea)
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_rows bigint;
BEGIN
  PERFORM flow_maint.require_service_actor();
  PERFORM flow_maint.check_limit(p_limit);
  RETURN QUERY
    SELECT c.tenant_id, c.connector_id, c.version, c.credential_id, c.key_ref, c.wrapped_key
      FROM flow.connector_credentials c
     WHERE (p_key_ref IS NULL OR c.key_ref = p_key_ref)
       AND (c.tenant_id, c.connector_id, c.version)
           > (coalesce(p_after_tenant, ''), coalesce(p_after_connector, ''), coalesce(p_after_version, 0))
     ORDER BY c.tenant_id, c.connector_id, c.version
     LIMIT p_limit;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  PERFORM flow_maint.record_service_use('list_credentials_for_rewrap', NULL, v_rows,
                                        jsonb_build_object('key_ref', p_key_ref));
END
$$;

-- Replaces one version's wrapped data key (and key reference) if it still is p_expected_wrapped_key
-- (compare-and-set, so a concurrent rotation is never overwritten). True when it was replaced.
CREATE FUNCTION flow_maint.rewrap_credential(
    p_tenant text, p_connector text, p_version integer,
    p_expected_wrapped_key bytea, p_new_wrapped_key bytea, p_new_key_ref text)
  RETURNS boolean
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_rows bigint;
BEGIN
  PERFORM flow_maint.require_service_actor();
  UPDATE flow.connector_credentials c
     SET wrapped_key = p_new_wrapped_key, key_ref = p_new_key_ref
   WHERE c.tenant_id = p_tenant AND c.connector_id = p_connector AND c.version = p_version
     AND c.wrapped_key = p_expected_wrapped_key;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  PERFORM flow_maint.record_service_use('rewrap_credential', p_tenant, v_rows,
      jsonb_build_object('connector_id', p_connector, 'version', p_version, 'key_ref', p_new_key_ref));
  RETURN v_rows = 1;
END
$$;

-- Sealed TOTP seeds (slot 'confirmed' or 'pending') whose data key is wrapped under p_key_ref
-- (all when NULL), ordered by (user_id, slot) after the cursor, at most p_limit (1..1000).
CREATE FUNCTION flow_maint.list_mfa_secrets_for_rewrap(
    p_key_ref text, p_after_user uuid, p_after_slot text, p_limit integer)
  RETURNS TABLE (tenant_id text, user_id uuid, slot text, key_ref text, wrapped_dek bytea)
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_rows bigint;
BEGIN
  PERFORM flow_maint.require_service_actor();
  PERFORM flow_maint.check_limit(p_limit);
  RETURN QUERY
    SELECT s.tenant_id, s.user_id, s.slot, s.key_ref, s.wrapped_dek
      FROM (SELECT u.tenant_id, u.id AS user_id, 'confirmed'::text AS slot,
                   u.mfa_key_ref AS key_ref, u.mfa_wrapped_dek AS wrapped_dek
              FROM flow.users u
             WHERE u.mfa_wrapped_dek IS NOT NULL
            UNION ALL
            SELECT u.tenant_id, u.id, 'pending'::text, u.mfa_pending_key_ref, u.mfa_pending_wrapped_dek
              FROM flow.users u
             WHERE u.mfa_pending_wrapped_dek IS NOT NULL) s
     WHERE (p_key_ref IS NULL OR s.key_ref = p_key_ref)
       AND (s.user_id, s.slot)
           > (coalesce(p_after_user, '00000000-0000-0000-0000-000000000000'::uuid), coalesce(p_after_slot, ''))
     ORDER BY s.user_id, s.slot
     LIMIT p_limit;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  PERFORM flow_maint.record_service_use('list_mfa_secrets_for_rewrap', NULL, v_rows,
                                        jsonb_build_object('key_ref', p_key_ref));
END
$$;

-- Compare-and-set of one sealed TOTP seed's wrapped data key. True when it was replaced.
CREATE FUNCTION flow_maint.rewrap_mfa_secret(
    p_tenant text, p_user uuid, p_slot text,
    p_expected_wrapped_dek bytea, p_new_wrapped_dek bytea, p_new_key_ref text)
  RETURNS boolean
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_rows bigint;
BEGIN
  PERFORM flow_maint.require_service_actor();
  IF p_slot = 'confirmed' THEN
    UPDATE flow.users u SET mfa_wrapped_dek = p_new_wrapped_dek, mfa_key_ref = p_new_key_ref
     WHERE u.tenant_id = p_tenant AND u.id = p_user AND u.mfa_wrapped_dek = p_expected_wrapped_dek;
  ELSIF p_slot = 'pending' THEN
    UPDATE flow.users u SET mfa_pending_wrapped_dek = p_new_wrapped_dek, mfa_pending_key_ref = p_new_key_ref
     WHERE u.tenant_id = p_tenant AND u.id = p_user AND u.mfa_pending_wrapped_dek = p_expected_wrapped_dek;
  ELSE
    RAISE EXCEPTION 'slot must be confirmed or pending' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  PERFORM flow_maint.record_service_use('rewrap_mfa_secret', p_tenant, v_rows,
      jsonb_build_object('slot', p_slot, 'key_ref', p_new_key_ref));
  RETURN v_rows = 1;
END
$$;

-- Deletes what can no longer matter, across tenants: sessions expired (idle or absolute) or
-- revoked before p_now, run-token ids that expired before p_now, and throttle entries with no
-- failure since p_now - p_throttle_idle and no lock in force.
CREATE FUNCTION flow_maint.purge_expired(p_now timestamptz, p_throttle_idle interval)
  RETURNS TABLE (sessions bigint, run_tokens bigint, throttle_entries bigint)
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_sessions   bigint;
  v_run_tokens bigint;
  v_throttle   bigint;
BEGIN
  PERFORM flow_maint.require_service_actor();
  IF p_now IS NULL OR p_throttle_idle IS NULL OR p_throttle_idle < interval '0' THEN
    RAISE EXCEPTION 'p_now and a non-negative p_throttle_idle are required' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM flow.sessions s
   WHERE s.absolute_expires_at < p_now OR s.idle_expires_at < p_now OR s.revoked_at < p_now;
  GET DIAGNOSTICS v_sessions = ROW_COUNT;
  DELETE FROM flow.used_run_tokens t WHERE t.expires_at < p_now;
  GET DIAGNOSTICS v_run_tokens = ROW_COUNT;
  DELETE FROM flow.auth_throttle a
   WHERE a.last_failure_at < p_now - p_throttle_idle AND (a.locked_until IS NULL OR a.locked_until < p_now);
  GET DIAGNOSTICS v_throttle = ROW_COUNT;
  PERFORM flow_maint.record_service_use('purge_expired', NULL, v_sessions + v_run_tokens + v_throttle,
      jsonb_build_object('sessions', v_sessions, 'run_tokens', v_run_tokens, 'throttle_entries', v_throttle));
  RETURN QUERY SELECT v_sessions, v_run_tokens, v_throttle;
END
$$;

-- Privileges, then ownership (a GRANT needs the owner; ALTER ... OWNER carries the ACL over to
-- the new owner). Nothing here is executable by PUBLIC; flow_app may call the five public
-- functions (which check the actor themselves), never the internal helpers.
REVOKE ALL ON FUNCTION
  flow_maint.service_role_events_append_only(),
  flow_maint.require_service_actor(),
  flow_maint.record_service_use(text, text, bigint, jsonb),
  flow_maint.check_limit(integer),
  flow_maint.list_credentials_for_rewrap(text, text, text, integer, integer),
  flow_maint.rewrap_credential(text, text, integer, bytea, bytea, text),
  flow_maint.list_mfa_secrets_for_rewrap(text, uuid, text, integer),
  flow_maint.rewrap_mfa_secret(text, uuid, text, bytea, bytea, text),
  flow_maint.purge_expired(timestamptz, interval)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  flow_maint.list_credentials_for_rewrap(text, text, text, integer, integer),
  flow_maint.rewrap_credential(text, text, integer, bytea, bytea, text),
  flow_maint.list_mfa_secrets_for_rewrap(text, uuid, text, integer),
  flow_maint.rewrap_mfa_secret(text, uuid, text, bytea, bytea, text),
  flow_maint.purge_expired(timestamptz, interval)
  TO flow_app;

ALTER FUNCTION flow_maint.require_service_actor() OWNER TO flow_service;
ALTER FUNCTION flow_maint.record_service_use(text, text, bigint, jsonb) OWNER TO flow_service;
ALTER FUNCTION flow_maint.check_limit(integer) OWNER TO flow_service;
ALTER FUNCTION flow_maint.list_credentials_for_rewrap(text, text, text, integer, integer) OWNER TO flow_service;
ALTER FUNCTION flow_maint.rewrap_credential(text, text, integer, bytea, bytea, text) OWNER TO flow_service;
ALTER FUNCTION flow_maint.list_mfa_secrets_for_rewrap(text, uuid, text, integer) OWNER TO flow_service;
ALTER FUNCTION flow_maint.rewrap_mfa_secret(text, uuid, text, bytea, bytea, text) OWNER TO flow_service;
ALTER FUNCTION flow_maint.purge_expired(timestamptz, interval) OWNER TO flow_service;

-- What flow_service itself may touch (through the policies above).
GRANT SELECT ON flow.connector_credentials TO flow_service;
GRANT UPDATE (wrapped_key, key_ref) ON flow.connector_credentials TO flow_service;
GRANT SELECT ON flow.users TO flow_service;
GRANT UPDATE (mfa_wrapped_dek, mfa_key_ref, mfa_pending_wrapped_dek, mfa_pending_key_ref) ON flow.users TO flow_service;
GRANT SELECT, DELETE ON flow.sessions, flow.used_run_tokens, flow.auth_throttle TO flow_service;
GRANT INSERT ON flow_maint.service_role_events TO flow_service;
