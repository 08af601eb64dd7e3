-- Ledger v3: an entry's lines live in its row (docs/ledger.md, "Physical layout").
--
-- Chosen by measurement (bench/probes/ledgerLayouts.ts, bench/results.md): a ledger write cost
-- one heap tuple and three b-tree inserts per entry, plus one heap tuple and one b-tree insert per
-- line. Now an entry is one row:
--   line_channels smallint[], line_units bigint[]   its lines, sorted by channel id; NULL when excluded
--   run_no, reason_id                                integer surrogates (ledger_runs, ledger_reasons)
--   status 'a' | 'e'                                 one byte ("char")
-- `kind` stays text: it is part of the primary key, and a view column computed from a code would
-- keep lookups through the view (the refund cascade finds payments by key and id) off that index.
-- The (key_id, account_id) index stays: the refund cascade reads a shard's accounts' earlier entries by it.
-- The views `ledger_entries` and `ledger_lines` keep their names, columns and types; readers and
-- the reader role's views do not change. Every existing row is moved with every value
-- (test/ops/ledgerV3Migration.test.ts).

CREATE TABLE ledger_runs (
  run_no integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL UNIQUE
);

CREATE TABLE ledger_reasons (
  reason_id smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reason    text NOT NULL UNIQUE
);

ALTER TABLE ledger_entry_rows RENAME TO ledger_entry_rows_v2;
ALTER TABLE ledger_entry_rows_v2 RENAME CONSTRAINT ledger_entry_rows_pkey TO ledger_entry_rows_v2_pkey;
ALTER INDEX ledger_entry_rows_event_idx RENAME TO ledger_entry_rows_v2_event_idx;
ALTER INDEX ledger_entry_rows_account_idx RENAME TO ledger_entry_rows_v2_account_idx;

-- Column order packs the tuple: 8-byte columns, then 4, 2, 1, then the variable-length ones.
CREATE TABLE ledger_entry_rows (
  entry_id       bigint      NOT NULL UNIQUE,
  amount_units   bigint      NOT NULL,     -- signed, units of 0.0001: refunds are negative
  event_at       timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  key_id         integer     NOT NULL,
  run_no         integer     NOT NULL,
  reason_id      smallint    NOT NULL,
 status         "char"      NOT NULL CHECK (status IN ('a', 'e')),          -- attributed, excluded
  currency       char(3)     NOT NULL,
  kind           text        NOT NULL CHECK (kind IN ('payment', 'refund')),
  transaction_id text        NOT NULL,
  account_id     text,                     -- NULL for unmatched and ambiguous users
  user_id        text        NOT NULL,
  rule_name      text,
  line_channels  smallint[],
  line_units     bigint[],
  PRIMARY KEY (key_id, kind, transaction_id),
  CHECK (cardinality(line_channels) = cardinality(line_units)),
  CHECK (0 <> ALL (line_units))
);
CREATE INDEX ledger_entry_rows_account_idx ON ledger_entry_rows (key_id, account_id);
-- As in v2: a run appends its entries together, so a block range holds few keys and a short span
-- of event times; new ranges are summarised after a run's writes (store/ledger.ts analyzeLedger).
CREATE INDEX ledger_entry_rows_event_idx ON ledger_entry_rows USING brin (key_id, event_at) WITH (pages_per_range = 16, autosummarize = on);

-- The move: dictionaries, then every entry with its lines (in channel id order) and its ids.
INSERT INTO ledger_runs (run_id) SELECT DISTINCT run_id FROM ledger_entry_rows_v2 ORDER BY 1;
INSERT INTO ledger_reasons (reason) SELECT DISTINCT reason FROM ledger_entry_rows_v2 ORDER BY 1;

INSERT INTO ledger_entry_rows (entry_id, amount_units, event_at, created_at, key_id, run_no, reason_id, kind, status, currency,
                               transaction_id, account_id, user_id, rule_name, line_channels, line_units)
  SELECT e.entry_id, e.amount_units, e.event_at, e.created_at, e.key_id, ru.run_no, re.reason_id,
         e.kind, CASE e.status WHEN 'attributed' THEN 'a' ELSE 'e' END, e.currency,
         e.transaction_id, e.account_id, e.user_id, e.rule_name, l.channels, l.units
    FROM ledger_entry_rows_v2 e
    JOIN ledger_runs ru USING (run_id)
    JOIN ledger_reasons re USING (reason)
    LEFT JOIN (SELECT entry_id, array_agg(channel_id ORDER BY channel_id) AS channels, array_agg(amount_units ORDER BY channel_id) AS units
                 FROM ledger_line_rows GROUP BY entry_id) l USING (entry_id)
   ORDER BY e.entry_id;

-- A line without its entry cannot be moved (011 refused to create one; checked to be sure).
DO $$
DECLARE stray bigint;
BEGIN
  SELECT count(*) INTO stray FROM ledger_line_rows l WHERE NOT EXISTS (SELECT 1 FROM ledger_entry_rows_v2 e WHERE e.entry_id = l.entry_id);
  IF stray > 0 THEN
    RAISE EXCEPTION 'ledger v3 migration: % ledger line(s) have no entry; inspect them with: SELECT * FROM ledger_line_rows l WHERE NOT EXISTS (SELECT 1 FROM ledger_entry_rows e WHERE e.entry_id = l.entry_id)', stray;
  END IF;
END $$;

-- The readable names over the new table, same columns and types (CREATE OR REPLACE keeps every
-- view that reads them, such as the reader role's revenue_by_channel_month).
CREATE OR REPLACE VIEW ledger_entries AS
  SELECT k.model_version, k.book, e.kind, e.transaction_id, e.account_id,
         e.user_id, e.currency, (e.amount_units * 0.0001)::numeric(18,4) AS amount, e.event_at,
         (CASE e.status WHEN 'a' THEN 'attributed' ELSE 'excluded' END)::text AS status, re.reason, e.rule_name, ru.run_id,
         e.created_at, k.basis
    FROM ledger_entry_rows e
    LEFT JOIN ledger_keys k ON k.key_id = e.key_id
    LEFT JOIN ledger_reasons re ON re.reason_id = e.reason_id
    LEFT JOIN ledger_runs ru ON ru.run_no = e.run_no;

CREATE OR REPLACE VIEW ledger_lines AS
  SELECT k.model_version, k.book, e.kind, e.transaction_id, c.channel,
         (l.units * 0.0001)::numeric(18,4) AS amount, e.currency, e.account_id, e.event_at, ru.run_id, k.basis
    FROM ledger_entry_rows e
   CROSS JOIN LATERAL unnest(e.line_channels, e.line_units) AS l(channel_id, units)
    LEFT JOIN ledger_keys k ON k.key_id = e.key_id
    LEFT JOIN ledger_channels c ON c.channel_id = l.channel_id
    LEFT JOIN ledger_runs ru ON ru.run_no = e.run_no;

DROP TABLE ledger_line_rows;
DROP TABLE ledger_entry_rows_v2;

-- Surrogates for a run and a reason: inserted when new (the views' insert triggers; the store does the same in bulk).
CREATE FUNCTION ledger_run_no(p_run_id text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE no integer;
BEGIN
  SELECT run_no INTO no FROM ledger_runs WHERE run_id = p_run_id;
  IF no IS NULL THEN
    INSERT INTO ledger_runs (run_id) VALUES (p_run_id) ON CONFLICT DO NOTHING;
    SELECT run_no INTO no FROM ledger_runs WHERE run_id = p_run_id;
  END IF;
  RETURN no;
END $$;

CREATE FUNCTION ledger_reason_id(p_reason text) RETURNS smallint LANGUAGE plpgsql AS $$
DECLARE id smallint;
BEGIN
  SELECT reason_id INTO id FROM ledger_reasons WHERE reason = p_reason;
  IF id IS NULL THEN
    INSERT INTO ledger_reasons (reason) VALUES (p_reason) ON CONFLICT DO NOTHING;
    SELECT reason_id INTO id FROM ledger_reasons WHERE reason = p_reason;
  END IF;
  RETURN id;
END $$;

-- An INSERT into the views appends when the key is new and does nothing when it exists, as before.
CREATE OR REPLACE FUNCTION ledger_entries_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status NOT IN ('attributed', 'excluded') THEN
    RAISE EXCEPTION 'a ledger entry''s status is attributed or excluded: % given', NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO ledger_entry_rows (entry_id, amount_units, event_at, created_at, key_id, run_no, reason_id, kind, status, currency,
                                 transaction_id, account_id, user_id, rule_name)
  VALUES (nextval('ledger_entry_blocks'), (NEW.amount::numeric(18,4) * 10000)::bigint, NEW.event_at, coalesce(NEW.created_at, now()),
          ledger_key_id(NEW.model_version, NEW.basis, NEW.book), ledger_run_no(NEW.run_id), ledger_reason_id(NEW.reason),
          NEW.kind, left(NEW.status, 1), NEW.currency, NEW.transaction_id, NEW.account_id, NEW.user_id, NEW.rule_name)
  ON CONFLICT (key_id, kind, transaction_id) DO NOTHING;
  IF NOT FOUND THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;

-- A line through the view is appended to its entry's arrays (kept in channel id order); a channel
-- the entry already has is left as it is (the old ON CONFLICT DO NOTHING on (entry, channel)).
CREATE OR REPLACE FUNCTION ledger_lines_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry ledger_entry_rows%ROWTYPE;
  channel smallint;
  units bigint;
BEGIN
  SELECT * INTO entry FROM ledger_entry_rows
   WHERE key_id = ledger_key_id(NEW.model_version, NEW.basis, NEW.book) AND kind = NEW.kind AND transaction_id = NEW.transaction_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'a ledger line needs its entry first: no entry for (%, %, %, %, %)', NEW.model_version, NEW.basis, NEW.book, NEW.kind, NEW.transaction_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF (NEW.currency, NEW.account_id, NEW.event_at, ledger_run_no(NEW.run_id)) IS DISTINCT FROM (entry.currency, entry.account_id, entry.event_at, entry.run_no) THEN
    RAISE EXCEPTION 'a ledger line has its entry''s currency, account, event time and run: (%, %, %, %) given, (%, %, %, %) stored for % %',
      NEW.currency, NEW.account_id, NEW.event_at, NEW.run_id, entry.currency, entry.account_id, entry.event_at,
      (SELECT run_id FROM ledger_runs WHERE run_no = entry.run_no), NEW.kind, NEW.transaction_id
      USING ERRCODE = 'check_violation';
  END IF;
  channel := ledger_channel_id(NEW.channel);
  IF channel = ANY (coalesce(entry.line_channels, '{}')) THEN RETURN NULL; END IF;
  units := (NEW.amount::numeric(18,4) * 10000)::bigint;
  PERFORM set_config('ledger.appending_line', 'on', true);
  UPDATE ledger_entry_rows
     SET (line_channels, line_units) = (
       SELECT array_agg(c ORDER BY c), array_agg(u ORDER BY c)
         FROM unnest(coalesce(entry.line_channels, '{}') || channel, coalesce(entry.line_units, '{}') || units) AS x(c, u))
   WHERE entry_id = entry.entry_id;
  PERFORM set_config('ledger.appending_line', 'off', true);
  RETURN NEW;
END $$;

-- Append-only: an entry row never changes, except that the lines trigger above may add a line
-- (and only a line: every other column equal, every stored line still there with its amount).
CREATE FUNCTION ledger_entry_rows_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('ledger.appending_line', true) = 'on'
     AND (OLD.entry_id, OLD.amount_units, OLD.event_at, OLD.created_at, OLD.key_id, OLD.run_no, OLD.reason_id, OLD.kind, OLD.status,
          OLD.currency, OLD.transaction_id, OLD.account_id, OLD.user_id, OLD.rule_name)
         IS NOT DISTINCT FROM
         (NEW.entry_id, NEW.amount_units, NEW.event_at, NEW.created_at, NEW.key_id, NEW.run_no, NEW.reason_id, NEW.kind, NEW.status,
          NEW.currency, NEW.transaction_id, NEW.account_id, NEW.user_id, NEW.rule_name)
     AND cardinality(NEW.line_channels) = coalesce(cardinality(OLD.line_channels), 0) + 1
     AND NOT EXISTS (SELECT 1 FROM unnest(OLD.line_channels, OLD.line_units) AS o(c, u)
                      WHERE NOT EXISTS (SELECT 1 FROM unnest(NEW.line_channels, NEW.line_units) AS n(c, u) WHERE n.c = o.c AND n.u = o.u)) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the attribution ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_entry_rows_append_only BEFORE UPDATE OR DELETE ON ledger_entry_rows
  FOR EACH ROW EXECUTE FUNCTION ledger_entry_rows_append_only();
CREATE TRIGGER ledger_entry_rows_no_truncate BEFORE TRUNCATE ON ledger_entry_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ledger_runs', 'ledger_reasons'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()', t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only()', t || '_no_truncate', t);
  END LOOP;
END $$;
