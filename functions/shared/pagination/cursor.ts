import { isRealInstant } from '../domain/calendar';
import { wholeNumberParam } from '../http/whole-number-param';
import * as z from '../zod';

/**
 * Keyset pagination cursors: the sort key of the last row, opaque to clients (base64url JSON).
 * Timestamps travel as PostgreSQL's own microsecond text, not a JS Date, so no row is skipped or
 * repeated when two rows differ by less than a millisecond.
 */
export interface Keyset {
  readonly at: string;
  readonly id: string;
}

const keysetSchema = z.object({
  at: z.string().check(z.refine(isRealInstant)),
  id: z.uuid(),
});

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(JSON.stringify(keyset)).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset | undefined {
  try {
    const parsed = z.safeParse(keysetSchema, JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A query parameter holding a cursor: decoded, or a 400 naming it. */
export const cursorParam = z.pipe(
  z.string().check(z.maxLength(512)),
  z.transform((value: string, ctx) => {
    const keyset = decodeCursor(value);
    if (!keyset) {
      ctx.issues.push({ code: 'custom', message: 'is not a cursor this API returned', input: value });
      return z.NEVER;
    }
    return keyset;
  }),
);

/**
 * `limit` as a query parameter: decimal digits, 1 to max, default given; every refusal states the
 * range. The default is a prefault (parsed like a value sent) rather than a default: zod's JSON
 * Schema of a transform's input drops a default but keeps a prefault, so the OpenAPI document
 * still shows it.
 */
export const limitParam = (defaultLimit: number, max: number) =>
  z.prefault(wholeNumberParam(1, max, `must be a whole number between 1 and ${max}`), defaultLimit);

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}
