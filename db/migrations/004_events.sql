-- The multi-product event shape (SPEC §3.2). An event's money goes where every transaction's
-- goes: a payment to `payments`, a refund to `refunds` (payment_id = refundOf), with the customer
-- as the user, and the customer becomes its own account through a workspace `customer:<id>`
-- (activities/ingest/loadEvents.ts). These tables keep what only events have.

-- One row per event: the key for idempotency by transactionId. content_sha256 is the hash of the
-- canonical event, so an event replayed by an upstream retry is recognised as a repeat, and the
-- same id with other content is refused naming both places.
CREATE TABLE event_transactions (
  transaction_id text    PRIMARY KEY,
  kind           text    NOT NULL CHECK (kind IN ('payment', 'refund')),
  customer_id    text    NOT NULL,
  source         text    NOT NULL,
  bundle_id      text,
  refund_of      text,
  content_sha256 text    NOT NULL,
  file_id        bigint  NOT NULL REFERENCES ingested_files (file_id),
  line           integer NOT NULL
);

CREATE TABLE event_products (
  transaction_id text    NOT NULL,
  position       integer NOT NULL,
  product_id     text    NOT NULL,
  quantity       numeric NOT NULL CHECK (quantity >= 0),
  unit_price     numeric NOT NULL CHECK (unit_price >= 0),
  metadata       jsonb,
  PRIMARY KEY (transaction_id, position)
);

CREATE TABLE event_touchpoints (
  transaction_id   text        NOT NULL,
  position         integer     NOT NULL,
  product_id       text        NOT NULL,
  interaction_type text        NOT NULL,
  occurred_at      timestamptz NOT NULL,
  weight           numeric CHECK (weight >= 0 AND weight <= 1),
  PRIMARY KEY (transaction_id, position)
);

-- Batches received by `attribution serve`, stored (committed) before the sender gets its answer.
-- Keyed by the sha256 of the body, so a batch sent twice, even concurrently, is one batch.
CREATE TABLE event_batches (
  batch_sha256 text        PRIMARY KEY,
  body         text        NOT NULL,
  events       integer     NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
