-- V1 (release 0.1.0): the tables of the tenant data layer.
--
-- Runs as flow_owner under Flyway, after db/bootstrap.sql created the roles and the schemas
-- flow and flow_maint. Row level security, grants and policies follow in V2; the service-role
-- maintenance functions in V3. Append-only: never edit this file once released; add V4, V5...
--
-- Conventions
--   * Every tenant-owned table has tenant_id as its first column and the first column of its
--     primary key, so the RLS predicate "tenant_id = <current tenant>" is an index prefix.
--   * Identifiers are validated here as well as in Java: tenant ids are slugs
--     ^[a-z0-9][a-z0-9-]{0,62}$, connector ids ^[a-z0-9][a-z0-9._-]{0,63}$, user ids UUIDs.
--   * Sealed secrets (connector credentials, TOTP seeds) are stored as the crypto layer's
--     ciphertext plus the data key wrapped by the tenant's KMS key and that key's reference; the
--     database never sees plaintext or an unwrapped key.
--   * Times are timestamptz (UTC on the wire); durations are intervals.

CREATE TABLE flow.tenants (
  id                       text        PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name                     text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  plan                     text        NOT NULL CHECK (plan IN ('starter', 'growth', 'scale', 'enterprise')),
  residency_region         text        NOT NULL CHECK (residency_region ~ '^[a-z]{2}(-[a-z]+)+-[0-9]$'),
  cross_region_opt_in      boolean     NOT NULL DEFAULT false,
  -- OIDC single sign-on (Scale and Enterprise; the plan check is the application's).
  oidc_issuer              text        CHECK (length(oidc_issuer) BETWEEN 1 AND 2048),
  oidc_audience            text        CHECK (length(oidc_audience) BETWEEN 1 AND 2048),
  oidc_jwks_uri            text        CHECK (length(oidc_jwks_uri) BETWEEN 1 AND 2048),
  -- Per-tenant overrides of the daemon's session timeouts; NULL means the configured default.
  session_idle_timeout     interval    CHECK (session_idle_timeout > interval '0'),
  session_absolute_timeout interval    CHECK (session_absolute_timeout > interval '0'),
  -- The tenant's KMS key (a key URI such as vault-transit://...); NULL until provisioned.
  kms_key_ref              text        CHECK (length(kms_key_ref) BETWEEN 1 AND 1024),
  created_at               timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tenants_oidc_complete CHECK ((oidc_issuer IS NULL) = (oidc_audience IS NULL)),
  CONSTRAINT tenants_jwks_needs_issuer CHECK (oidc_jwks_uri IS NULL OR oidc_issuer IS NOT NULL),
  CONSTRAINT tenants_session_timeouts CHECK (
    session_idle_timeout IS NULL OR session_absolute_timeout IS NULL
    OR session_idle_timeout <= session_absolute_timeout)
);

-- Users. Roles are NOT here: they live in user_roles (one row per role).
CREATE TABLE flow.users (
  tenant_id               text        NOT NULL REFERENCES flow.tenants (id) ON DELETE CASCADE,
  id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  email                   text        NOT NULL CHECK (length(email) <= 320 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  -- bcrypt ($2a$, $2b$ or $2y$); NULL for users who sign in only through SSO.
  password_hash           text        CHECK (password_hash ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$'),
  password_changed_at     timestamptz,
  -- The confirmed TOTP seed, sealed: ciphertext, its data key wrapped by the tenant KMS key,
  -- and that key's reference. All three or none.
  mfa_secret              bytea,
  mfa_wrapped_dek         bytea,
  mfa_key_ref             text,
  mfa_confirmed_at        timestamptz,
  -- The last accepted TOTP time step (unix time / step); a code at or below it is a replay.
  mfa_last_used_step      bigint      CHECK (mfa_last_used_step >= 0),
  -- An enrollment that is not confirmed yet, sealed the same way, and when it lapses.
  mfa_pending_secret      bytea,
  mfa_pending_wrapped_dek bytea,
  mfa_pending_key_ref     text,
  mfa_pending_expires_at  timestamptz,
  status                  text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at              timestamptz NOT NULL DEFAULT now(),
  -- Lets user_roles and sessions reference (tenant_id, id), so that a row can never pair a user
  -- with a tenant other than the user's own.
  CONSTRAINT users_tenant_id_key UNIQUE (tenant_id, id),
  CONSTRAINT users_mfa_sealed CHECK (
    num_nulls(mfa_secret, mfa_wrapped_dek, mfa_key_ref) IN (0, 3)),
  CONSTRAINT users_mfa_confirmed CHECK (mfa_confirmed_at IS NULL OR mfa_secret IS NOT NULL),
  CONSTRAINT users_mfa_pending_sealed CHECK (
    num_nulls(mfa_pending_secret, mfa_pending_wrapped_dek, mfa_pending_key_ref, mfa_pending_expires_at) IN (0, 4))
);
-- E-mail addresses are unique per tenant, case-insensitively; look up with lower(email) = lower(?).
CREATE UNIQUE INDEX users_tenant_email_key ON flow.users (tenant_id, lower(email));

CREATE TABLE flow.user_roles (
  tenant_id  text        NOT NULL,
  user_id    uuid        NOT NULL,
  role       text        NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  -- Who granted it, e.g. "user:<uuid>", "service:control-plane" or "system".
  granted_by text        NOT NULL CHECK (length(granted_by) BETWEEN 1 AND 200),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, tenant_id, role),
  FOREIGN KEY (tenant_id, user_id) REFERENCES flow.users (tenant_id, id) ON DELETE CASCADE
);
-- "Who are the admins of this tenant"; the primary key serves has_role() and the foreign key.
CREATE INDEX user_roles_tenant_role ON flow.user_roles (tenant_id, role);

CREATE TABLE flow.connectors (
  tenant_id    text        NOT NULL REFERENCES flow.tenants (id) ON DELETE CASCADE,
  id           text        NOT NULL CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  display_name text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

-- Every version of a connector's credential. The current version is the highest one; a version
-- is superseded when rotated_at is set (by the insert of the next version) and revoked when
-- revoked_at is set. Neither goes back to NULL, and the sealed material never changes except
-- through a re-wrap of its data key (flow_maint.rewrap_credential).
CREATE TABLE flow.connector_credentials (
  tenant_id     text        NOT NULL,
  connector_id  text        NOT NULL,
  -- Stable across versions of one connector's credential (bound into the ciphertext's AAD).
  credential_id uuid        NOT NULL,
  version       integer     NOT NULL CHECK (version >= 1),
  ciphertext    bytea       NOT NULL,
  wrapped_key   bytea       NOT NULL,
  key_ref       text        NOT NULL CHECK (length(key_ref) BETWEEN 1 AND 1024),
  -- The names (never the values) of the secret fields, for ListCredentials.
  field_names   text[]      NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  rotated_at    timestamptz,
  revoked_at    timestamptz,
  PRIMARY KEY (tenant_id, connector_id, version),
  FOREIGN KEY (tenant_id, connector_id) REFERENCES flow.connectors (tenant_id, id) ON DELETE CASCADE
);
-- Re-wrapping at key rotation walks the rows sealed under one key.
CREATE INDEX connector_credentials_key_ref ON flow.connector_credentials (key_ref, tenant_id, connector_id, version);

-- Sessions of people (kind user), runs (kind run) and half-finished MFA logins (mfa_challenge).
-- Only the SHA-256 of a token is stored. Tokens look like fss_<tenant>_<random>, so every lookup
-- knows its tenant before it reaches the database and runs under the tenant's RLS like any other.
CREATE TABLE flow.sessions (
  token_hash          bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  tenant_id           text        NOT NULL REFERENCES flow.tenants (id) ON DELETE CASCADE,
  kind                text        NOT NULL CHECK (kind IN ('user', 'run', 'mfa_challenge')),
  user_id             uuid,
  run_id              text        CHECK (length(run_id) BETWEEN 1 AND 200),
  workflow_id         text        CHECK (length(workflow_id) BETWEEN 1 AND 200),
  -- For run sessions: the connectors the run may use (from its run token).
  allowed_connectors  text[]      NOT NULL DEFAULT '{}',
  created_at          timestamptz NOT NULL DEFAULT now(),
  last_seen_at        timestamptz NOT NULL DEFAULT now(),
  idle_expires_at     timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  -- When the user last passed MFA in this session (step-up checks).
  mfa_at              timestamptz,
  revoked_at          timestamptz,
  revoke_reason       text        CHECK (length(revoke_reason) BETWEEN 1 AND 200),
  CONSTRAINT sessions_principal CHECK (
    (kind = 'run' AND run_id IS NOT NULL AND user_id IS NULL)
    OR (kind IN ('user', 'mfa_challenge') AND user_id IS NOT NULL AND run_id IS NULL
        AND workflow_id IS NULL AND allowed_connectors = '{}')),
  CONSTRAINT sessions_expiry CHECK (absolute_expires_at > created_at AND idle_expires_at <= absolute_expires_at),
  CONSTRAINT sessions_revoke_reason CHECK (revoke_reason IS NULL OR revoked_at IS NOT NULL),
  FOREIGN KEY (tenant_id, user_id) REFERENCES flow.users (tenant_id, id) ON DELETE CASCADE
);
-- "Revoke every session of this user" (password or MFA change) and the foreign key.
CREATE INDEX sessions_tenant_user ON flow.sessions (tenant_id, user_id);
-- Purging expired sessions across tenants (flow_maint.purge_expired).
CREATE INDEX sessions_absolute_expiry ON flow.sessions (absolute_expires_at);

-- Run-token ids already exchanged, shared by every daemon: a jti is accepted once
-- (INSERT ... ON CONFLICT DO NOTHING, then check the row count).
CREATE TABLE flow.used_run_tokens (
  tenant_id  text        NOT NULL REFERENCES flow.tenants (id) ON DELETE CASCADE,
  jti        text        NOT NULL CHECK (length(jti) BETWEEN 1 AND 256),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, jti)
);
CREATE INDEX used_run_tokens_expiry ON flow.used_run_tokens (expires_at);

-- Failed sign-in attempts per account (key: the lower-cased e-mail) and per source (key: the
-- peer address), shared by every daemon. No foreign key to tenants on purpose: attempts against
-- a tenant id that does not exist are throttled too, the same way as any other.
CREATE TABLE flow.auth_throttle (
  tenant_id        text        NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  scope            text        NOT NULL CHECK (scope IN ('account', 'source')),
  key              text        NOT NULL CHECK (length(key) BETWEEN 1 AND 512),
  failures         integer     NOT NULL CHECK (failures >= 0),
  first_failure_at timestamptz NOT NULL,
  last_failure_at  timestamptz NOT NULL,
  locked_until     timestamptz,
  PRIMARY KEY (tenant_id, scope, key),
  CONSTRAINT auth_throttle_order CHECK (first_failure_at <= last_failure_at)
);
CREATE INDEX auth_throttle_last_failure ON flow.auth_throttle (last_failure_at);

-- Credential versions: contiguous, one credential_id per connector, and inserting version n+1
-- marks version n as rotated. Runs as the inserting role, under its RLS (same tenant).
CREATE FUNCTION flow.connector_credentials_before_insert() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_current    integer;
  v_credential uuid;
BEGIN
  SELECT c.version, c.credential_id INTO v_current, v_credential
    FROM flow.connector_credentials c
   WHERE c.tenant_id = NEW.tenant_id AND c.connector_id = NEW.connector_id
   ORDER BY c.version DESC
   LIMIT 1;
  IF NEW.version <> coalesce(v_current, 0) + 1 THEN
    RAISE EXCEPTION 'credential versions must be contiguous' USING ERRCODE = 'check_violation';
  END IF;
  IF v_credential IS NOT NULL AND NEW.credential_id <> v_credential THEN
    RAISE EXCEPTION 'credential_id must stay the same across versions' USING ERRCODE = 'check_violation';
  END IF;
  IF v_current IS NOT NULL THEN
    UPDATE flow.connector_credentials c
       SET rotated_at = NEW.created_at
     WHERE c.tenant_id = NEW.tenant_id AND c.connector_id = NEW.connector_id
       AND c.version = v_current AND c.rotated_at IS NULL;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER connector_credentials_before_insert
  BEFORE INSERT ON flow.connector_credentials
  FOR EACH ROW EXECUTE FUNCTION flow.connector_credentials_before_insert();

-- What may change in a stored credential version: rotated_at and revoked_at once (never back to
-- NULL), and the wrapped data key with its reference (re-wrap). Everything else is immutable.
CREATE FUNCTION flow.connector_credentials_before_update() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF (NEW.tenant_id, NEW.connector_id, NEW.version, NEW.credential_id, NEW.ciphertext, NEW.field_names, NEW.created_at)
     IS DISTINCT FROM
     (OLD.tenant_id, OLD.connector_id, OLD.version, OLD.credential_id, OLD.ciphertext, OLD.field_names, OLD.created_at) THEN
    RAISE EXCEPTION 'a stored credential version is immutable' USING ERRCODE = 'check_violation';
  END IF;
  IF (OLD.rotated_at IS NOT NULL AND NEW.rotated_at IS DISTINCT FROM OLD.rotated_at)
     OR (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at) THEN
    RAISE EXCEPTION 'rotation and revocation cannot be undone' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER connector_credentials_before_update
  BEFORE UPDATE ON flow.connector_credentials
  FOR EACH ROW EXECUTE FUNCTION flow.connector_credentials_before_update();

-- A revoked session stays revoked, and its absolute expiry never moves later.
CREATE FUNCTION flow.sessions_before_update() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
    RAISE EXCEPTION 'revocation cannot be undone' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.absolute_expires_at > OLD.absolute_expires_at THEN
    RAISE EXCEPTION 'the absolute expiry cannot be extended' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER sessions_before_update
  BEFORE UPDATE ON flow.sessions
  FOR EACH ROW EXECUTE FUNCTION flow.sessions_before_update();

-- Change notifications for every daemon (LISTEN needs a direct, non-PgBouncer connection).
-- Delivered at commit; payloads are JSON without secret material.
--   flow_credentials:     {"tenant_id","connector_id","version","event": insert|update}
--   flow_session_revoked: {"tenant_id","token_hash": hex of the SHA-256}
CREATE FUNCTION flow.connector_credentials_notify() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM pg_notify('flow_credentials', json_build_object(
    'tenant_id', NEW.tenant_id, 'connector_id', NEW.connector_id,
    'version', NEW.version, 'event', lower(TG_OP))::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER connector_credentials_notify
  AFTER INSERT OR UPDATE ON flow.connector_credentials
  FOR EACH ROW EXECUTE FUNCTION flow.connector_credentials_notify();

CREATE FUNCTION flow.sessions_notify_revoked() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM pg_notify('flow_session_revoked', json_build_object(
    'tenant_id', NEW.tenant_id, 'token_hash', encode(NEW.token_hash, 'hex'))::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER sessions_notify_revoked
  AFTER UPDATE OF revoked_at ON flow.sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION flow.sessions_notify_revoked();
