-- The attribution ledger (SPEC §8) and what a run needs around it.

-- Rulesets by model version: a run names the model version; this keeps what it meant.
CREATE TABLE rulesets (
  model_version text        PRIMARY KEY,
  version       text        NOT NULL,
  source_name   text        NOT NULL,
  yaml          text        NOT NULL,
  effective     jsonb       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per run (a Temporal workflow run). Written once.
CREATE TABLE attribution_runs (
  run_id        text        PRIMARY KEY,
  workflow_id   text        NOT NULL,
  kind          text        NOT NULL,
  model_version text        NOT NULL REFERENCES rulesets (model_version),
  period_from   timestamptz,            -- NULL: from the beginning of time
  period_to     timestamptz NOT NULL,
  as_of         timestamptz NOT NULL,
  books         text[]      NOT NULL,
  context_id    text        NOT NULL,
  shard_count   integer     NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Account contexts (SPEC §4) are built once per context id = (cutoff, context parameters, input
-- data version) and shared by every book and every run with the same id. One row per account.
CREATE TABLE context_user_accounts (
  context_id text    NOT NULL,
  user_id    text    NOT NULL,
  account_id text,            -- NULL when ambiguous
  ambiguous  boolean NOT NULL,
  PRIMARY KEY (context_id, user_id)
);

CREATE TABLE account_contexts (
  context_id        text        NOT NULL,
  account_id        text        NOT NULL,
  shard             integer     NOT NULL,
  first_payment_at  timestamptz,
  first_refund_at   timestamptz,
  active_end        timestamptz NOT NULL,
  net_currencies    text[]      NOT NULL,
  net_amounts       numeric(18,4)[] NOT NULL,
  usage_platforms   text[]      NOT NULL,
  usage_units       numeric[]   NOT NULL,
  touch_platforms   text[]      NOT NULL,
  touch_at          timestamptz[] NOT NULL,
  touch_users       text[]      NOT NULL,
  orphan_disconnects integer    NOT NULL,
  PRIMARY KEY (context_id, account_id)
);
CREATE INDEX account_contexts_shard_idx ON account_contexts (context_id, shard);

-- A context shard is complete when its row is here (written in the same transaction as its contexts).
CREATE TABLE context_shards (
  context_id  text    NOT NULL,
  shard_count integer NOT NULL,
  shard       integer NOT NULL,
  accounts    integer NOT NULL,
  PRIMARY KEY (context_id, shard_count, shard)
);

-- Ledger: one decision per (model version, book, transaction), one line per channel. Append-only.
-- A transaction is a payment or a refund; `kind` is part of the key because the CSV shape keeps
-- payment ids and refund ids in separate files, which may reuse each other's ids.
CREATE TABLE ledger_entries (
  model_version  text          NOT NULL,
  book           text          NOT NULL,
  kind           text          NOT NULL CHECK (kind IN ('payment', 'refund')),
  transaction_id text          NOT NULL,
  account_id     text,                       -- NULL for unmatched and ambiguous users
  user_id        text          NOT NULL,
  currency       char(3)       NOT NULL,
  amount         numeric(18,4) NOT NULL,     -- signed: refunds are negative
  event_at       timestamptz   NOT NULL,
  status         text          NOT NULL CHECK (status IN ('attributed', 'excluded')),
  reason         text          NOT NULL,
  rule_name      text,
  run_id         text          NOT NULL,
  created_at     timestamptz   NOT NULL DEFAULT now(),
  PRIMARY KEY (model_version, book, kind, transaction_id)
);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (model_version, book, account_id);
CREATE INDEX ledger_entries_event_idx ON ledger_entries (model_version, book, event_at);

CREATE TABLE ledger_lines (
  model_version  text          NOT NULL,
  book           text          NOT NULL,
  kind           text          NOT NULL,
  transaction_id text          NOT NULL,
  channel        text          NOT NULL,
  amount         numeric(18,4) NOT NULL CHECK (amount <> 0),
  currency       char(3)       NOT NULL,
  account_id     text          NOT NULL,
  event_at       timestamptz   NOT NULL,
  run_id         text          NOT NULL,
  PRIMARY KEY (model_version, book, kind, transaction_id, channel)
);
-- No foreign key to ledger_entries: lines are only ever inserted in the same statement as their
-- entry (activities/run/ledgerWriter.ts), and reconciliation asserts that every attributed entry's
-- lines sum to its amount. A per-row FK check costs more than the insert itself at millions of
-- lines, and its cached plan can seq-scan a table that was small when the session began.
CREATE INDEX ledger_lines_event_idx ON ledger_lines (model_version, book, event_at);

-- Nothing updates or deletes ledger rows: corrections are new rows under a new model version.
CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the attribution ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_lines_append_only BEFORE UPDATE OR DELETE ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();

-- What each shard activity of a run found and wrote (drift: recomputed decisions that differ
-- from the stored ones, which stay as they are). Written once per (run, book, shard).
CREATE TABLE run_shard_results (
  run_id          text    NOT NULL,
  book            text    NOT NULL,
  shard           integer NOT NULL,   -- -1: the unmatched/ambiguous step
  accounts        integer NOT NULL,
  entries_written integer NOT NULL,
  lines_written   integer NOT NULL,
  drift           integer NOT NULL,
  PRIMARY KEY (run_id, book, shard)
);

-- The reconciliation of a run, per book and currency (SPEC §8): billing = attributed + excluded.
CREATE TABLE run_reconciliations (
  run_id            text          NOT NULL,
  book              text          NOT NULL,
  currency          char(3)       NOT NULL,
  billing_total     numeric(18,4) NOT NULL,
  attributed_total  numeric(18,4) NOT NULL,
  excluded_total    numeric(18,4) NOT NULL,
  excluded_by_reason jsonb        NOT NULL,
  variance          numeric(18,4) NOT NULL,
  PRIMARY KEY (run_id, book, currency)
);
