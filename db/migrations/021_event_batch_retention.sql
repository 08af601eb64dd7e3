-- Retention of HTTP batches (`attribution serve --retain-days`): the body of a loaded batch is
-- deleted after the retention period. event_batches is the inbox, not the ledger: the row and its
-- sha256 stay (a repeat of the batch is still recognised as loaded), only the payload goes.
ALTER TABLE event_batches ALTER COLUMN body DROP NOT NULL;
ALTER TABLE event_batches ADD COLUMN body_deleted_at timestamptz;
ALTER TABLE event_batches ADD CONSTRAINT event_batches_body_or_deleted CHECK ((body IS NULL) = (body_deleted_at IS NOT NULL));
