import { Decimal } from 'decimal.js';

// decimal.js rounds every operation to 20 significant digits by default, which silently loses
// digits when long usage totals are summed. Domain sums run on this clone instead; its precision
// is far above anything the inputs (NUMERIC columns, YAML parameters) can carry, so additions and
// multiplications of input values are exact. Results are converted back to the default Decimal
// class with `toPlainDecimal` (the constructor copies digits without rounding) so that callers
// never meet two Decimal classes.
export const ExactDecimal = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_EVEN });

export function toPlainDecimal(value: Decimal): Decimal {
  return new Decimal(value);
}
