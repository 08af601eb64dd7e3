-- Basis, data versions, run outcomes and drift per transaction (docs/operations.md).
--
-- Every decision carries the cutoff policy it was made under, its basis: `monthly` (decided in
-- the run of its own UTC month, cutoff = the end of that month) or `as_of:<instant>` (a snapshot
-- with one cutoff for every transaction). The basis is part of both ledger keys, so a lifetime
-- snapshot and the monthly book of record never block or stand in for each other.
--
-- Existing rows keep every value; they get the basis of the run that wrote them: a run of one
-- whole UTC month whose cutoff is the month's end is `monthly`, anything else is
-- `as_of:<its cutoff>`. The append-only triggers are set aside for this one statement set and
-- restored before the migration's transaction commits.

CREATE FUNCTION attribution_basis(period_from timestamptz, period_to timestamptz, as_of timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN period_from IS NOT NULL
     AND period_from = date_trunc('month', period_from AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
     AND period_to = ((period_from AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
     AND as_of = period_to
    THEN 'monthly'
    ELSE 'as_of:' || to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  END
$$;

-- Runs: their basis, and the data version (newest ingested file version) they computed from.
-- Runs recorded before this migration have no data version (NULL): their months show as
-- `stale` until they are run again, which rewrites nothing that is unchanged.
ALTER TABLE attribution_runs ADD COLUMN basis text;
UPDATE attribution_runs SET basis = attribution_basis(period_from, period_to, as_of);
ALTER TABLE attribution_runs ALTER COLUMN basis SET NOT NULL;
ALTER TABLE attribution_runs ADD COLUMN data_version bigint;
CREATE INDEX attribution_runs_month_idx ON attribution_runs (model_version, basis, period_from, created_at);

ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
ALTER TABLE ledger_lines DISABLE TRIGGER ledger_lines_append_only;

ALTER TABLE ledger_entries ADD COLUMN basis text;
UPDATE ledger_entries e SET basis = r.basis FROM attribution_runs r WHERE r.run_id = e.run_id;
UPDATE ledger_entries SET basis = 'monthly' WHERE basis IS NULL; -- no run row: cannot happen, kept total
ALTER TABLE ledger_entries ALTER COLUMN basis SET NOT NULL;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey;
ALTER TABLE ledger_entries ADD PRIMARY KEY (model_version, basis, book, kind, transaction_id);
DROP INDEX ledger_entries_account_idx;
DROP INDEX ledger_entries_event_idx;
CREATE INDEX ledger_entries_account_idx ON ledger_entries (model_version, basis, book, account_id);
CREATE INDEX ledger_entries_event_idx ON ledger_entries (model_version, basis, book, event_at);

ALTER TABLE ledger_lines ADD COLUMN basis text;
UPDATE ledger_lines l SET basis = r.basis FROM attribution_runs r WHERE r.run_id = l.run_id;
UPDATE ledger_lines SET basis = 'monthly' WHERE basis IS NULL;
ALTER TABLE ledger_lines ALTER COLUMN basis SET NOT NULL;
ALTER TABLE ledger_lines DROP CONSTRAINT ledger_lines_pkey;
ALTER TABLE ledger_lines ADD PRIMARY KEY (model_version, basis, book, kind, transaction_id, channel);
DROP INDEX ledger_lines_event_idx;
CREATE INDEX ledger_lines_event_idx ON ledger_lines (model_version, basis, book, event_at);

ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only;
ALTER TABLE ledger_lines ENABLE TRIGGER ledger_lines_append_only;

-- How each run ended. Written once, by the run's last step (completed) or its failure handler.
CREATE TABLE run_outcomes (
  run_id          text        PRIMARY KEY,
  status          text        NOT NULL CHECK (status IN ('completed', 'failed')),
  finished_at     timestamptz NOT NULL DEFAULT now(),
  entries_written integer     NOT NULL,
  lines_written   integer     NOT NULL,
  drift           integer     NOT NULL,
  error           text
);

-- Drift: a recomputed decision that differs from the stored one (which stays as it is). One row
-- per (run, book, transaction), with both sides, so `attribution drift <month>` can say which
-- transactions moved and how. Append-only like the ledger.
CREATE TABLE ledger_drift (
  run_id          text    NOT NULL,
  model_version   text    NOT NULL,
  basis           text    NOT NULL,
  book            text    NOT NULL,
  kind            text    NOT NULL,
  transaction_id  text    NOT NULL,
  stored_run_id   text    NOT NULL,
  stored          jsonb   NOT NULL,
  recomputed      jsonb   NOT NULL,
  PRIMARY KEY (run_id, book, kind, transaction_id)
);
CREATE INDEX ledger_drift_key_idx ON ledger_drift (model_version, basis, book);
CREATE TRIGGER ledger_drift_append_only BEFORE UPDATE OR DELETE ON ledger_drift
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();

-- What each ingested file version can change (store/fileSpans.ts): the earliest instant of its
-- rows (NULL: it loaded none), or affects_all for membership, which has no instants. Filled
-- lazily by the month-state query; a committed file version's rows never change.
CREATE TABLE file_event_spans (
  file_id     bigint      PRIMARY KEY,
  affects_all boolean     NOT NULL,
  earliest_at timestamptz
);

-- The reader view, per basis: a monthly book of record and a snapshot are different numbers.
DROP VIEW revenue_by_channel_month;
CREATE VIEW revenue_by_channel_month AS
  SELECT model_version, basis, book, channel, currency,
         to_char(event_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month,
         sum(amount) AS revenue,
         count(DISTINCT account_id) AS accounts,
         count(*) AS lines
    FROM ledger_lines
   GROUP BY model_version, basis, book, channel, currency, to_char(event_at AT TIME ZONE 'UTC', 'YYYY-MM');
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attribution_reader') THEN
    EXECUTE 'GRANT SELECT ON revenue_by_channel_month TO attribution_reader';
  END IF;
END $$;
