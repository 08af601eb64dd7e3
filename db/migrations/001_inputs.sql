-- Canonical input tables (SPEC §3). Every row remembers the file version and line it came from,
-- so that an error can name both places when the same id arrives twice with different content.

-- One row per loaded file version. A file is identified by its kind and name inside the dataset
-- directory; load_key = sha256(content) + the effective dataset settings, so loading identical
-- content under identical settings is a no-op, and a changed file loads as a new version.
CREATE TABLE ingested_files (
  file_id          bigserial PRIMARY KEY,
  dataset          text        NOT NULL,
  kind             text        NOT NULL CHECK (kind IN ('workspaces','payments','refunds','integrations','calls','sms','events')),
  file_name        text        NOT NULL,
  content_sha256   text        NOT NULL,
  load_key         text        NOT NULL UNIQUE,
  version          integer     NOT NULL,
  rows_read        integer     NOT NULL,
  rows_loaded      integer     NOT NULL,
  rows_duplicate   integer     NOT NULL,
  rows_rejected    integer     NOT NULL,
  loaded_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (dataset, kind, version)
);

-- Quarantined usage/integration rows: never dropped silently (SPEC §3.3).
CREATE TABLE ingest_rejects (
  file_id     bigint  NOT NULL REFERENCES ingested_files (file_id),
  line        integer NOT NULL,
  column_name text,
  value       text,
  reason      text    NOT NULL,
  raw         text,
  PRIMARY KEY (file_id, line)
);

CREATE TABLE workspaces (
  workspace_id text   PRIMARY KEY,
  owner_id     text   NOT NULL,
  member_ids   text[] NOT NULL,
  file_id      bigint NOT NULL REFERENCES ingested_files (file_id),
  line         integer NOT NULL
);

CREATE TABLE payments (
  payment_id text          PRIMARY KEY,
  user_id    text          NOT NULL,
  amount     numeric(18,4) NOT NULL CHECK (amount > 0),
  currency   char(3)       NOT NULL,
  paid_at    timestamptz   NOT NULL,
  file_id    bigint        NOT NULL REFERENCES ingested_files (file_id),
  line       integer       NOT NULL
);
CREATE INDEX payments_user_idx ON payments (user_id);

CREATE TABLE refunds (
  refund_id   text          PRIMARY KEY,
  user_id     text          NOT NULL,
  amount      numeric(18,4) NOT NULL CHECK (amount > 0),
  currency    char(3)       NOT NULL,
  refunded_at timestamptz   NOT NULL,
  payment_id  text,
  file_id     bigint        NOT NULL REFERENCES ingested_files (file_id),
  line        integer       NOT NULL
);
CREATE INDEX refunds_user_idx ON refunds (user_id);

CREATE TABLE integration_events (
  event_id    text        PRIMARY KEY,
  user_id     text        NOT NULL,
  platform    text        NOT NULL,
  action      text        NOT NULL CHECK (action IN ('connected','disconnected')),
  occurred_at timestamptz NOT NULL,
  file_id     bigint      NOT NULL REFERENCES ingested_files (file_id),
  line        integer     NOT NULL
);

CREATE TABLE calls (
  call_id          text          PRIMARY KEY,
  user_id          text          NOT NULL,
  platform         text          NOT NULL,
  started_at       timestamptz   NOT NULL,
  duration_seconds numeric(14,3) NOT NULL CHECK (duration_seconds >= 0),
  file_id          bigint        NOT NULL REFERENCES ingested_files (file_id),
  line             integer       NOT NULL
);

CREATE TABLE sms (
  sms_id   text        PRIMARY KEY,
  user_id  text        NOT NULL,
  platform text        NOT NULL,
  sent_at  timestamptz NOT NULL,
  segments integer     NOT NULL CHECK (segments >= 0),
  file_id  bigint      NOT NULL REFERENCES ingested_files (file_id),
  line     integer     NOT NULL
);
