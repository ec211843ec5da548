-- Two database roles for production (README, "Production"): migrations run as the owner of the
-- tables, the application as referrals_app, which may add to the audit log but never change,
-- remove or empty it. Run as the owning role (here referrals_owner) after the first migrate:
--   psql -d referrals -U referrals_owner -f docs/database-roles.sql
-- then give referrals_app a password (ALTER ROLE referrals_app LOGIN PASSWORD '...') and point
-- the application's DATABASE_URL at it; keep the owner's credentials for `manage.py migrate`.
-- tests/referrals/test_database_roles.py runs this file and checks the privileges on CI.

CREATE ROLE referrals_app NOLOGIN;
GRANT USAGE ON SCHEMA public TO referrals_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO referrals_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO referrals_app;
-- Tables added by later migrations get the same grants.
ALTER DEFAULT PRIVILEGES FOR ROLE referrals_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO referrals_app;
ALTER DEFAULT PRIVILEGES FOR ROLE referrals_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO referrals_app;
-- The audit log: read and append only (the triggers refuse the rest even to the owner).
REVOKE UPDATE, DELETE, TRUNCATE ON referrals_auditentry FROM referrals_app;
-- Where the audit chain starts after a retention cut (manage.py prune_audit_log, run as the
-- owner): the application reads it only.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON referrals_auditchainanchor FROM referrals_app;
