-- Product teams' read access, tightened (docs/decisions.md, "Reader role"):
--  * minimum cell size: a (model version, basis, book, currency, month, channel) cell with fewer than
--    reader_policy.min_cell_accounts accounts (default 3) is folded into one '(other channels)'
--    row of its model version, basis, book, currency and month; a folded row that still has fewer
--    accounts is withheld. One customer's revenue is never a row of its own.
--  * a statement timeout (reader_policy.statement_timeout_ms, default 30 s) for every session of
--    a member of attribution_reader, set at login; and no temporary tables.
-- The cell key (model version, basis, book, currency, month, channel) is listed in three places
-- below (lines, cells, the final GROUP BY): a new key column is added to each of them.
CREATE TABLE reader_policy (
  singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  min_cell_accounts    integer NOT NULL DEFAULT 3 CHECK (min_cell_accounts >= 1),
  statement_timeout_ms integer NOT NULL DEFAULT 30000 CHECK (statement_timeout_ms BETWEEN 100 AND 3600000)
);
INSERT INTO reader_policy DEFAULT VALUES;

DROP VIEW revenue_by_channel_month;
CREATE VIEW revenue_by_channel_month AS
  WITH lines AS (
    SELECT model_version, basis, book, currency, to_char(event_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month,
           channel, account_id, amount
      FROM ledger_lines
  ), cells AS (
    SELECT model_version, basis, book, currency, month, channel, count(DISTINCT account_id) AS accounts
      FROM lines
     GROUP BY model_version, basis, book, currency, month, channel
  ), placed AS (
    SELECT l.*, CASE WHEN c.accounts >= p.min_cell_accounts THEN l.channel ELSE '(other channels)' END AS shown_channel
      FROM lines l
      JOIN cells c USING (model_version, basis, book, currency, month, channel)
     CROSS JOIN reader_policy p
  )
  SELECT model_version, basis, book, shown_channel AS channel, currency, month,
         sum(amount) AS revenue,
         count(DISTINCT account_id) AS accounts,
         count(*) AS lines,
         count(DISTINCT channel) AS channels
    FROM placed
   GROUP BY model_version, basis, book, currency, month, shown_channel
  HAVING count(DISTINCT account_id) >= (SELECT min_cell_accounts FROM reader_policy);

-- Temporary tables: PUBLIC may create them in a new database; only the engine itself needs to.
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), current_user);
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attribution_reader') THEN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM attribution_reader', current_database());
    EXECUTE 'GRANT SELECT ON revenue_by_channel_month TO attribution_reader';
    -- For sessions that log in as the role itself; members get it from the login trigger below.
    BEGIN
      EXECUTE 'ALTER ROLE attribution_reader SET statement_timeout = ''30s''';
    EXCEPTION
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'statement_timeout not set on attribution_reader: no CREATEROLE privilege';
      -- Roles are cluster-wide: another database of the cluster migrating at the same moment sets
      -- the same value on the same catalog row ("tuple concurrently updated"); theirs stands.
      WHEN internal_error THEN
        RAISE NOTICE 'statement_timeout on attribution_reader is being set by another database''s migration';
    END;
  END IF;
END $$;

-- Role settings apply only to the role that logs in, not to its members: a login trigger
-- (PostgreSQL 17) sets the timeout for every member. It must never fail a login, so it swallows
-- its own errors. Creating it needs a superuser; without one a NOTICE says so.
CREATE FUNCTION reader_session_limits() RETURNS event_trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
     AND pg_has_role(session_user, 'attribution_reader', 'MEMBER') THEN
    PERFORM set_config('statement_timeout', (SELECT statement_timeout_ms FROM public.reader_policy) || 'ms', false);
  END IF;
EXCEPTION WHEN OTHERS THEN
  NULL;
END $$;
REVOKE ALL ON FUNCTION reader_session_limits() FROM PUBLIC;

DO $$
BEGIN
  CREATE EVENT TRIGGER reader_session_limits ON login EXECUTE FUNCTION reader_session_limits();
EXCEPTION
  WHEN insufficient_privilege OR syntax_error OR feature_not_supported THEN
    RAISE NOTICE 'reader_session_limits login trigger not created (needs a superuser and PostgreSQL 17): set statement_timeout on each reader login role';
END $$;
