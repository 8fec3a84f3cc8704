import type middy from '@middy/core';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import { requestHeader } from './request-header';
import type { ApiEvent, ApiResult } from './types';

export interface JsonBodyOptions {
  readonly maxBytes: number;
}

/**
 * Parses a JSON body: 413 over the size limit (checked on bytes, before parsing), 415 for any
 * other content type, 400 for malformed JSON. A request without a body leaves `parley.body`
 * undefined for the validator to judge.
 */
export function jsonBody(options: JsonBodyOptions): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    name: 'json-body',
    before: (request) => {
      const { event } = request;
      if (event.body === null || event.body === undefined || event.body === '') return;
      const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
      if (raw.byteLength > options.maxBytes) {
        throw new PayloadTooLargeError(
          `The body is ${raw.byteLength} bytes; the limit is ${options.maxBytes}.`,
        );
      }
      const type = requestHeader(event.headers, 'content-type');
      const mediaType = type?.split(';')[0]?.trim().toLowerCase();
      if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
        throw new UnsupportedMediaTypeError('Send the body as application/json.');
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new ValidationError([{ path: 'body', message: 'is not valid JSON' }]);
      }
      const illFormed = illFormedString(body);
      if (illFormed !== undefined) {
        throw new ValidationError([
          { path: illFormed, message: 'is not well-formed Unicode (a lone surrogate)' },
        ]);
      }
      event.parley.body = body;
    },
  };
}

const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * The path of the first string (value or key) holding a lone surrogate (JSON's `\ud800`), which
 * UTF-8 cannot carry: stored, it would silently become U+FFFD. Iterative, so deep JSON is no risk.
 */
function illFormedString(value: unknown): string | undefined {
  const pending: [unknown, string][] = [[value, 'body']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) return path;
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        if (LONE_SURROGATE.test(key)) return path;
        pending.push([child, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}
