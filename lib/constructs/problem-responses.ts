import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
  type DomainError,
} from '#shared/errors';
import { API_HEADERS } from '#shared/http/headers';
import { BEARER_CHALLENGE } from '#shared/http/problem';

/**
 * What API Gateway answers on its own (authorizer refusals, throttling, unknown routes, request
 * validation, WAF blocks, timeouts) as the same problem+json the functions answer, with the same
 * security headers, instead of API Gateway's default `{"message": …}` bodies.
 */
export interface ProblemResponsesProps {
  readonly api: apigw.RestApi;
}

const TYPE_BASE = 'urn:parley:problem:';

/**
 * Static header values are single-quoted for API Gateway, with quotes inside escaped (the CSP's
 * 'none'); the request id is mapped from the context.
 */
const staticValue = (value: string) => `'${value.replaceAll("'", "\\'")}'`;
const headers: Record<string, string> = {
  ...Object.fromEntries(Object.entries(API_HEADERS).map(([k, v]) => [k, staticValue(v)])),
  'Content-Type': "'application/problem+json'",
  'Cache-Control': "'no-store'",
  'X-Request-Id': 'context.requestId',
};

interface Spec {
  readonly type: apigw.ResponseType;
  readonly error?: DomainError;
  /** Overrides API Gateway's status (it answers 403 for a route that does not exist). */
  readonly statusCode?: string;
  readonly slug?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly retryAfter?: string;
  /** More headers of this answer, as values (quoted here). */
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

function body(spec: Spec): string {
  const slug = spec.slug ?? spec.error?.slug;
  const title = spec.title ?? spec.error?.title;
  const status = spec.status ?? spec.error?.status;
  // $context.error.messageString is API Gateway's message, already a quoted JSON string.
  const detail = spec.detail ? JSON.stringify(spec.detail) : '$context.error.messageString';
  const errors =
    spec.error instanceof ValidationError ? `,"errors":[{"path":"request","message":${detail}}]` : '';
  return `{"type":"${TYPE_BASE}${slug}","title":"${title}","status":${status},"detail":${detail},"requestId":"$context.requestId"${errors}}`;
}

export const PROBLEM_RESPONSES: readonly Spec[] = [
  {
    type: apigw.ResponseType.UNAUTHORIZED,
    error: new UnauthorizedError(''),
    detail: 'The access token is missing, invalid or expired.',
    extraHeaders: { 'WWW-Authenticate': BEARER_CHALLENGE },
  },
  { type: apigw.ResponseType.ACCESS_DENIED, error: new ForbiddenError(''), detail: 'Not allowed.' },
  // Unknown resources and methods: API Gateway says 403 "Missing Authentication Token"; it is a 404.
  {
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    error: new NotFoundError(''),
    statusCode: '404',
    detail: 'No such route.',
  },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, error: new ValidationError([]) },
  { type: apigw.ResponseType.BAD_REQUEST_BODY, error: new ValidationError([]) },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, error: new PayloadTooLargeError('') },
  { type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, error: new UnsupportedMediaTypeError('') },
  {
    type: apigw.ResponseType.THROTTLED,
    error: new RateLimitedError('', 1),
    detail: 'Too many requests: slow down and retry.',
    retryAfter: '1',
  },
  {
    type: apigw.ResponseType.QUOTA_EXCEEDED,
    error: new RateLimitedError('', 60),
    detail: 'Request quota exceeded.',
    retryAfter: '60',
  },
  {
    type: apigw.ResponseType.WAF_FILTERED,
    error: new ForbiddenError(''),
    detail: 'The request was blocked.',
  },
  {
    type: apigw.ResponseType.INTEGRATION_TIMEOUT,
    slug: 'timeout',
    title: 'The request took too long',
    statusCode: '504',
    status: 504,
    detail: 'The request took too long. Try again.',
  },
  // The integration failed to answer (504 by default): a timeout too, as the client sees it.
  {
    type: apigw.ResponseType.INTEGRATION_FAILURE,
    slug: 'timeout',
    title: 'The request took too long',
    statusCode: '504',
    status: 504,
    detail: 'The request took too long. Try again.',
  },
  {
    type: apigw.ResponseType.RESOURCE_NOT_FOUND,
    error: new NotFoundError(''),
    statusCode: '404',
    detail: 'No such route.',
  },
  // Anything else API Gateway refuses or fails on: never its default body, never details. A
  // catch-all keeps the status it caught unless it sets one (a function that crashed is a 502),
  // and a problem's `status` must be the answer's (RFC 9457 §3.1.3): so each is pinned to the
  // status its body says.
  {
    type: apigw.ResponseType.DEFAULT_4XX,
    slug: 'bad-request',
    title: 'Request refused',
    statusCode: '400',
    status: 400,
  },
  {
    type: apigw.ResponseType.DEFAULT_5XX,
    slug: 'internal',
    title: 'Internal error',
    statusCode: '500',
    status: 500,
    detail: 'Something went wrong on our side. Quote the request id if you contact support.',
  },
];

export function addProblemResponses({ api }: ProblemResponsesProps): void {
  for (const spec of PROBLEM_RESPONSES) {
    api.addGatewayResponse(`Problem${spec.type.responseType}`, {
      type: spec.type,
      // Always the status the body states: a response without one keeps the status it caught.
      statusCode: spec.statusCode ?? String(spec.status ?? spec.error?.status),
      responseHeaders: {
        ...headers,
        ...(spec.retryAfter ? { 'Retry-After': `'${spec.retryAfter}'` } : {}),
        ...Object.fromEntries(Object.entries(spec.extraHeaders ?? {}).map(([k, v]) => [k, staticValue(v)])),
      },
      templates: { 'application/json': body(spec) },
    });
  }
}
