-- What the benchmark (bench/) reads besides the workflow history, and the indexes sharded reads need.
-- How long each ledger write of a run took. Written in the same transaction as the lines it times, so a rolled-back attempt of a
-- retried activity leaves no row, and a run's rows add up to exactly what it wrote.
CREATE TABLE run_ledger_writes (
  run_id      text        NOT NULL,
  book        text        NOT NULL,
  entries     integer     NOT NULL,
  lines       integer     NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL
);
CREATE INDEX run_ledger_writes_run_idx ON run_ledger_writes (run_id);

-- Context building reads the input rows of one shard of accounts, i.e. of a few thousand users:
-- by index, instead of a scan of every usage row per shard (at 100k accounts and 50 shards, that
-- was 50 scans of 14M rows). Payments and refunds have theirs since 001.
CREATE INDEX IF NOT EXISTS calls_user_idx ON calls (user_id);
CREATE INDEX IF NOT EXISTS sms_user_idx ON sms (user_id);
CREATE INDEX IF NOT EXISTS integration_events_user_idx ON integration_events (user_id);
