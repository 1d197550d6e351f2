-- Flow Sidecar audit collector: roles, schema and database-level privileges.
--
-- Run once per audit database, as a superuser (or a managed-service admin that may create roles):
--
--   createdb flow_audit
--   psql -d flow_audit -v ON_ERROR_STOP=1 -f bootstrap.sql
--   psql -d flow_audit -c '\password flow_audit_owner'  -- store it in collector.database.owner_password_file
--   psql -d flow_audit -c '\password flow_collector'    -- store it in collector.database.password_file
--
-- Idempotent. Dev mode and the tests run it from Java.
--
-- Roles:
--   flow_audit_owner  LOGIN. Owns the schema `audit` and its tables; runs the Flyway migrations,
--                     creates next months' partitions and drops expired ones (retention).
--   flow_collector    LOGIN. The collector connects as this role: it may INSERT and SELECT audit
--                     events and nothing else on them (no UPDATE, DELETE or TRUNCATE: refused by
--                     privileges, and by a trigger should anyone grant them).

DO $roles$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flow_audit_owner') THEN
    CREATE ROLE flow_audit_owner LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flow_collector') THEN
    CREATE ROLE flow_collector LOGIN;
  END IF;
END
$roles$;

ALTER ROLE flow_audit_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT LOGIN;
ALTER ROLE flow_collector NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT LOGIN;
ALTER ROLE flow_audit_owner SET search_path = pg_catalog, audit, pg_temp;
ALTER ROLE flow_collector SET search_path = pg_catalog, audit, pg_temp;
ALTER ROLE flow_collector SET statement_timeout = '30s';

-- Only the two roles may connect: other roles of the cluster (in dev mode the daemon's flow_app
-- shares it) must not reach the trail, not even to list it.
DO $database$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO flow_audit_owner, flow_collector', current_database());
END
$database$;

CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION flow_audit_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA audit TO flow_collector;
