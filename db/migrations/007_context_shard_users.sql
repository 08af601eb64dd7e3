-- The users of each account shard of a context, computed once per (context, shard count) by
-- prepareRun, so that a shard activity finds its users by an index range instead of hashing every
-- user of the context (at 1M accounts: 2.5M hashes per shard, 500 shards, per phase).
CREATE TABLE context_shard_users (
  context_id  text    NOT NULL,
  shard_count integer NOT NULL,
  shard       integer NOT NULL,
  user_id     text    NOT NULL,
  account_id  text    NOT NULL,
  PRIMARY KEY (context_id, shard_count, shard, user_id)
);
