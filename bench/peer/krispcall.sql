-- The lifetime KrispCall analysis in DuckDB SQL: the bench's peer (docs/benchmark.md, "The DuckDB
-- peer"). It reads the same CSV files the engine ingests and computes what a lifetime run writes
-- to the ledger, by the engine's rules (docs/decisions.md "Input", "Contexts", "Books and
-- allocation", "Decisions"). Money and weights are integers throughout (BIGINT / HUGEINT); there is
-- no float anywhere. `{{name}}` placeholders are filled in by bench/peer/duckdb.ts, which runs the
-- statements one by one (each ends with a semicolon at the end of a line).

-- Timestamps as UTC epoch microseconds. The generator writes `2024-01-05T10:00:00Z`, which DuckDB
-- casts directly; other spellings the loader accepts (offsets `±hh:mm`, `±hhmm`, `UTC`, a missing
-- seconds field) are normalised first.
CREATE MACRO ts_us(s) AS epoch_us(CAST(
  CASE WHEN s LIKE '____-__-__T__:__:__Z' THEN s
       ELSE regexp_replace(
              regexp_replace(regexp_replace(trim(s), '\s*(?i:z|utc)$', '+00:00'), '\s+([+-]\d{2}(?::?\d{2})?)$', '\1'),
              '^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2})([+-]\d{2}(?::?\d{2})?)?$', '\1:00\2') END
  AS TIMESTAMPTZ));

-- trim() costs about 0.15 s per million values; most cells have nothing to trim, and a LIKE tells.
CREATE MACRO tidy(s) AS CASE WHEN s LIKE ' %' OR s LIKE '% ' THEN trim(s) ELSE s END;

-- An amount (at most 4 decimals, no sign: the loader's form) as integer units of 0.0001, from its
-- digits (a DECIMAL(38) cast would go through HUGEINT, several times slower).
CREATE MACRO units(s) AS
  CAST(split_part(tidy(s), '.', 1) AS BIGINT) * 10000 + CAST(rpad(split_part(tidy(s), '.', 2), 4, '0') AS BIGINT);

-- A call duration (`431.0 seconds`, `431 s`, `431`: the loader's forms) in integer units of
-- 1/{{usage_scale}} second. The number is cut at the first space where there is one (a regular
-- expression or rtrim per row would cost about a second per million calls).
CREATE MACRO duration_units(s) AS CAST(CAST(
  CASE WHEN s LIKE ' %' OR s LIKE '% ' THEN regexp_extract(trim(s), '^(\d+(?:\.\d+)?)', 1)
       WHEN strpos(s, ' ') > 0 THEN split_part(s, ' ', 1)
       WHEN right(s, 1) BETWEEN '0' AND '9' THEN s
       ELSE regexp_extract(s, '^(\d+(?:\.\d+)?)', 1) END
  AS DECIMAL(18, 3)) * {{usage_scale}} AS BIGINT);

CREATE MACRO channel(s) AS lower(tidy(s));

-- Membership: an owner is always their own account; a non-owner listed under exactly one owner
-- (even several times) belongs to that owner; under two or more owners they are ambiguous (NULL).
CREATE TABLE user_accounts AS
WITH ws AS (
  SELECT tidy(owner_id) AS owner_id, coalesce(member_ids, '') AS member_ids
    FROM read_csv('{{dir}}/workspaces.csv', header = true, all_varchar = true)
), listed AS (
  SELECT owner_id AS user_id, owner_id, true AS is_owner FROM ws
  UNION ALL
  SELECT trim(m.member) AS user_id, owner_id, false AS is_owner
    FROM (SELECT unnest(string_split(member_ids, ';')) AS member, owner_id FROM ws) m
   WHERE trim(m.member) <> ''
)
SELECT user_id,
       CASE WHEN bool_or(is_owner) THEN user_id WHEN count(DISTINCT owner_id) = 1 THEN min(owner_id) END AS account_id
  FROM listed GROUP BY user_id;

-- Billing rows before the cutoff whose user maps to an account (unmatched and ambiguous users'
-- transactions are excluded and never reach a book).
CREATE TABLE payments AS
SELECT tidy(p.payment_id) AS id, ua.account_id, units(p.amount) AS amount_units, upper(trim(p.currency)) AS currency, ts_us(p.paid_at) AS t
  FROM read_csv('{{dir}}/payments.csv', header = true, all_varchar = true) p
  JOIN user_accounts ua ON ua.user_id = tidy(p.user_id)
 WHERE ua.account_id IS NOT NULL AND ts_us(p.paid_at) < {{as_of_us}};

CREATE TABLE refunds AS
SELECT tidy(r.refund_id) AS id, ua.account_id, units(r.amount) AS amount_units, upper(trim(r.currency)) AS currency, ts_us(r.refunded_at) AS t,
       nullif(tidy(coalesce(r.payment_id, '')), '') AS payment_id
  FROM read_csv('{{dir}}/refunds.csv', header = true, all_varchar = true) r
  JOIN user_accounts ua ON ua.user_id = tidy(r.user_id)
 WHERE ua.account_id IS NOT NULL AND ts_us(r.refunded_at) < {{as_of_us}};

-- One context per account with a payment or refund: the active period [first payment, first
-- refund or the cutoff). Without a payment the period is empty (first_pay NULL).
CREATE TABLE contexts AS
WITH fp AS (SELECT account_id, min(t) AS first_pay FROM payments GROUP BY account_id),
     fr AS (SELECT account_id, min(t) AS first_refund FROM refunds GROUP BY account_id),
     accounts AS (SELECT account_id FROM payments UNION SELECT account_id FROM refunds)
SELECT a.account_id, fp.first_pay,
       CASE WHEN {{stop_at_first_refund}} AND fr.first_refund IS NOT NULL THEN fr.first_refund ELSE {{as_of_us}} END AS active_end
  FROM accounts a LEFT JOIN fp USING (account_id) LEFT JOIN fr USING (account_id);

CREATE TABLE net_revenue AS
SELECT account_id, currency, sum(amount_units) AS net_units
  FROM (SELECT account_id, currency, amount_units FROM payments UNION ALL SELECT account_id, currency, -amount_units FROM refunds)
 GROUP BY account_id, currency;

-- Integration events of the contexts' accounts before the cutoff.
CREATE TABLE integration_events AS
SELECT tidy(e.event_id) AS id, tidy(e.user_id) AS user_id, ua.account_id, channel(e.platform) AS platform,
       lower(trim(e.action)) AS action, ts_us(e.occurred_at) AS t
  FROM read_csv('{{dir}}/integrations.csv', header = true, all_varchar = true) e
  JOIN user_accounts ua ON ua.user_id = tidy(e.user_id)
  JOIN contexts c ON c.account_id = ua.account_id
 WHERE ts_us(e.occurred_at) < {{as_of_us}};

-- Connection windows per (user, platform), half-open. In (t, connect before disconnect, id) order
-- the state after an event is "connected" exactly when the event is a connect, so a connect opens
-- a window when the event before it is not a connect (else it is redundant), and the window closes
-- at the first disconnect after it (later ones are orphans); with none it stays open to the end of
-- the active period. The windows are then unioned per (account, platform): overlapping or
-- adjacent ones merge, so a usage row lies in at most one of them.
CREATE TABLE connection_windows AS
WITH ordered AS (
  SELECT *, lag(action) OVER w AS previous_action
    FROM integration_events
  WINDOW w AS (PARTITION BY user_id, platform ORDER BY t, action = 'disconnected', id)
), numbered AS (
  SELECT *, sum(CASE WHEN action = 'connected' AND coalesce(previous_action, '') <> 'connected' THEN 1 ELSE 0 END)
              OVER (PARTITION BY user_id, platform ORDER BY t, action = 'disconnected', id ROWS UNBOUNDED PRECEDING) AS window_number
    FROM ordered
), user_windows AS (
  SELECT w.account_id, w.platform, w.start_t, coalesce(w.end_t, c.active_end) AS end_t
    FROM (SELECT account_id, platform,
                 min(t) FILTER (WHERE action = 'connected') AS start_t,
                 min(t) FILTER (WHERE action = 'disconnected') AS end_t
            FROM numbered WHERE window_number > 0
           GROUP BY account_id, user_id, platform, window_number) w
    JOIN contexts c USING (account_id)
   WHERE coalesce(w.end_t, c.active_end) > w.start_t
), starts AS (
  SELECT *, max(end_t) OVER (PARTITION BY account_id, platform ORDER BY start_t, end_t
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
    FROM user_windows
), merged AS (
  SELECT *, sum(CASE WHEN reached IS NULL OR start_t > reached THEN 1 ELSE 0 END)
              OVER (PARTITION BY account_id, platform ORDER BY start_t, end_t ROWS UNBOUNDED PRECEDING) AS merged_number
    FROM starts
)
SELECT account_id, platform, min(start_t) AS start_t, max(end_t) AS end_t
  FROM merged GROUP BY account_id, platform, merged_number;

-- Counted usage per (account, platform): call seconds + SMS segments × seconds per segment, in the
-- active period, on an always-available platform or inside a connection window.
CREATE TABLE usage_units AS
WITH rows AS (
  SELECT tidy(user_id) AS user_id, channel(platform) AS platform, ts_us(started_at) AS t, duration_units(duration) AS units
    FROM read_csv('{{dir}}/calls.csv', header = true, all_varchar = true)
  UNION ALL
  SELECT tidy(user_id), channel(platform), ts_us(sent_at), CAST(tidy(segments) AS BIGINT) * {{sms_units_per_segment}}
    FROM read_csv('{{dir}}/sms.csv', header = true, all_varchar = true)
), user_periods AS (
  -- Each user of an account with a non-empty active period, with that period: one join per row.
  SELECT ua.user_id, ua.account_id, c.first_pay, c.active_end
    FROM user_accounts ua JOIN contexts c ON c.account_id = ua.account_id
   WHERE c.first_pay IS NOT NULL AND c.first_pay < c.active_end
), active AS (
  SELECT p.account_id, r.platform, r.t, r.units
    FROM rows r JOIN user_periods p ON p.user_id = r.user_id
   WHERE r.t >= p.first_pay AND r.t < p.active_end
)
-- The windows are disjoint, so the left join matches a row at most once.
SELECT u.account_id, u.platform, CAST(sum(u.units) AS BIGINT) AS units
  FROM active u LEFT JOIN connection_windows w
    ON w.account_id = u.account_id AND w.platform = u.platform AND u.t >= w.start_t AND u.t < w.end_t
 WHERE u.platform IN ({{always_available}}) OR w.account_id IS NOT NULL
 GROUP BY u.account_id, u.platform;

-- The touch path's distinct channels in order of first appearance: touches are the connects in the
-- active period ordered by (t, platform, user), so a channel's first appearance is its earliest
-- connect and ties at one instant go by platform name.
CREATE TABLE path_channels AS
WITH first_touch AS (
  SELECT e.account_id, e.platform, min(e.t) AS first_t
    FROM integration_events e JOIN contexts c USING (account_id)
   WHERE e.action = 'connected' AND c.first_pay IS NOT NULL AND e.t >= c.first_pay AND e.t < c.active_end
   GROUP BY e.account_id, e.platform
)
SELECT account_id, platform,
       row_number() OVER (PARTITION BY account_id ORDER BY first_t, platform) AS position,
       count(*) OVER (PARTITION BY account_id) AS n
  FROM first_touch;

-- Each book's integer weights per account (only the ratios matter to the allocation), with
-- their total and how many channels share it.
CREATE TABLE book_weights AS
WITH weights AS (
  SELECT 'first_touch' AS book, account_id, platform AS channel, CAST(1 AS BIGINT) AS weight FROM path_channels WHERE position = 1
  UNION ALL
  SELECT 'first_touch', account_id, '(no integration)', 1 FROM contexts WHERE account_id NOT IN (SELECT account_id FROM path_channels)
  UNION ALL
  SELECT 'position_based', account_id, platform,
         CAST(CASE WHEN n = 1 THEN {{single}}
                   WHEN n = 2 THEN (CASE WHEN position = 1 THEN {{two_first}} ELSE {{two_last}} END)
                   WHEN position = 1 THEN {{first}} * (n - 2)
                   WHEN position = n THEN {{last}} * (n - 2)
                   ELSE {{middle}} END AS BIGINT)
    FROM path_channels
  UNION ALL
  SELECT 'position_based', account_id, '(no integration)', 1 FROM contexts WHERE account_id NOT IN (SELECT account_id FROM path_channels)
  UNION ALL
  SELECT 'usage_share', account_id, platform, units FROM usage_units WHERE units > 0
  UNION ALL
  SELECT 'usage_share', account_id, '(no usage)', 1 FROM contexts WHERE account_id NOT IN (SELECT account_id FROM usage_units WHERE units > 0)
)
SELECT *, CASE book WHEN 'first_touch' THEN 0 WHEN 'position_based' THEN 1 ELSE 2 END AS book_no,
       CAST(sum(weight) OVER (PARTITION BY book, account_id) AS BIGINT) AS total,
       count(*) OVER (PARTITION BY book, account_id) AS channels
  FROM weights;

-- Payments of the period are attributed when the account's net revenue in their currency is > 0.
-- A payment's split depends only on its amount and its account's weights, and subscriptions
-- repeat their amounts, so each (account, currency, amount) is split once (`tx` is the account
-- here) and the lines are joined back to the payments.
CREATE TABLE attributed_payments AS
SELECT p.id, p.account_id, p.currency, p.amount_units,
       dense_rank() OVER (ORDER BY p.account_id, p.currency, p.amount_units) AS amount_no
  FROM payments p
  JOIN net_revenue n ON n.account_id = p.account_id AND n.currency = p.currency AND n.net_units > 0
 WHERE p.t < {{to_us}};

CREATE TABLE payment_shares AS
SELECT w.book, a.account_id AS tx, a.amount_no * 3 + w.book_no AS key, a.currency, a.amount_units AS amount,
       w.channel, w.weight, w.total, w.channels
  FROM (SELECT DISTINCT account_id, currency, amount_units, amount_no FROM attributed_payments) a
  JOIN book_weights w ON w.account_id = a.account_id;

-- Exact allocation: each share truncated toward zero, the leftover units one each to the largest
-- truncated-away fractions, ties by channel name. Used for the payments and (on their absolute
-- amounts) for the refunds. A single channel gets the whole amount without any arithmetic (every
-- first-touch line, most of the others). amount × weight is computed in BIGINT where it cannot
-- overflow and in HUGEINT otherwise (HUGEINT division costs several times more, and is rarely
-- needed); the share and the remainder always fit a BIGINT. DuckDB raises an error on any
-- overflow, never wraps. `key` numbers what is split (book × distinct payment amount, or book ×
-- refund): an integer partition key sorts much faster than strings.
CREATE MACRO allocate(shares) AS TABLE
WITH truncated AS (
  SELECT *,
         CASE WHEN weight = 0 OR amount <= 9223372036854775807 // weight THEN amount * weight // total
              ELSE CAST(CAST(amount AS HUGEINT) * weight // total AS BIGINT) END AS share,
         CASE WHEN weight = 0 OR amount <= 9223372036854775807 // weight THEN amount * weight % total
              ELSE CAST(CAST(amount AS HUGEINT) * weight % total AS BIGINT) END AS remainder
    FROM query_table(shares) WHERE channels > 1
), ranked AS (
  SELECT *, amount - sum(share) OVER (PARTITION BY key) AS leftover,
         row_number() OVER (PARTITION BY key ORDER BY remainder DESC, channel) AS rank
    FROM truncated
)
SELECT book, tx, key, currency, channel, amount AS units FROM query_table(shares) WHERE channels = 1
UNION ALL
SELECT book, tx, key, currency, channel, share + CASE WHEN rank <= leftover THEN 1 ELSE 0 END FROM ranked;

CREATE TABLE payment_lines AS
SELECT l.book, p.id AS tx, p.currency, l.channel, l.units, p.account_id, p.amount_units AS amount
  FROM allocate(payment_shares) l JOIN attributed_payments p ON p.amount_no = l.key // 3;

-- Refunds: a refund naming an attributed payment of its account and currency is split by that
-- payment's lines; otherwise, when the account has an attributed payment in the currency, by the
-- account's weights; otherwise it is excluded. (A payment named by several refunds would be split
-- by what is left of it after the earlier ones; duckdb.ts refuses such datasets.)
CREATE TABLE refund_shares AS
WITH named AS (
  SELECT l.book, r.id AS tx, r.rowid * 3 + CASE l.book WHEN 'first_touch' THEN 0 WHEN 'position_based' THEN 1 ELSE 2 END AS key,
         r.currency, r.amount_units AS amount, l.channel, abs(l.units) AS weight, l.amount AS total,
         count(*) OVER (PARTITION BY l.book, r.id) AS channels
    FROM refunds r JOIN payment_lines l ON l.tx = r.payment_id AND l.account_id = r.account_id AND l.currency = r.currency
   WHERE r.t < {{to_us}} AND l.units <> 0
), attributed_currencies AS (
  SELECT DISTINCT book, account_id, currency FROM payment_lines
)
SELECT * FROM named
UNION ALL
SELECT w.book, r.id, r.rowid * 3 + w.book_no, r.currency, r.amount_units, w.channel, w.weight, w.total, w.channels
  FROM refunds r
  JOIN attributed_currencies a ON a.account_id = r.account_id AND a.currency = r.currency
  JOIN book_weights w ON w.account_id = r.account_id AND w.book = a.book
 WHERE r.t < {{to_us}} AND NOT EXISTS (SELECT 1 FROM named n WHERE n.tx = r.id AND n.book = a.book);

CREATE TABLE channel_totals AS
SELECT book, channel, currency, sum(units) AS units
  FROM (SELECT book, channel, currency, units FROM payment_lines
        UNION ALL
        SELECT book, channel, currency, -units FROM allocate(refund_shares))
 GROUP BY book, channel, currency;
