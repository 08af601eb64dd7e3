-- Ledger v2: a narrow, write-ordered physical layout under the same readable names (docs/ledger.md).
--
-- The raw tables hold integer surrogates and integer amounts; `ledger_entries` and `ledger_lines`
-- become views with the names, columns and NUMERIC(18,4) amounts every reader already uses.
--   ledger_keys        (model_version, basis, book) → key_id      one row per book of a model version and basis
--   ledger_channels    channel                      → channel_id  a handful of rows
--   ledger_entry_rows  one decision; unique (key_id, kind, transaction_id), and an entry_id
--                      numbered in write order; amount in units of 0.0001 (int8)
--   ledger_line_rows   (entry_id, channel_id, amount units): 18 bytes of data a line. A line's key,
--                      transaction, currency, account, event time and run are its entry's: lines
--                      are only ever written with their entry, in the same transaction.
-- entry_ids follow the write order: each write takes a block of ids and numbers its entries in
-- event-time order, so a run's lines are appended at the right edge of the line b-tree instead
-- of touching a random leaf page per line.
--
-- Every existing row is moved with every value (test/ops/ledgerV2Migration.test.ts). Lines whose
-- currency, account, event time or run differ from their entry's, or lines without an entry,
-- cannot be expressed in the new layout: the migration stops and says so rather than lose them.

DROP VIEW revenue_by_channel_month;
ALTER TABLE ledger_entries RENAME TO ledger_entries_v1;
ALTER TABLE ledger_lines RENAME TO ledger_lines_v1;

CREATE TABLE ledger_keys (
  key_id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_version text NOT NULL,
  basis         text NOT NULL,
  book          text NOT NULL,
  UNIQUE (model_version, basis, book)
);

CREATE TABLE ledger_channels (
  channel_id smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel    text NOT NULL UNIQUE
);

-- A block of 2^24 entry ids per nextval: one call numbers a whole write (store/ledger.ts).
CREATE SEQUENCE ledger_entry_blocks AS bigint INCREMENT BY 16777216 MINVALUE 0 START WITH 16777216;

-- No foreign keys (to the dictionaries, or from lines to entries): the store is the only writer,
-- and reconciliation asserts that every attributed entry's lines sum to its amount. A per-row
-- check costs about as much as the insert itself at millions of lines.
CREATE TABLE ledger_entry_rows (
  entry_id       bigint      NOT NULL UNIQUE,
  amount_units   bigint      NOT NULL,     -- signed, units of 0.0001: refunds are negative
  event_at       timestamptz NOT NULL,
  key_id         integer     NOT NULL,
  currency       char(3)     NOT NULL,
  kind           text        NOT NULL CHECK (kind IN ('payment', 'refund')),
  transaction_id text        NOT NULL,
  status         text        NOT NULL CHECK (status IN ('attributed', 'excluded')),
  reason         text        NOT NULL,
  account_id     text,                     -- NULL for unmatched and ambiguous users
  user_id        text        NOT NULL,
  rule_name      text,
  run_id         text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key_id, kind, transaction_id)
);
CREATE INDEX ledger_entry_rows_account_idx ON ledger_entry_rows (key_id, account_id);
-- Periods are found with a BRIN index: a run appends its entries together, so a block range
-- holds few keys and a short span of event times (one month for a monthly run). It costs almost
-- nothing to maintain, where a b-tree costs one more insert per entry. New block ranges are
-- summarised before a run reads them (store/ledger.ts analyzeLedger); until then they are read.
CREATE INDEX ledger_entry_rows_event_idx ON ledger_entry_rows USING brin (key_id, event_at) WITH (pages_per_range = 16, autosummarize = on);

-- Column order packs the tuple: int8 + int8 + int2 = 18 bytes.
CREATE TABLE ledger_line_rows (
  entry_id     bigint   NOT NULL,
  amount_units bigint   NOT NULL CHECK (amount_units <> 0),
  channel_id   smallint NOT NULL,
  PRIMARY KEY (entry_id, channel_id)
);

-- The move: dictionaries first, then the rows in key order, entries numbered by event time.
INSERT INTO ledger_keys (model_version, basis, book)
  SELECT model_version, basis, book FROM ledger_entries_v1
  UNION SELECT model_version, basis, book FROM ledger_lines_v1
  ORDER BY 1, 2, 3;
INSERT INTO ledger_channels (channel) SELECT DISTINCT channel FROM ledger_lines_v1 ORDER BY 1;

DO $$
DECLARE
  stray bigint;
BEGIN
  SELECT count(*) INTO stray
    FROM ledger_lines_v1 l
    LEFT JOIN ledger_entries_v1 e USING (model_version, basis, book, kind, transaction_id)
   WHERE e.transaction_id IS NULL
      OR (l.currency, l.account_id, l.event_at, l.run_id) IS DISTINCT FROM (e.currency, e.account_id, e.event_at, e.run_id);
  IF stray > 0 THEN
    RAISE EXCEPTION 'ledger v2 migration: % ledger line(s) have no entry, or another currency, account, event time or run than their entry; the new layout takes these from the entry. Inspect them with: SELECT l.* FROM ledger_lines l LEFT JOIN ledger_entries e USING (model_version, basis, book, kind, transaction_id) WHERE e.transaction_id IS NULL OR (l.currency, l.account_id, l.event_at, l.run_id) IS DISTINCT FROM (e.currency, e.account_id, e.event_at, e.run_id)', stray;
  END IF;
END $$;

INSERT INTO ledger_entry_rows (entry_id, amount_units, event_at, key_id, currency, kind, transaction_id, status, reason, account_id, user_id, rule_name, run_id, created_at)
  SELECT row_number() OVER (ORDER BY k.key_id, e.event_at, e.transaction_id, e.kind),
         (e.amount * 10000)::bigint, e.event_at, k.key_id, e.currency, e.kind, e.transaction_id, e.status, e.reason, e.account_id, e.user_id,
         e.rule_name, e.run_id, e.created_at
    FROM ledger_entries_v1 e
    JOIN ledger_keys k USING (model_version, basis, book)
   ORDER BY 1;
-- New writes take blocks after the moved ids.
SELECT setval('ledger_entry_blocks', (coalesce((SELECT max(entry_id) FROM ledger_entry_rows), 0) / 16777216 + 1) * 16777216, false);
INSERT INTO ledger_line_rows (entry_id, amount_units, channel_id)
  SELECT e.entry_id, (l.amount * 10000)::bigint, c.channel_id
    FROM ledger_lines_v1 l
    JOIN ledger_keys k USING (model_version, basis, book)
    JOIN ledger_entry_rows e ON e.key_id = k.key_id AND e.kind = l.kind AND e.transaction_id = l.transaction_id
    JOIN ledger_channels c USING (channel)
   ORDER BY e.entry_id, c.channel_id;

DROP TABLE ledger_entries_v1;
DROP TABLE ledger_lines_v1;

-- The readable names, with the columns in the order the tables had (basis last: it was added by
-- 009), so `SELECT *` and positional inserts keep working. LEFT JOINs on unique keys: a query that
-- reads no column of a dictionary does not join it. Amounts: units × 0.0001 is exact in numeric.
CREATE VIEW ledger_entries AS
  SELECT k.model_version, k.book, e.kind, e.transaction_id, e.account_id, e.user_id, e.currency,
         (e.amount_units * 0.0001)::numeric(18,4) AS amount, e.event_at, e.status, e.reason, e.rule_name, e.run_id,
         e.created_at, k.basis
    FROM ledger_entry_rows e
    LEFT JOIN ledger_keys k ON k.key_id = e.key_id;

CREATE VIEW ledger_lines AS
  SELECT k.model_version, k.book, e.kind, e.transaction_id, c.channel, (l.amount_units * 0.0001)::numeric(18,4) AS amount,
         e.currency, e.account_id, e.event_at, e.run_id, k.basis
    FROM ledger_line_rows l
    JOIN ledger_entry_rows e ON e.entry_id = l.entry_id
    LEFT JOIN ledger_keys k ON k.key_id = e.key_id
    LEFT JOIN ledger_channels c ON c.channel_id = l.channel_id;

-- Surrogates for a key and a channel: inserted when new. Used by the views' insert
-- triggers (hand-written SQL, tests); the store does the same in bulk.
CREATE FUNCTION ledger_key_id(p_model_version text, p_basis text, p_book text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE id integer;
BEGIN
  SELECT key_id INTO id FROM ledger_keys WHERE model_version = p_model_version AND basis = p_basis AND book = p_book;
  IF id IS NULL THEN
    INSERT INTO ledger_keys (model_version, basis, book) VALUES (p_model_version, p_basis, p_book) ON CONFLICT DO NOTHING;
    SELECT key_id INTO id FROM ledger_keys WHERE model_version = p_model_version AND basis = p_basis AND book = p_book;
  END IF;
  RETURN id;
END $$;

CREATE FUNCTION ledger_channel_id(p_channel text) RETURNS smallint LANGUAGE plpgsql AS $$
DECLARE id smallint;
BEGIN
  SELECT channel_id INTO id FROM ledger_channels WHERE channel = p_channel;
  IF id IS NULL THEN
    INSERT INTO ledger_channels (channel) VALUES (p_channel) ON CONFLICT DO NOTHING;
    SELECT channel_id INTO id FROM ledger_channels WHERE channel = p_channel;
  END IF;
  RETURN id;
END $$;

-- An INSERT into the views appends when the key is new and does nothing when it exists (the
-- ledger's ON CONFLICT DO NOTHING: a retry or re-run never double counts); its row count says which.
CREATE FUNCTION ledger_entries_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ledger_entry_rows (entry_id, amount_units, event_at, key_id, currency, kind, transaction_id, status, reason, account_id, user_id, rule_name, run_id, created_at)
  VALUES (nextval('ledger_entry_blocks'), (NEW.amount::numeric(18,4) * 10000)::bigint, NEW.event_at, ledger_key_id(NEW.model_version, NEW.basis, NEW.book),
          NEW.currency, NEW.kind, NEW.transaction_id, NEW.status, NEW.reason, NEW.account_id, NEW.user_id, NEW.rule_name, NEW.run_id, coalesce(NEW.created_at, now()))
  ON CONFLICT (key_id, kind, transaction_id) DO NOTHING;
  IF NOT FOUND THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION ledger_lines_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry ledger_entry_rows%ROWTYPE;
BEGIN
  SELECT * INTO entry FROM ledger_entry_rows
   WHERE key_id = ledger_key_id(NEW.model_version, NEW.basis, NEW.book) AND kind = NEW.kind AND transaction_id = NEW.transaction_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'a ledger line needs its entry first: no entry for (%, %, %, %, %)', NEW.model_version, NEW.basis, NEW.book, NEW.kind, NEW.transaction_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF (NEW.currency, NEW.account_id, NEW.event_at, NEW.run_id) IS DISTINCT FROM (entry.currency, entry.account_id, entry.event_at, entry.run_id) THEN
    RAISE EXCEPTION 'a ledger line has its entry''s currency, account, event time and run: (%, %, %, %) given, (%, %, %, %) stored for % %',
      NEW.currency, NEW.account_id, NEW.event_at, NEW.run_id, entry.currency, entry.account_id, entry.event_at, entry.run_id, NEW.kind, NEW.transaction_id
      USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO ledger_line_rows (entry_id, amount_units, channel_id)
  VALUES (entry.entry_id, (NEW.amount::numeric(18,4) * 10000)::bigint, ledger_channel_id(NEW.channel))
  ON CONFLICT (entry_id, channel_id) DO NOTHING;
  IF NOT FOUND THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER ledger_entries_insert INSTEAD OF INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_entries_insert();
CREATE TRIGGER ledger_lines_insert INSTEAD OF INSERT ON ledger_lines FOR EACH ROW EXECUTE FUNCTION ledger_lines_insert();

-- Append-only, through the views and on every raw table (TRUNCATE only exists on tables).
CREATE TRIGGER ledger_entries_append_only INSTEAD OF UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_lines_append_only INSTEAD OF UPDATE OR DELETE ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ledger_keys', 'ledger_channels', 'ledger_entry_rows', 'ledger_line_rows'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()', t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only()', t || '_no_truncate', t);
  END LOOP;
END $$;

-- Benchmark timings no longer live in the database: each ledger write returns its own timing in
-- the activity's result (store/ledger.ts, bench/harness.ts).
DROP TABLE run_ledger_writes;

-- The reader view, as in 009, over the new ledger_lines view.
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
