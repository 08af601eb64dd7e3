-- Incremental contexts (docs/decisions.md, "Contexts": incremental months). A stored context also
-- keeps what a later cutoff needs to continue it without reading the rows before its own cutoff
-- again: the account's users when it was built (a continued context needs the same membership),
-- the (user, platform) connections open at its cutoff and since when, and the redundant connects
-- counted so far. NULL in a context stored before this migration: such a context is not continued.
ALTER TABLE account_contexts
  ADD COLUMN member_users       text[],
  ADD COLUMN open_users         text[],
  ADD COLUMN open_platforms     text[],
  ADD COLUMN open_since         timestamptz[],
  ADD COLUMN redundant_connects integer;

