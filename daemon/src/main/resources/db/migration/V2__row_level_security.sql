-- V2 (release 0.1.0): row level security, has_role() and the application role's grants.
--
-- Runs as flow_owner. Every table that holds tenant data (and tenants itself, keyed on id) gets
-- ENABLE and FORCE ROW LEVEL SECURITY (FORCE: the owner is subject to the policies too) and one
-- policy per command, keyed on the transaction's tenant:
--
--     NULLIF(current_setting('app.tenant_id', true), '')
--
-- The daemon sets app.tenant_id and app.actor ("<kind>:<id>": user:<uuid>, run:<run id>,
-- service:<name>, system:sidecar) with set_config(name, value, true) inside each transaction (TenantScope). Without the setting the
-- expression is NULL, so nothing is visible and nothing can be written. NULLIF matters: after a
-- transaction-local set_config ends, the setting reads as '' rather than NULL on that connection.
--
-- Admin-only writes (user_roles; connectors and connector_credentials; inserting and deleting
-- users; updating tenants) also require flow.actor_is_admin(): the transaction's actor is a
-- service or the daemon itself (actor kind 'service' or 'system'), or a user who holds the
-- admin role in the tenant according to flow.has_role().
--
-- What this protects against: a query that names the wrong tenant, forgets its WHERE clause, or
-- runs on a pooled connection without a tenant; an application authorization bug that lets a
-- non-admin user's request reach an admin-only write. What it does NOT protect against: code
-- that runs as flow_app and sets app.tenant_id or app.actor to whatever it likes — the
-- settings are assertions by the daemon, not proofs. The tenant must come from the authenticated
-- principal (the application's job); RLS is the second wall, not the only one.

-- ---------------------------------------------------------------------------------------------
-- has_role: does the user hold the role in the tenant? SECURITY DEFINER so that policies can use
-- it whatever the invoker may read, with a pinned search_path and schema-qualified names so that
-- no object of the caller's can be substituted. Because the tables FORCE row level security, the
-- owner is subject to the policies inside this function too: it answers only for the current
-- transaction's tenant (has_role(u, 'other-tenant', r) is false), so it cannot serve as a
-- cross-tenant oracle. A disabled user holds no role.
CREATE FUNCTION flow.has_role(p_user uuid, p_tenant text, p_role text) RETURNS boolean
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (
    SELECT 1
      FROM flow.user_roles r
      JOIN flow.users u ON u.tenant_id = r.tenant_id AND u.id = r.user_id
     WHERE r.user_id = p_user
       AND r.tenant_id = p_tenant
       AND r.role = p_role
       AND u.status = 'active')
$$;

-- May the transaction's actor perform admin-only writes in the current tenant? Policies call it
-- as "(SELECT flow.actor_is_admin())" so that it runs once per statement, not once per row.
CREATE FUNCTION flow.actor_is_admin() RETURNS boolean
  LANGUAGE sql
  STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE split_part(current_setting('app.actor', true), ':', 1)
           WHEN 'service' THEN true
           WHEN 'system' THEN true
           WHEN 'user' THEN coalesce(flow.has_role(
               substr(current_setting('app.actor', true), 6)::uuid,
               NULLIF(current_setting('app.tenant_id', true), ''),
               'admin'), false)
           ELSE false
         END
$$;

REVOKE ALL ON FUNCTION flow.has_role(uuid, text, text), flow.actor_is_admin() FROM PUBLIC;
-- Policy expressions run with the privileges of the querying role.
GRANT EXECUTE ON FUNCTION flow.has_role(uuid, text, text), flow.actor_is_admin() TO flow_app, flow_service;
REVOKE ALL ON FUNCTION
  flow.connector_credentials_before_insert(), flow.connector_credentials_before_update(),
  flow.sessions_before_update(), flow.connector_credentials_notify(), flow.sessions_notify_revoked()
  FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- tenants: keyed on id. Only services and the daemon create or delete tenants; admins and
-- services update their settings.
ALTER TABLE flow.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow.tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_select ON flow.tenants FOR SELECT
  USING (id = NULLIF(current_setting('app.tenant_id', true), ''));
CREATE POLICY tenants_insert ON flow.tenants FOR INSERT
  WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')
              AND split_part(current_setting('app.actor', true), ':', 1) IN ('service', 'system'));
CREATE POLICY tenants_update ON flow.tenants FOR UPDATE
  USING (id = NULLIF(current_setting('app.tenant_id', true), '') AND (SELECT flow.actor_is_admin()))
  WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), ''));
CREATE POLICY tenants_delete ON flow.tenants FOR DELETE
  USING (id = NULLIF(current_setting('app.tenant_id', true), '')
         AND split_part(current_setting('app.actor', true), ':', 1) IN ('service', 'system'));

-- users: reads and updates (password change, MFA enrollment, TOTP step, status) within the
-- tenant; creating and deleting users is admin-only.
ALTER TABLE flow.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow.users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_select ON flow.users FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));
CREATE POLICY users_insert ON flow.users FOR INSERT
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '') AND (SELECT flow.actor_is_admin()));
CREATE POLICY users_update ON flow.users FOR UPDATE
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));
CREATE POLICY users_delete ON flow.users FOR DELETE
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '') AND (SELECT flow.actor_is_admin()));

-- Admin-only tables: user_roles (granting is an INSERT, revoking a DELETE), connectors and
-- connector_credentials (seal, rotate, revoke; re-wrapping across tenants goes through flow_maint
-- as flow_service). Reads within the tenant; every write also needs flow.actor_is_admin().
DO $policies$
DECLARE
  t text;
  tenant constant text := $e$tenant_id = NULLIF(current_setting('app.tenant_id', true), '')$e$;
  admin constant text := '(SELECT flow.actor_is_admin())';
BEGIN
  FOREACH t IN ARRAY ARRAY['user_roles', 'connectors', 'connector_credentials'] LOOP
    EXECUTE format('ALTER TABLE flow.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE flow.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON flow.%I FOR SELECT USING (%s)', t || '_select', t, tenant);
    EXECUTE format('CREATE POLICY %I ON flow.%I FOR INSERT WITH CHECK (%s AND %s)', t || '_insert', t, tenant, admin);
    EXECUTE format('CREATE POLICY %I ON flow.%I FOR UPDATE USING (%s AND %s) WITH CHECK (%s)',
                   t || '_update', t, tenant, admin, tenant);
    EXECUTE format('CREATE POLICY %I ON flow.%I FOR DELETE USING (%s AND %s)', t || '_delete', t, tenant, admin);
  END LOOP;

  -- sessions, used_run_tokens, auth_throttle: written by the daemon's authentication code for
  -- whoever is signing in, so tenant-scoped without a role check (one policy for all commands).
  FOREACH t IN ARRAY ARRAY['sessions', 'used_run_tokens', 'auth_throttle'] LOOP
    EXECUTE format('ALTER TABLE flow.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE flow.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON flow.%I FOR ALL USING (%s) WITH CHECK (%s)', t || '_tenant', t, tenant, tenant);
  END LOOP;
END
$policies$;

-- ---------------------------------------------------------------------------------------------
-- Grants to the application role: exactly what the daemon does, column by column for UPDATE.
-- Sealed material (ciphertext, wrapped keys) is never updatable by flow_app; ids, tenant_id and
-- created_at never change.
GRANT SELECT, INSERT, DELETE ON flow.tenants TO flow_app;
GRANT UPDATE (name, plan, residency_region, cross_region_opt_in, oidc_issuer, oidc_audience,
              oidc_jwks_uri, session_idle_timeout, session_absolute_timeout, kms_key_ref)
  ON flow.tenants TO flow_app;

GRANT SELECT, INSERT, DELETE ON flow.users TO flow_app;
GRANT UPDATE (email, password_hash, password_changed_at,
              mfa_secret, mfa_wrapped_dek, mfa_key_ref, mfa_confirmed_at, mfa_last_used_step,
              mfa_pending_secret, mfa_pending_wrapped_dek, mfa_pending_key_ref, mfa_pending_expires_at,
              status)
  ON flow.users TO flow_app;

GRANT SELECT, INSERT, DELETE ON flow.user_roles TO flow_app;

GRANT SELECT, INSERT, DELETE ON flow.connectors TO flow_app;
GRANT UPDATE (display_name) ON flow.connectors TO flow_app;

-- No DELETE: credential history stays until its connector is deleted (cascade).
GRANT SELECT, INSERT ON flow.connector_credentials TO flow_app;
GRANT UPDATE (rotated_at, revoked_at) ON flow.connector_credentials TO flow_app;

GRANT SELECT, INSERT, DELETE ON flow.sessions TO flow_app;
GRANT UPDATE (last_seen_at, idle_expires_at, mfa_at, revoked_at, revoke_reason) ON flow.sessions TO flow_app;

GRANT SELECT, INSERT, DELETE ON flow.used_run_tokens TO flow_app;

GRANT SELECT, INSERT, DELETE ON flow.auth_throttle TO flow_app;
GRANT UPDATE (failures, first_failure_at, last_failure_at, locked_until) ON flow.auth_throttle TO flow_app;
