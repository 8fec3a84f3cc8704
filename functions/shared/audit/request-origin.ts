import { cutText, wellFormed } from '../domain/text';

/**
 * Where each API request in flight came from, by request id: the authentication middleware notes
 * it, and the audit log adds it to every event that names the request. The use cases keep passing
 * only the request id. Keyed by id because one process may serve many requests at once (the
 * local server; a Lambda instance serves one at a time).
 */
export interface RequestOrigin {
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
}

/** Bounded: a request whose `forget` never ran (a crash) cannot grow the map without end. */
const MAX_REQUESTS = 1_000;
const origins = new Map<string, RequestOrigin>();

/**
 * An address or user agent as stored: printable, at most `maxChars` UTF-16 units (512), cut
 * between whole characters, or null. A lone surrogate sent as one becomes U+FFFD: the audit's
 * jsonb `details` cannot hold one.
 */
export function cleanOriginPart(value: unknown, maxChars = 512): string | null {
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean ? cutText(wellFormed(clean), maxChars) : null;
}

export function rememberRequestOrigin(requestId: string, origin: RequestOrigin): void {
  if (origins.size >= MAX_REQUESTS) {
    const oldest = origins.keys().next().value;
    if (oldest !== undefined) origins.delete(oldest);
  }
  origins.set(requestId, origin);
}

export function forgetRequestOrigin(requestId: string): void {
  origins.delete(requestId);
}

export function requestOriginOf(requestId: string | undefined): RequestOrigin | undefined {
  return requestId === undefined ? undefined : origins.get(requestId);
}
