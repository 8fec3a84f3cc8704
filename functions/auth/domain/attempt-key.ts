/**
 * The lockout's key for a sign-in name. A module of its own, apart from lockout.ts, whose policy
 * the web app imports: this one needs node:crypto.
 */
import { hash } from 'node:crypto';

import { wellFormed } from '#shared/domain/text';

/** No e-mail address is longer (RFC 5321: a 64-character local part, `@`, a 255-character domain). */
export const MAX_ATTEMPT_KEY_LENGTH = 320;

/**
 * The key of `sign_in_attempts`: the e-mail as typed, lower-cased (Cognito ignores its case).
 * A name no account can have still gets a counter of its own, so it is counted like any unknown
 * name: a NUL or a lone surrogate becomes U+FFFD, and a name longer than any e-mail address
 * becomes `sha256:` and its digest (a primary key must fit in an index entry).
 */
export function attemptKey(username: string): string {
  // PostgreSQL cannot store NUL in text, nor a lone surrogate in jsonb (the audit's `details`).
  const key = wellFormed(username.trim().toLowerCase().replaceAll('\u0000', '\ufffd'));
  return key.length > MAX_ATTEMPT_KEY_LENGTH ? `sha256:${hash('sha256', key, 'hex')}` : key;
}
