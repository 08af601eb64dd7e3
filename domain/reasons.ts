// The reasons a ledger decision records (docs/decisions.md, "Decisions"). Defined once: the SQL side writes the
// unmatched / ambiguous ones for rows that never reach the domain.
export const REASONS = {
  /** A payment of an account whose net revenue in its currency is positive. */
  attributed: 'attributed',
  /** A payment (or a refund with nothing attributed to reverse) of an account whose net revenue in that currency is <= 0. */
  nonPositiveNetRevenue: 'non_positive_net_revenue',
  /** A refund split by the lines of the attributed payment it names. */
  refundOfPayment: 'refund_of_payment',
  /** A refund split by the account's weights in this run, because it names no attributed payment of its currency. */
  refundByAccountWeights: 'refund_by_account_weights',
  /**
   * A refund of an account whose net revenue in that currency is positive, yet no payment in that
   * currency was ever attributed under this model version and book (its payments were excluded by
   * an earlier run with an earlier cutoff, or never run). Rare; kept apart so it is visible.
   */
  noAttributedPayment: 'no_attributed_payment',
  /** The row's user belongs to no account. */
  unmatchedUser: 'unmatched_user',
  /** The row's user is a member of two different accounts. */
  ambiguousUser: 'ambiguous_user',
  /** The `rules` book found no rule whose condition holds. */
  noRuleMatched: 'no_rule_matched',
} as const;

export type Reason = (typeof REASONS)[keyof typeof REASONS];
