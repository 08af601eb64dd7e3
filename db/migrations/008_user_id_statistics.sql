-- The planner's estimate of distinct users in the per-user input tables comes from a 30k-row
-- sample and is far too low at scale (calls at 1M accounts: 72,626 estimated, ~2.5M real), so a
-- shard's `user_id = ANY(2,600 users)` looked like 3.3M rows and got a parallel scan of all 116M
-- calls instead of the user_id index, per shard. Each user has tens of usage rows and a handful of
-- payments: tell the planner so (negative n_distinct = a fraction of the rows; read by ANALYZE,
-- which the loader runs after every file).
ALTER TABLE calls ALTER COLUMN user_id SET (n_distinct = -0.02);
ALTER TABLE sms ALTER COLUMN user_id SET (n_distinct = -0.05);
ALTER TABLE integration_events ALTER COLUMN user_id SET (n_distinct = -0.2);
ALTER TABLE payments ALTER COLUMN user_id SET (n_distinct = -0.1);
ALTER TABLE refunds ALTER COLUMN user_id SET (n_distinct = -0.5);
