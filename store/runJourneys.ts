// The journeys of a run's whole population (docs/data-driven-books.md), materialised in SQL as
// two temporary tables of the caller's transaction, for the data-driven books to aggregate:
//   run_touches(account_id, at, channel, tiebreak): every touch of every journey up to the cutoff;
//   run_journeys(account_id, converted, streamed): one row per journey.
// A paying account's touches are its touch path (connected events in its active period, the
// same rows its context holds); an account that never paid contributes its connected events
// before the cutoff; event customers their events' touchpoints; the optional journey stream its
// touchpoints. A journey converts when the account has attributed revenue in the run: a payment
// in the run's period in a currency whose net revenue as of the cutoff is positive. The tables'
// aggregates are in store/learnedModels.ts; these statements read the contexts' user map
// (context_user_accounts) and the inputs.
import type pg from 'pg';
import { inPeriod } from './predicates';
import type { RunRecord } from './runs';

export async function materialiseJourneys(client: pg.PoolClient, run: RunRecord): Promise<void> {
  const params = [run.contextId, new Date(run.asOf), run.ruleset.stop_at_first_refund, run.periodFrom === null ? null : new Date(run.periodFrom), new Date(run.periodTo)];
  await client.query(
    `CREATE TEMPORARY TABLE run_touches ON COMMIT DROP AS
     WITH ua AS (SELECT user_id, account_id FROM context_user_accounts WHERE context_id = $1 AND account_id IS NOT NULL),
     first_payments AS (
       SELECT ua.account_id, min(p.paid_at) AS first_payment_at FROM payments p JOIN ua USING (user_id) WHERE p.paid_at < $2 GROUP BY ua.account_id),
     first_refunds AS (
       SELECT ua.account_id, min(r.refunded_at) AS first_refund_at FROM refunds r JOIN ua USING (user_id) WHERE r.refunded_at < $2 GROUP BY ua.account_id),
     active AS (
       SELECT f.account_id, f.first_payment_at,
              CASE WHEN $3::boolean AND r.first_refund_at IS NOT NULL THEN r.first_refund_at ELSE $2::timestamptz END AS active_end
         FROM first_payments f LEFT JOIN first_refunds r USING (account_id))
     SELECT ua.account_id, e.occurred_at AS at, e.platform AS channel, ua.user_id AS tiebreak
       FROM integration_events e JOIN ua USING (user_id) LEFT JOIN active a ON a.account_id = ua.account_id
      WHERE e.action = 'connected' AND e.occurred_at < $2
        AND (a.account_id IS NULL OR (e.occurred_at >= a.first_payment_at AND e.occurred_at < a.active_end))
     UNION ALL
     SELECT ua.account_id, t.occurred_at, t.product_id, ''
       FROM event_touchpoints t JOIN event_transactions x USING (transaction_id) JOIN ua ON ua.user_id = x.customer_id
      WHERE t.occurred_at < $2
        AND (EXISTS (SELECT 1 FROM payments p WHERE p.payment_id = x.transaction_id AND p.paid_at < $2)
             OR EXISTS (SELECT 1 FROM refunds r WHERE r.refund_id = x.transaction_id AND r.refunded_at < $2))
     UNION ALL
     -- A journey sent again in a later file version adds only the touchpoints it did not have.
     SELECT DISTINCT j.customer_id, j.occurred_at, j.product_id, '' FROM journey_touchpoints j WHERE j.occurred_at < $2`,
    params.slice(0, 3),
  );
  await client.query(
    `CREATE TEMPORARY TABLE run_journeys ON COMMIT DROP AS
     WITH ua AS (SELECT user_id, account_id FROM context_user_accounts WHERE context_id = $1 AND account_id IS NOT NULL),
     net AS (
       SELECT account_id, currency, sum(amount) AS net FROM (
         SELECT ua.account_id, p.currency, p.amount FROM payments p JOIN ua USING (user_id) WHERE p.paid_at < $2
         UNION ALL
         SELECT ua.account_id, r.currency, -r.amount FROM refunds r JOIN ua USING (user_id) WHERE r.refunded_at < $2) m
        GROUP BY account_id, currency),
     converted AS (
       SELECT DISTINCT ua.account_id FROM payments p JOIN ua USING (user_id)
         JOIN net n ON n.account_id = ua.account_id AND n.currency = p.currency
        WHERE ${inPeriod('p.paid_at', '$3', '$4')} AND n.net > 0),
     population AS (
       SELECT DISTINCT account_id, false AS streamed FROM ua
       UNION ALL
       SELECT DISTINCT j.customer_id, true FROM journey_touchpoints j LEFT JOIN ua ON ua.account_id = j.customer_id
        WHERE j.occurred_at < $2 AND ua.account_id IS NULL)
     SELECT p.account_id, c.account_id IS NOT NULL AS converted, p.streamed
       FROM population p LEFT JOIN converted c USING (account_id)`,
    [params[0], params[1], params[3], params[4]],
  );
  await client.query('ANALYZE run_touches');
}
