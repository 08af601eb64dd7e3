// Pseudo-channels hold revenue that a book cannot place on a real channel (docs/decisions.md, "Books and allocation"). Their names
// contain parentheses and a space, which no trimmed, lower-cased platform or product name from the
// inputs is expected to have, so they never collide with a real channel.

/** Revenue of accounts whose touch path is empty (no integration connected in the active period). */
export const NO_INTEGRATION_CHANNEL = '(no integration)';

/** Revenue of accounts that have no counted usage in the active period. */
export const NO_USAGE_CHANNEL = '(no usage)';

/** Revenue of an event with no product lines and no bundle to split it by (pro_rata). */
export const NO_PRODUCT_CHANNEL = '(no product)';

export const PSEUDO_CHANNELS: ReadonlyArray<string> = [NO_INTEGRATION_CHANNEL, NO_USAGE_CHANNEL, NO_PRODUCT_CHANNEL];
