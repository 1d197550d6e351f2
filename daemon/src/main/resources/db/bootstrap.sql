-- Flow Sidecar database bootstrap: roles, schemas and database-level privileges.
--
-- Run once per database, as a superuser (or a managed-service admin that may create roles),
-- connected to the database the daemon will use (for example `flow`):
--
--   createdb flow
--   psql -d flow -v ON_ERROR_STOP=1 -f bootstrap.sql
--   psql -d flow -c '\password flow_owner'   -- then store it in database.owner_password_file
--   psql -d flow -c '\password flow_app'     -- then store it in database.password_file
--
-- It is idempotent: running it again changes nothing but re-asserts the role attributes below.
-- Dev mode and the tests run it from Java (io.apixx.flow.sidecar.persistence.DatabaseBootstrap),
-- which also sets the passwords (as SCRAM verifiers computed on the client).
--
-- The three roles:
--   flow_owner   LOGIN. Owns the schemas flow and flow_maint and every table in them; runs the
--                Flyway migrations. Not used by the daemon at run time. Subject to row level
--                security like everyone else (the tables use FORCE ROW LEVEL SECURITY).
--   flow_app     LOGIN. The daemon connects as this role: not superuser, no BYPASSRLS, owns
--                nothing, holds only the grants the migrations give it. To log in under another
--                name, create that login role (INHERIT, no BYPASSRLS), `GRANT flow_app TO it`
--                and copy the ALTER ROLE ... SET lines below to it; never make it a member of
--                flow_service.
--   flow_service NOLOGIN. Owns the SECURITY DEFINER maintenance functions in flow_maint (key
--                re-wrapping across tenants, purging expired rows). Row level security lets it
--                through only on the tables and commands those functions need (policies
--                "TO flow_service"), not through a BYPASSRLS attribute. Nobody logs in as it.

DO $roles$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flow_owner') THEN
    CREATE ROLE flow_owner LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flow_app') THEN
    CREATE ROLE flow_app LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flow_service') THEN
    CREATE ROLE flow_service NOLOGIN;
  END IF;
END
$roles$;

-- Re-assert the attributes, in case the roles existed before with others.
ALTER ROLE flow_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT LOGIN;
ALTER ROLE flow_app NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT LOGIN;
ALTER ROLE flow_service NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT NOLOGIN;

-- The owner hands the maintenance functions to flow_service (ALTER FUNCTION ... OWNER TO needs
-- membership). flow_owner is NOINHERIT, so it gains none of flow_service's privileges by this.
GRANT flow_service TO flow_owner;

-- The daemon's defaults, set on the role so that no connection ever needs a session-level SET
-- (which would leak between clients behind PgBouncer in transaction mode). Per transaction the
-- daemon tightens statement_timeout with set_config(..., true).
ALTER ROLE flow_app SET search_path = pg_catalog, flow, pg_temp;
ALTER ROLE flow_app SET statement_timeout = '30s';
ALTER ROLE flow_app SET idle_in_transaction_session_timeout = '30s';
ALTER ROLE flow_owner SET search_path = pg_catalog, flow, pg_temp;

-- Database level: only our roles may connect; nobody may create temporary tables (a temp table
-- could otherwise shadow a name in a search_path that ends in pg_temp).
DO $database$
BEGIN
  EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM PUBLIC', pg_catalog.current_database());
  EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO flow_owner, flow_app', pg_catalog.current_database());
END
$database$;

-- Nobody but the database owner creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS flow AUTHORIZATION flow_owner;
CREATE SCHEMA IF NOT EXISTS flow_maint AUTHORIZATION flow_owner;
REVOKE ALL ON SCHEMA flow, flow_maint FROM PUBLIC;
GRANT USAGE ON SCHEMA flow TO flow_app, flow_service;
GRANT USAGE ON SCHEMA flow_maint TO flow_app;
-- CREATE is needed only so that the owner may make flow_service the owner of functions there.
GRANT USAGE, CREATE ON SCHEMA flow_maint TO flow_service;

-- Functions are not executable by PUBLIC unless a migration grants it explicitly.
ALTER DEFAULT PRIVILEGES FOR ROLE flow_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE flow_service REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
