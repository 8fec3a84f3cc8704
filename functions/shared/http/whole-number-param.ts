import * as z from '../zod';

/**
 * Decimal digits only, at most six (leading zeros are fine): `Number()` would also read `0x10`,
 * `1e1`, `+5`, ` 5`, `5.0` and `''` (as 0), none of which is how anyone writes a whole number
 * in a query string, and a long run of digits would only be a range error later.
 */
const DIGITS = /^[0-9]{1,6}$/;

/**
 * A query parameter documented as a whole number from `min` to `max`: decimal digits only, every
 * refusal stating `message` (the range). The digits are read by a transform piped into an integer
 * schema, so the OpenAPI document (zod's JSON Schema of the input) shows the integer with its
 * minimum and maximum, not a string with a pattern. A number passes through to the range checks:
 * no query string holds one, but a default given with `z.prefault` is one.
 */
export function wholeNumberParam(min: number, max: number, message: string) {
  return z.pipe(
    z.transform((value: unknown, ctx) => {
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && DIGITS.test(value)) return Number(value);
      ctx.issues.push({ code: 'custom', message, input: value });
      return z.NEVER;
    }),
    z.number({ message }).check(z.int(message), z.gte(min, message), z.lte(max, message)),
  );
}
