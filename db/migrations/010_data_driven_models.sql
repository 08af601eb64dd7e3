-- What the data-driven books learn once per run from every journey (docs/data-driven-books.md),
-- keyed by the run: every shard of every book of the run reads the same numbers, and the reports
-- export them. Written in one transaction with run_learned_models, whose row marks the step done.

CREATE TABLE run_learned_models (
  run_id               text        PRIMARY KEY,
  markov_order         integer,
  shapley_max_channels integer,
  journeys             bigint      NOT NULL,
  converting           bigint      NOT NULL,
  without_channels     bigint      NOT NULL,
  -- Journeys from the optional stream of non-converting journeys (event shape); 0 without it.
  streamed_journeys    bigint      NOT NULL,
  -- P(conversion) of the chain with nothing removed, as a fraction "n/d".
  conversion_probability text,
  learned_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE run_markov_removal_effects (
  run_id         text    NOT NULL,
  channel        text    NOT NULL,
  -- Truncated to 30 decimals: the weight the markov book uses. `exact` is the fraction.
  removal_effect numeric NOT NULL CHECK (removal_effect >= 0 AND removal_effect <= 1),
  exact          text    NOT NULL,
  conversions    bigint  NOT NULL,
  PRIMARY KEY (run_id, channel)
);

CREATE TABLE run_shapley_coalitions (
  run_id      text    NOT NULL,
  -- The coalition's sorted channels as a JSON array: the key the book looks coalitions up by.
  coalition   text    NOT NULL,
  channels    text[]  NOT NULL,
  journeys    bigint  NOT NULL CHECK (journeys > 0),
  conversions bigint  NOT NULL CHECK (conversions >= 0 AND conversions <= journeys),
  PRIMARY KEY (run_id, coalition)
);

-- φ of each channel of each observed coalition, before clamping (they sum to its conversion rate).
CREATE TABLE run_shapley_values (
  run_id    text    NOT NULL,
  coalition text    NOT NULL,
  channel   text    NOT NULL,
  value     numeric NOT NULL,
  exact     text    NOT NULL,
  PRIMARY KEY (run_id, coalition, channel)
);

-- The optional stream of non-converting journeys of the event shape: touchpoints by customer,
-- with no money (activities/ingest/loadJourneys.ts).
CREATE TABLE journey_touchpoints (
  file_id          bigint      NOT NULL,
  line             integer     NOT NULL,
  position         integer     NOT NULL,
  customer_id      text        NOT NULL,
  product_id       text        NOT NULL,
  interaction_type text        NOT NULL,
  occurred_at      timestamptz NOT NULL,
  PRIMARY KEY (file_id, line, position)
);
CREATE INDEX journey_touchpoints_customer_idx ON journey_touchpoints (customer_id, occurred_at);

-- Files of the journey stream are recorded like every input file.
ALTER TABLE ingested_files DROP CONSTRAINT IF EXISTS ingested_files_kind_check;
ALTER TABLE ingested_files ADD CONSTRAINT ingested_files_kind_check
  CHECK (kind IN ('workspaces','payments','refunds','integrations','calls','sms','events','journeys'));
