import type middy from '@middy/core';
import httpSecurityHeaders from '@middy/http-security-headers';
import { requestHeader } from './request-header';
import type { ApiEvent, ApiResult } from './types';

/** HSTS for two years with preload: the API is only ever reached over TLS. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains; preload',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

export interface ResponseHeadersOptions {
  /** The web app's origin: the only one CORS allows. */
  readonly webOrigin: string;
  /** `no-store` on authenticated routes; public ones may be cached briefly by nobody but the client. */
  readonly cacheControl: string;
}

/**
 * Security, cache, CORS and request-id headers on every response, errors included: Middy's
 * security headers first, then the design's exact values on top.
 */
export function responseHeaders(options: ResponseHeadersOptions): middy.MiddlewareObj<ApiEvent, ApiResult>[] {
  const own = (request: middy.Request<ApiEvent, ApiResult>): void => {
    const response = request.response;
    if (!response) return;
    const headers: Record<string, string | number | boolean> = {
      // Spreading none (undefined) adds nothing.
      ...response.headers,
      ...API_HEADERS,
    };
    headers['Cache-Control'] = options.cacheControl;
    const requestId = request.event.parley?.requestId;
    if (requestId) headers['X-Request-Id'] = requestId;
    const origin = requestHeader(request.event.headers, 'origin');
    if (origin && origin === options.webOrigin) {
      headers['Access-Control-Allow-Origin'] = origin;
      headers['Access-Control-Expose-Headers'] = 'X-Request-Id, Retry-After';
    }
    headers.Vary = 'Origin';
    response.headers = headers;
  };
  return [
    { name: 'api-headers', after: own, onError: own },
    httpSecurityHeaders({
      contentSecurityPolicy: false,
      strictTransportSecurity: false,
      referrerPolicy: false,
      reportTo: false,
      reportingEndpoints: false,
      // The API answers JSON to fetch(): no embedding, no cross-origin reads beyond CORS.
      crossOriginResourcePolicy: { policy: 'same-site' },
    }) as middy.MiddlewareObj<ApiEvent, ApiResult>,
  ];
}
