-- Read access for product teams (SPEC §8): aggregated revenue by channel and month, never
-- account-level rows or raw inputs. The view runs with its owner's rights, so the role needs no
-- grant on any table. Roles are cluster-wide: creating it is skipped when it exists (or when the
-- migrating user may not create roles, in which case a DBA creates it and grants the view).
CREATE VIEW revenue_by_channel_month AS
  SELECT model_version, book, channel, currency,
         to_char(event_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month,
         sum(amount) AS revenue,
         count(DISTINCT account_id) AS accounts,
         count(*) AS lines
    FROM ledger_lines
   GROUP BY model_version, book, channel, currency, to_char(event_at AT TIME ZONE 'UTC', 'YYYY-MM');

DO $$
BEGIN
  BEGIN
    CREATE ROLE attribution_reader NOLOGIN;
  EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;  -- already there (another database of the cluster)
    WHEN insufficient_privilege THEN RAISE NOTICE 'attribution_reader not created: no CREATEROLE privilege';
  END;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attribution_reader') THEN
    EXECUTE 'GRANT USAGE ON SCHEMA public TO attribution_reader';
    EXECUTE 'GRANT SELECT ON revenue_by_channel_month TO attribution_reader';
  END IF;
END $$;
