import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { expandBundles } from '../bundles';
import { NO_PRODUCT_CHANNEL } from '../channels';
import { InvalidInputError } from '../errors';
import { ExactDecimal, toPlainDecimal } from '../exactDecimal';
import { strictMapping } from '../rulesetValues';
import type { BookDefinition } from './types';

// Pro rata over the price list (docs/decisions.md, "Books and allocation", the seed's "Bundle Pro-Rata"): each product line weighs
// unitPrice × quantity; a product that is a bundle expands into its components by component
// weight, recursively. Decisions where the spec is silent:
// - All-zero basis (every line free): equal split over the product lines, bundles still expand.
// - No product lines but a bundleId that names a bundle: the bundle is the transaction's one line.
// - Nothing to split by at all: `(no product)`.

export const proRataParams = strictMapping({
  basis: z.literal('unit_price', { error: 'must be unit_price (each product line weighs unitPrice × quantity)' }).default('unit_price'),
});

export type ProRataParams = z.output<typeof proRataParams>;

export const proRata: BookDefinition<ProRataParams> = {
  params: proRataParams,
  weights: ({ tx, ruleset }) => {
    const bundles = ruleset.bundles ?? {};
    let lines = tx.products.map((p) => {
      if (p.quantity.lt(0) || p.unitPrice.lt(0)) {
        throw new InvalidInputError(`transaction ${tx.transactionId}: product ${p.productId} has a negative quantity or unit price`);
      }
      return { channel: p.productId, weight: toPlainDecimal(new ExactDecimal(p.unitPrice).times(p.quantity)) };
    });
    if (lines.length === 0 && tx.bundleId !== null && Object.hasOwn(bundles, tx.bundleId)) {
      lines = [{ channel: tx.bundleId, weight: new Decimal(1) }];
    }
    if (lines.length === 0) return [{ channel: NO_PRODUCT_CHANNEL, weight: new Decimal(1) }];
    if (lines.every((l) => l.weight.isZero())) lines = lines.map((l) => ({ ...l, weight: new Decimal(1) }));
    return expandBundles(lines, bundles);
  },
};
