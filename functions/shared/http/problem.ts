import { databaseUnavailable, isDatabaseUnavailable } from '../db/unavailable';
import { DomainError, UnauthorizedError, ValidationError } from '../errors';
import type { ApiResult } from './types';

export const PROBLEM_TYPE = 'application/problem+json';
const TYPE_BASE = 'urn:parley:problem:';

/** The challenge of every 401: a Bearer access token of the API (RFC 6750 §3). */
export const BEARER_CHALLENGE = 'Bearer realm="parley"';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

/**
 * The one place an error becomes a response. Domain errors show their message when it is safe
 * (`expose`); anything else is a generic 500 whose body says nothing of the cause.
 */
export function problemFor(error: unknown, requestId: string): ApiResult {
  // An unreachable database is not our bug but a moment to wait: 503 with Retry-After, also when
  // it fails a reply already streaming (its `error` event).
  if (!(error instanceof DomainError) && isDatabaseUnavailable(error))
    return problemFor(databaseUnavailable(), requestId);
  if (error instanceof DomainError) {
    const body: ProblemBody = {
      type: TYPE_BASE + error.slug,
      title: error.title,
      status: error.status,
      detail: error.expose ? error.message : error.title,
      requestId,
    };
    if (error instanceof ValidationError) body.errors = error.errors.map((e) => ({ ...e }));
    const headers: Record<string, string> = { 'Content-Type': PROBLEM_TYPE };
    // RFC 9110 §15.5.2 and RFC 6750 §3: a 401 names its scheme, so that an OAuth client knows to
    // fetch a new token rather than give up.
    if (error instanceof UnauthorizedError) headers['WWW-Authenticate'] = BEARER_CHALLENGE;
    if (error.retryAfterSeconds !== undefined)
      headers['Retry-After'] = String(Math.ceil(error.retryAfterSeconds));
    return { statusCode: error.status, headers, body: JSON.stringify(body) };
  }
  const body: ProblemBody = {
    type: TYPE_BASE + 'internal',
    title: 'Internal error',
    status: 500,
    detail: 'Something went wrong on our side. Quote the request id if you contact support.',
    requestId,
  };
  return { statusCode: 500, headers: { 'Content-Type': PROBLEM_TYPE }, body: JSON.stringify(body) };
}
