import * as z from 'zod/mini';

/** The most addresses one bulk invitation takes (each is one request, one after the other). */
export const INVITE_BATCH_MAX = 100;

/** The longest address SMTP can carry (RFC 5321), as the API checks it. */
const ADDRESS_MAX = 254;
/** The API's own check (zod's e-mail rule), so the list refuses exactly what the API would. */
const ADDRESS = z.email();

export interface AddressList {
  /** Well-formed addresses, lower-cased, each once, in the order given. */
  readonly addresses: readonly string[];
  /** What did not look like an address, as typed. */
  readonly invalid: readonly string[];
  /** Addresses given more than once (any case), counted once each. */
  readonly repeated: number;
}

/**
 * Addresses pasted from anywhere: one a line, or separated by commas, semicolons or spaces, in
 * any case, with `Name <address>` taken as its address.
 */
export function parseAddresses(text: string): AddressList {
  const addresses: string[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  let repeated = 0;
  const parts = text
    // `Name <address>` and `"Last, First" <address>`: the name, back to the last separator, goes.
    .replace(/(?:"[^"\n]*"|[^<>,;\n"])*<([^<>\s@]+@[^<>\s]+)>/g, ' $1 ')
    .split(/[\s,;]+/)
    .filter(Boolean);
  for (const part of parts) {
    const address = part.toLowerCase();
    if (address.length > ADDRESS_MAX || !ADDRESS.safeParse(address).success) {
      invalid.push(part);
    } else if (seen.has(address)) {
      repeated += 1;
    } else {
      seen.add(address);
      addresses.push(address);
    }
  }
  return { addresses, invalid, repeated };
}
